//! Scoring a trained recipe: IMDb test as whole reviews and as the mean over each review's
//! sentences, Yelp sentences normalized like IMDb.

use anyhow::Result;
use dfdx::prelude::*;
use rayon::prelude::*;

use super::budget::YelpBudget;
use crate::data::augment::sentence_pieces;
use crate::data::{Batch, DataLoader, LabeledSplit, LoaderConfig, Truncation, YelpStyleNormalizer};
use crate::nn::classifier::Classifier;
use crate::study::yelp_errors::YelpDevErrors;
use crate::tokenizer::Tokenizer;
use crate::train::evaluate;

/// `texts` through the recipe's normalizer.
pub(super) fn normalize_all(norm: &YelpStyleNormalizer, texts: &[String]) -> Vec<String> {
    texts.par_iter().map(|t| norm.normalize(t)).collect()
}

/// Evaluation batches of the whole set sorted by length (less padding; labels may be absent).
pub(super) fn eval_batches(
    seqs: &[Vec<u32>],
    labels: Option<&[usize]>,
    budget: &YelpBudget,
    max_len: usize,
    pad_id: u32,
) -> Result<Vec<Batch>> {
    let config = LoaderConfig {
        batch_size: budget.batch_size,
        max_len,
        truncation: Truncation::Head,
        pad_id,
        shuffle: false,
        bucket_batches: usize::MAX,
        seed: 0,
    };
    Ok(DataLoader::new(seqs, labels, config)?.eval_batches())
}

/// Probability of "positive" for each sequence, in dataset order.
fn probabilities(model: &Classifier<f32, Cpu>, batches: &[Batch], n: usize) -> Vec<f32> {
    let mut probs = vec![0.5; n];
    for (i, p) in evaluate(model, batches).probabilities {
        probs[i] = p;
    }
    probs
}

/// Share of `probs` on the side of 0.5 that `labels` name.
fn accuracy(probs: &[f32], labels: &[usize]) -> f32 {
    let hits = probs
        .iter()
        .zip(labels)
        .filter(|(p, l)| usize::from(**p > 0.5) == **l)
        .count();
    hits as f32 / labels.len().max(1) as f32
}

/// One trained model with the tokenizer, normalizer and lengths it was trained with.
pub(super) struct Scorer<'a> {
    pub model: &'a Classifier<f32, Cpu>,
    pub tok: &'a Tokenizer,
    pub norm: &'a YelpStyleNormalizer,
    pub budget: &'a YelpBudget,
}

impl Scorer<'_> {
    /// P(positive) of each already normalized text, cut to `max_len` tokens.
    fn probabilities(&self, normalized: &[String], max_len: usize) -> Result<Vec<f32>> {
        let ids = self.tok.encode_batch_for_model(normalized, Some(max_len))?;
        let batches = eval_batches(&ids, None, self.budget, max_len, self.tok.pad_id())?;
        Ok(probabilities(self.model, &batches, ids.len()))
    }

    /// IMDb test accuracy with each review scored whole, and with a review's score the mean
    /// of its sentences' probabilities.
    pub fn imdb_test(&self, test: &LabeledSplit) -> Result<(f32, f32)> {
        let whole = self.probabilities(
            &normalize_all(self.norm, &test.texts),
            self.budget.review_max_len,
        )?;
        let pieces = sentence_pieces(&test.texts, &test.labels, self.norm);
        let piece_probs = self.probabilities(&pieces.texts, self.budget.sentence_max_len)?;
        let review_probs = pieces.mean_per_review(&piece_probs, test.len());
        Ok((
            accuracy(&whole, &test.labels),
            accuracy(&review_probs, &test.labels),
        ))
    }

    /// Accuracy on the labeled Yelp/dev sentences, and where it goes wrong.
    pub fn yelp_dev(&self, dev: &LabeledSplit) -> Result<(f32, YelpDevErrors)> {
        let probs = self.yelp(&dev.texts)?;
        let lengths: Vec<usize> = dev
            .texts
            .iter()
            .map(|t| t.split_whitespace().count())
            .collect();
        let errors = YelpDevErrors::measure(&probs, &dev.labels, &lengths);
        Ok((accuracy(&probs, &dev.labels), errors))
    }

    /// P(positive) of each Yelp sentence, normalized like IMDb.
    pub fn yelp(&self, texts: &[String]) -> Result<Vec<f32>> {
        self.probabilities(
            &normalize_all(self.norm, texts),
            self.budget.sentence_max_len,
        )
    }
}
