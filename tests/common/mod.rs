//! Helpers shared by the integration tests: the data root, the IMDb texts, inputs that live
//! outside the repository, a small fixed tokenizer and random batches.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rand::Rng;
use rand::rngs::StdRng;
use sentiment_rnn::data::loader::Batch;
use sentiment_rnn::data::{Corpus, DataRoot};
use sentiment_rnn::tokenizer::Tokenizer;

/// The data root of the tests: env `SENTIMENT_RNN_DATA`, else `datasets/` in the crate (course
/// files missing there are downloaded on first use).
pub fn root() -> DataRoot {
    DataRoot::resolve(
        None,
        Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets")),
    )
}

/// The texts of `corpus`, positive then negative; a missing file fails the test with the
/// data error, which says where it was looked for and how to get it.
pub fn texts(corpus: Corpus) -> Vec<String> {
    root()
        .labeled(corpus)
        .unwrap_or_else(|err| panic!("{err}"))
        .texts
}

/// `<crate>/../shared/<relative>`, or one level further up for a git worktree in `wt/<name>`.
pub fn shared_path(relative: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let near = manifest.join("../shared").join(relative);
    let far = manifest.join("../../shared").join(relative);
    if !near.exists() && far.exists() {
        far
    } else {
        near
    }
}

/// Fails the test for an input that is not in the repository: names it, says how to provide
/// it, and how to run the other tests without this one. A missing input never passes silently.
pub fn missing_input(what: &str, how_to_provide: &str, test_name: &str) -> ! {
    panic!(
        "missing test input: {what}\n  to provide it: {how_to_provide}\n  to run the other \
         tests without this one: cargo test -- --skip {test_name}"
    )
}

/// A small fixed tokenizer: `▁`, lowercase letters, digits and a few common chunks; anything
/// else (capitals, punctuation, non-ASCII, a literal `▁`) goes through byte fallback.
pub fn tiny_tokenizer() -> Tokenizer {
    let mut pieces: Vec<(String, f64)> = vec![("▁".into(), -2.0)];
    for (rank, character) in ('a'..='z').chain('0'..='9').enumerate() {
        pieces.push((character.to_string(), -3.0 - rank as f64 * 0.1));
    }
    for (piece, score) in [
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
        pieces.push((piece.into(), score));
    }
    Tokenizer::from_pieces(
        pieces,
        Default::default(),
        Default::default(),
        Default::default(),
    )
    .unwrap()
}

/// A batch of rows with `lengths` real tokens, padded to `seq_len`: every id (padding too)
/// drawn from `0..vocab` in row order, labels alternating 0, 1.
pub fn random_batch(lengths: &[usize], seq_len: usize, vocab: u32, rng: &mut StdRng) -> Batch {
    let b = lengths.len();
    let ids = (0..b * seq_len).map(|_| rng.gen_range(0..vocab)).collect();
    let mask = lengths
        .iter()
        .flat_map(|&l| (0..seq_len).map(move |t| (t < l) as u8))
        .collect();
    Batch {
        ids,
        mask,
        lengths: lengths.to_vec(),
        labels: (0..b).map(|r| r % 2).collect(),
        indices: (0..b).collect(),
        batch_size: b,
        valence: Vec::new(),
        seq_len,
    }
}
