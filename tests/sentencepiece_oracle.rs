//! Our Viterbi against SentencePiece 0.2.3: same vocabulary, same 9,763 segmentations.
//!
//! Fixtures: `../shared/oracles/unigram/` next to the repository (see its README). When they
//! are missing the test says so and passes, except under `CI=true`, where it fails.

use std::path::PathBuf;

use sentiment_rnn::tokenizer::unigram::{Piece, PieceKind, ScoreAccumulation, UnigramModel};

/// `<manifest>/../shared/oracles/unigram`; a git worktree one level deeper (`wt/<name>`) looks
/// one more level up.
fn fixture_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let near = manifest.join("../shared/oracles/unigram");
    let far = manifest.join("../../shared/oracles/unigram");
    if !near.exists() && far.exists() {
        far
    } else {
        near
    }
}

fn missing(what: &str) {
    let msg = format!("SentencePiece oracle fixture missing: {what}");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg} (required when CI=true)");
    }
    eprintln!("{msg}; skipping");
}

fn load_vocab(path: &PathBuf) -> Vec<Piece> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let (id, piece, score, kind): (usize, String, f64, String) =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{path:?}:{}: {e}", i + 1));
            assert_eq!(id, i, "{path:?}:{}: ids must be in order", i + 1);
            let kind = match kind.as_str() {
                "normal" => PieceKind::Normal,
                "unknown" => PieceKind::Unknown,
                "control" => PieceKind::Control,
                other => panic!("{path:?}:{}: unexpected piece type {other}", i + 1),
            };
            Piece::new(piece, score, kind)
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct Case {
    normalized: String,
    ids: Vec<u32>,
}

/// Runs the oracle under `accumulation`; returns (matches, total, first mismatches).
fn run(accumulation: ScoreAccumulation) -> Option<(usize, usize, Vec<String>)> {
    let vocab = fixture_dir().join("sentencepiece_vocab.jsonl");
    let cases = std::env::var("UNIGRAM_ORACLE")
        .map(PathBuf::from)
        .map(|p| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(p))
        .unwrap_or_else(|_| fixture_dir().join("sentencepiece_test.jsonl"));
    for p in [&vocab, &cases] {
        if !p.exists() {
            missing(&p.display().to_string());
            return None;
        }
    }
    let model = UnigramModel::new(load_vocab(&vocab), accumulation).unwrap();
    let text = std::fs::read_to_string(&cases).unwrap();
    let (mut ok, mut total, mut bad) = (0, 0, Vec::new());
    let mut ids = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let case: Case =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{cases:?}:{}: {e}", i + 1));
        ids.clear();
        model.encode_ids(&case.normalized, &mut ids);
        total += 1;
        if ids == case.ids {
            ok += 1;
        } else if bad.len() < 5 {
            bad.push(format!("line {}: got {ids:?}\n want {:?}", i + 1, case.ids));
        }
    }
    Some((ok, total, bad))
}

#[test]
fn sentencepiece_oracle() {
    let Some((ok, total, bad)) = run(ScoreAccumulation::F32) else {
        return;
    };
    eprintln!("sentencepiece_oracle: {ok}/{total} segmentations identical");
    assert_eq!(total, 9763, "expected 9,763 oracle cases");
    assert_eq!(ok, total, "mismatches:\n{}", bad.join("\n"));
}

/// With f64 sums (HuggingFace's rule) the README says exactly 2 reviews differ, both ties.
#[test]
fn f64_accumulation_differs_only_on_ties() {
    let Some((ok, total, _)) = run(ScoreAccumulation::F64) else {
        return;
    };
    eprintln!("f64 accumulation: {ok}/{total} identical to SentencePiece");
    if std::env::var("UNIGRAM_ORACLE").is_err() {
        assert_eq!(total - ok, 2);
    }
}
