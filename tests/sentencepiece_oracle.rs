//! Our Viterbi against SentencePiece 0.2.3: same vocabulary, every segmentation identical.
//!
//! Inputs: `../shared/oracles/unigram/` next to the repository (see its README): the
//! vocabulary and the public cases (one per IMDb test review). Env `UNIGRAM_ORACLE` names
//! another cases file (relative to the crate) made with the same vocabulary. A missing input
//! fails the test, naming it and how to provide it.

mod common;

use std::path::{Path, PathBuf};

use common::{missing_input, shared_path};
use sentiment_rnn::tokenizer::unigram::{Piece, PieceKind, ScoreAccumulation, UnigramModel};

/// How to provide the oracle files, for the failure message.
const HOW_TO_GET_ORACLE: &str = "put sentencepiece_vocab.jsonl and sentencepiece_test.jsonl \
    (SentencePiece 0.2.3 segmentations, described in that folder's README) in \
    ../shared/oracles/unigram next to the repository, or set UNIGRAM_ORACLE to a cases file";

/// The oracle vocabulary and cases files; a missing one fails `test_name`.
fn oracle_files(test_name: &str) -> (PathBuf, PathBuf) {
    let vocab = shared_path("oracles/unigram/sentencepiece_vocab.jsonl");
    let cases = std::env::var("UNIGRAM_ORACLE")
        .map(|relative| Path::new(env!("CARGO_MANIFEST_DIR")).join(relative))
        .unwrap_or_else(|_| shared_path("oracles/unigram/sentencepiece_test.jsonl"));
    for path in [&vocab, &cases] {
        if !path.is_file() {
            missing_input(
                &format!("SentencePiece oracle file {}", path.display()),
                HOW_TO_GET_ORACLE,
                test_name,
            );
        }
    }
    (vocab, cases)
}

fn load_vocab(path: &Path) -> Vec<Piece> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .enumerate()
        .map(|(index, line)| {
            let at = format!("{}:{}", path.display(), index + 1);
            let (id, piece, score, kind): (usize, String, f64, String) =
                serde_json::from_str(line).unwrap_or_else(|err| panic!("{at}: {err}"));
            assert_eq!(id, index, "{at}: ids must be in order");
            let kind = match kind.as_str() {
                "normal" => PieceKind::Normal,
                "unknown" => PieceKind::Unknown,
                "control" => PieceKind::Control,
                other => panic!("{at}: unexpected piece type {other}"),
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

/// One case where our segmentation differs from the oracle's.
struct Mismatch {
    line: usize,
    ours: Vec<u32>,
    oracle: Vec<u32>,
}

/// Segments every case under `accumulation`; returns the model, the number of cases and the
/// mismatches.
fn run(accumulation: ScoreAccumulation, test_name: &str) -> (UnigramModel, usize, Vec<Mismatch>) {
    let (vocab, cases) = oracle_files(test_name);
    let model = UnigramModel::new(load_vocab(&vocab), accumulation).unwrap();
    let text = std::fs::read_to_string(&cases).unwrap();
    let mut mismatches = Vec::new();
    let mut total = 0;
    for (index, line) in text.lines().enumerate() {
        let case: Case = serde_json::from_str(line)
            .unwrap_or_else(|err| panic!("{}:{}: {err}", cases.display(), index + 1));
        let mut ours = Vec::new();
        model.encode_ids(&case.normalized, &mut ours);
        total += 1;
        if ours != case.ids {
            mismatches.push(Mismatch {
                line: index + 1,
                ours,
                oracle: case.ids,
            });
        }
    }
    assert!(total > 0, "{}: no cases", cases.display());
    (model, total, mismatches)
}

#[test]
fn sentencepiece_oracle() {
    let (_, total, mismatches) = run(ScoreAccumulation::F32, "sentencepiece_oracle");
    eprintln!(
        "sentencepiece_oracle: {}/{total} segmentations identical",
        total - mismatches.len()
    );
    let first: Vec<String> = mismatches
        .iter()
        .take(5)
        .map(|m| format!("line {}: got {:?}\n want {:?}", m.line, m.ours, m.oracle))
        .collect();
    assert!(mismatches.is_empty(), "mismatches:\n{}", first.join("\n"));
}

/// The score of a segmentation, summed in f64.
fn path_score(model: &UnigramModel, ids: &[u32]) -> f64 {
    ids.iter()
        .map(|&id| match model.piece(id) {
            Some(piece) if piece.kind == PieceKind::Normal => piece.score,
            _ => model.unk_score(),
        })
        .sum()
}

/// With f64 sums (HuggingFace's rule) a segmentation may differ from SentencePiece's f32 one
/// only where the two are tied: equal scores up to f32 rounding.
#[test]
fn f64_accumulation_differs_only_on_ties() {
    let (model, total, mismatches) = run(
        ScoreAccumulation::F64,
        "f64_accumulation_differs_only_on_ties",
    );
    eprintln!(
        "f64 accumulation: {}/{total} identical to SentencePiece",
        total - mismatches.len()
    );
    if std::env::var_os("UNIGRAM_ORACLE").is_none() {
        // The public cases: its README counts two such reviews.
        assert_eq!(mismatches.len(), 2);
    }
    for m in &mismatches {
        let (ours, oracle) = (path_score(&model, &m.ours), path_score(&model, &m.oracle));
        let tolerance = 1e-5 * ours.abs().max(1.0);
        assert!(
            (ours - oracle).abs() <= tolerance,
            "line {}: scores {ours} (ours) and {oracle} (oracle) are not tied",
            m.line
        );
    }
}
