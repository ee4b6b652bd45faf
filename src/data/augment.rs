//! Training-time augmentation, shared by the study and the IMDb → Yelp recipe: sentence-level
//! pieces of reviews, Unigram subword sampling and token dropout, redrawn every epoch.
//!
//! Everything is seeded by `(seed, epoch, example)`, so an epoch's sequences do not depend on
//! the thread count or on which epochs ran before (a resumed run sees the same data).

use std::borrow::Cow;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::normalize::{YelpStyleNormalizer, split_sentences};
use crate::tokenizer::Tokenizer;

/// Which augmentations a training set gets (the default: none).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Augmentation {
    /// Train on the sentences of each review, each inheriting its review's label.
    pub sentence_pieces: bool,
    /// Join consecutive sentences of a review into pieces of up to this many words (a longer
    /// sentence stays whole); 0 keeps single sentences.
    pub piece_words: usize,
    /// Unigram subword sampling of every training text each epoch with this smoothing α
    /// (`None`: the Viterbi segmentation).
    pub subword_alpha: Option<f64>,
    /// Probability of replacing a training token with `<unk>` each epoch (0: off).
    pub token_dropout: f64,
}

impl Augmentation {
    /// Whether the sequences change from epoch to epoch.
    pub fn resamples(&self) -> bool {
        self.subword_alpha.is_some() || self.token_dropout > 0.0
    }
}

/// Training examples cut from labeled reviews.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pieces {
    /// Normalized texts (never empty).
    pub texts: Vec<String>,
    pub labels: Vec<usize>,
    /// The review each piece came from.
    pub review: Vec<usize>,
}

impl Pieces {
    /// Each review's score as the mean of its pieces' `piece_probs` (one per piece, in order);
    /// 0.5 for a review without pieces.
    pub fn mean_per_review(&self, piece_probs: &[f32], reviews: usize) -> Vec<f32> {
        let mut sum = vec![(0.0f64, 0usize); reviews];
        for (p, &r) in piece_probs.iter().zip(&self.review) {
            sum[r].0 += f64::from(*p);
            sum[r].1 += 1;
        }
        sum.iter()
            .map(|&(s, n)| if n == 0 { 0.5 } else { (s / n as f64) as f32 })
            .collect()
    }
}

/// Splits each review into sentences that inherit its label. Sentences are normalized with
/// `norm`; those that normalize to nothing are dropped.
pub fn sentence_pieces(texts: &[String], labels: &[usize], norm: &YelpStyleNormalizer) -> Pieces {
    grouped_sentence_pieces(texts, labels, norm, 0)
}

/// Like [`sentence_pieces`], but consecutive sentences of a review are joined (with a space)
/// while the piece stays within `max_words` words; 0 keeps single sentences.
pub fn grouped_sentence_pieces(
    texts: &[String],
    labels: &[usize],
    norm: &YelpStyleNormalizer,
    max_words: usize,
) -> Pieces {
    let per_review: Vec<Vec<String>> = texts
        .par_iter()
        .map(|t| {
            let sentences = split_sentences(t)
                .into_iter()
                .map(|s| norm.normalize(&s))
                .filter(|s| !s.trim().is_empty());
            let mut pieces: Vec<String> = Vec::new();
            let mut words = 0;
            for s in sentences {
                let n = s.split_whitespace().count();
                match pieces.last_mut() {
                    Some(last) if max_words > 0 && words + n <= max_words => {
                        last.push(' ');
                        last.push_str(&s);
                        words += n;
                    }
                    _ => {
                        pieces.push(s);
                        words = n;
                    }
                }
            }
            pieces
        })
        .collect();
    let mut out = Pieces::default();
    for (r, sents) in per_review.into_iter().enumerate() {
        for s in sents {
            out.texts.push(s);
            out.labels.push(labels[r]);
            out.review.push(r);
        }
    }
    out
}

/// Replaces each token by `unk` with probability `p`; a text never loses all its tokens.
pub fn token_dropout(seq: &mut [u32], p: f64, unk: u32, rng: &mut StdRng) {
    let original = seq.to_vec();
    for t in seq.iter_mut() {
        if rng.r#gen::<f64>() < p {
            *t = unk;
        }
    }
    if !original.is_empty() && seq.iter().all(|&t| t == unk) {
        // An all-unknown text would teach its label as noise: keep one token.
        let k = rng.gen_range(0..original.len());
        seq[k] = original[k];
    }
}

/// The training sequences of epoch `epoch`: each text's Viterbi ids (`viterbi`, one per text)
/// resampled and/or token-dropped per `aug`, cut to `max_len`, never empty (`viterbi` itself,
/// uncopied, when nothing resamples).
pub fn epoch_sequences<'a>(
    tok: &Tokenizer,
    texts: &[String],
    viterbi: &'a [Vec<u32>],
    aug: &Augmentation,
    max_len: usize,
    seed: u64,
    epoch: u64,
) -> Cow<'a, [Vec<u32>]> {
    if !aug.resamples() {
        return Cow::Borrowed(viterbi);
    }
    let unk = tok.unk_id();
    texts
        .par_iter()
        .zip(viterbi)
        .enumerate()
        .map(|(i, (text, viterbi))| {
            let mut rng = StdRng::seed_from_u64(
                seed ^ (epoch << 40) ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let mut ids = match aug.subword_alpha {
                Some(a) if !text.is_empty() => tok
                    .sample_ids_with(text, a, &mut rng)
                    .unwrap_or_else(|_| viterbi.clone()),
                _ => viterbi.clone(),
            };
            ids.truncate(max_len);
            if ids.is_empty() {
                ids.push(unk);
            }
            if aug.token_dropout > 0.0 {
                token_dropout(&mut ids, aug.token_dropout, unk, &mut rng);
            }
            ids
        })
        .collect::<Vec<_>>()
        .into()
}
