//! Helpers shared by the tokenizer integration tests: the IMDb files, the SentencePiece oracle
//! vocabulary, and "skip unless CI" for missing fixtures.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The data root: env `SENTIMENT_RNN_DATA`, else `datasets/` in the crate.
pub fn data_dir() -> PathBuf {
    std::env::var_os("SENTIMENT_RNN_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets")))
}

/// `<manifest>/../shared/<rel>`, or one level further up for a worktree in `wt/<name>`.
pub fn shared_path(rel: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let near = manifest.join("../shared").join(rel);
    let far = manifest.join("../../shared").join(rel);
    if !near.exists() && far.exists() {
        far
    } else {
        near
    }
}

/// Whether we run in CI, where missing fixtures are failures.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Reports a missing prerequisite: panics in CI, else prints and returns (the caller skips).
pub fn skip_unless_ci(what: &str) {
    if in_ci() {
        panic!("{what} (required when CI=true)");
    }
    eprintln!("SKIPPED: {what}");
}

/// The texts of one data file: one per line, CSV-quoted when they contain `"`.
pub fn read_texts(path: &Path) -> std::io::Result<Vec<String>> {
    let raw = std::fs::read_to_string(path)?;
    Ok(raw
        .split('\n')
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(
            |(i, line)| match line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
                Some(inner) => inner.replace("\"\"", "\""),
                None => {
                    assert!(!line.contains('"'), "{path:?}:{}: unquoted '\"'", i + 1);
                    line.to_string()
                }
            },
        )
        .collect())
}

/// IMDb texts of `split` (`train` or `test`), positive then negative; `None` if missing.
pub fn imdb(split: &str) -> Option<Vec<String>> {
    let dir = data_dir().join("IMDb").join(split);
    let mut all = Vec::new();
    for label in ["positive", "negative"] {
        all.extend(read_texts(&dir.join(label)).ok()?);
    }
    Some(all)
}

/// The normal pieces of the SentencePiece oracle vocabulary, in id order; `None` if missing.
pub fn oracle_normal_pieces() -> Option<Vec<(String, f64)>> {
    let path = shared_path("oracles/unigram/sentencepiece_vocab.jsonl");
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| {
                let (_, piece, score, kind): (usize, String, f64, String) =
                    serde_json::from_str(l).expect("oracle vocab line");
                (kind == "normal").then_some((piece, score))
            })
            .collect(),
    )
}

/// A small fixed tokenizer: `▁`, lowercase letters, digits and a few common chunks; anything
/// else (capitals, punctuation, non-ASCII, a literal `▁`) goes through byte fallback.
pub fn tiny_tokenizer() -> sentiment_rnn::tokenizer::Tokenizer {
    let mut pieces: Vec<(String, f64)> = vec![("▁".into(), -2.0)];
    for (i, c) in ('a'..='z').chain('0'..='9').enumerate() {
        pieces.push((c.to_string(), -3.0 - i as f64 * 0.1));
    }
    for (p, s) in [
        ("▁the", -3.0),
        ("▁a", -3.5),
        ("th", -4.0),
        ("he", -4.2),
        ("in", -4.5),
        ("▁in", -4.6),
        ("ing", -5.0),
        ("▁movie", -5.5),
        ("▁film", -5.6),
        ("▁good", -6.0),
        (".", -4.0),
        (",", -4.1),
    ] {
        pieces.push((p.into(), s));
    }
    sentiment_rnn::tokenizer::Tokenizer::from_pieces(
        pieces,
        Default::default(),
        Default::default(),
        Default::default(),
    )
    .unwrap()
}
