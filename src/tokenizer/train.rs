//! The user-facing entry from texts to a [`Tokenizer`]: [`Tokenizer::train`] with a
//! [`TokenizerTrainConfig`]. It counts the normalized words of the corpus (in parallel), hands
//! them to the piece trainer ([`super::unigram::piece_trainer`], which learns the normal pieces
//! and their scores), and lays the vocabulary out with specials and byte pieces.

use std::collections::HashMap;

use rayon::prelude::*;

use super::normalizer::{Normalizer, words};
use super::unigram::piece_trainer::{self, PieceTrainError, PieceTrainerConfig, TrainProgress};
use super::{Result, ScoreAccumulation, SpecialTokens, Tokenizer, TokenizerError};

/// Settings for [`Tokenizer::train`].
#[derive(Clone, Debug, PartialEq)]
pub struct TokenizerTrainConfig {
    /// Total vocabulary size: specials + 256 byte pieces + normal pieces.
    pub vocab_size: usize,
    /// Special tokens.
    pub specials: SpecialTokens,
    /// Text normalization.
    pub normalizer: Normalizer,
    /// Score accumulation of the resulting model.
    pub accumulation: ScoreAccumulation,
    /// The piece trainer's settings (its `vocab_size` is set from ours).
    pub piece_trainer: PieceTrainerConfig,
}

impl Default for TokenizerTrainConfig {
    fn default() -> Self {
        TokenizerTrainConfig {
            vocab_size: 30_000,
            specials: SpecialTokens::default(),
            normalizer: Normalizer::default(),
            accumulation: ScoreAccumulation::default(),
            piece_trainer: PieceTrainerConfig::default(),
        }
    }
}

/// Counts of the normalized words (`"▁word"`) of `texts`, most frequent first (ties by text,
/// so the result is deterministic). Words containing NUL are left out (the piece trainer reserves
/// it); their characters still encode, through byte fallback.
pub fn word_counts<S: AsRef<str> + Sync>(
    texts: &[S],
    normalizer: &Normalizer,
) -> Vec<(String, u64)> {
    let counts = texts
        .par_iter()
        .fold(HashMap::<String, u64>::new, |mut m, t| {
            let t = t.as_ref();
            if !t.is_empty() {
                for w in words(&normalizer.normalize(t)).filter(|w| !w.contains('\0')) {
                    match m.get_mut(w) {
                        Some(c) => *c += 1,
                        None => {
                            m.insert(w.to_string(), 1);
                        }
                    }
                }
            }
            m
        })
        // Merge the smaller map into the larger.
        .reduce(HashMap::new, |a, b| {
            if a.len() < b.len() {
                merge(b, a)
            } else {
                merge(a, b)
            }
        });
    let mut v: Vec<(String, u64)> = counts.into_iter().collect();
    v.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Adds `b`'s counts into `a`.
fn merge(mut a: HashMap<String, u64>, b: HashMap<String, u64>) -> HashMap<String, u64> {
    for (k, v) in b {
        *a.entry(k).or_default() += v;
    }
    a
}

/// Number of distinct characters in the counted words.
pub fn distinct_chars(word_counts: &[(String, u64)]) -> usize {
    let mut chars: std::collections::HashSet<char> = std::collections::HashSet::new();
    for (w, _) in word_counts {
        chars.extend(w.chars());
    }
    chars.len()
}

impl Tokenizer {
    /// Trains a tokenizer on `texts`.
    pub fn train<S: AsRef<str> + Sync>(
        texts: &[S],
        cfg: &TokenizerTrainConfig,
        progress: &dyn Fn(TrainProgress),
    ) -> Result<Tokenizer> {
        let counts = word_counts(texts, &cfg.normalizer);
        if counts.is_empty() {
            return Err(TokenizerError::NoTrainingText);
        }
        let specials = cfg.specials.all().len();
        let chars = distinct_chars(&counts);
        let minimum = specials + 256 + chars;
        if cfg.vocab_size < minimum {
            return Err(TokenizerError::VocabTooSmall {
                requested: cfg.vocab_size,
                minimum,
                specials,
                chars,
            });
        }
        let pieces = run_trainer(
            &counts,
            &cfg.piece_trainer,
            (cfg.vocab_size, cfg.vocab_size - specials - 256),
            progress,
        )?;
        Tokenizer::from_pieces(
            pieces,
            cfg.specials.clone(),
            cfg.normalizer.clone(),
            cfg.accumulation,
        )
    }
}

/// Calls the piece trainer for `normal_pieces` of the `requested_total` pieces.
fn run_trainer(
    counts: &[(String, u64)],
    cfg: &PieceTrainerConfig,
    (requested_total, normal_pieces): (usize, usize),
    progress: &dyn Fn(TrainProgress),
) -> Result<Vec<(String, f64)>> {
    let cfg = PieceTrainerConfig {
        vocab_size: normal_pieces,
        ..cfg.clone()
    };
    // The piece trainer counts normal pieces only; errors quote whole-vocabulary sizes, the
    // numbers the user typed.
    let reserved = |normal: usize| normal + requested_total - normal_pieces;
    piece_trainer::train(counts, &cfg, progress).map_err(|err| match err {
        PieceTrainError::VocabTooLarge {
            requested,
            available,
        } => TokenizerError::VocabTooLarge {
            requested: reserved(requested),
            available: reserved(available),
        },
        other => TokenizerError::Training(other),
    })
}
