//! Scoring a trained recipe: IMDb test as whole reviews and as the mean over each review's
//! sentences, Yelp sentences normalized like IMDb. The sets are encoded once per recipe and
//! shared by its seeds.

use anyhow::Result;
use dfdx::prelude::*;
use rayon::prelude::*;

use super::budget::YelpBudget;
use super::data::YelpData;
use super::lexicon::{BatchTagger, tag_all};
use crate::data::augment::{Pieces, sentence_pieces};
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

/// One scoring set, encoded and batched once for every seed of a recipe.
struct Scored {
    batches: Vec<Batch>,
    /// Texts in the set (the batches hold each once).
    len: usize,
}

impl Scored {
    /// `normalized` texts encoded and cut to `max_len` tokens (tagged with valence when the
    /// model reads it).
    fn new(encoder: &SetEncoder, normalized: &[String], max_len: usize) -> Result<Self> {
        let tok = encoder.tok;
        let ids = tok.encode_batch_for_model(normalized, Some(max_len))?;
        let mut batches = eval_batches(&ids, None, encoder.budget, max_len, tok.pad_id())?;
        tag_all(encoder.tagger, &mut batches);
        Ok(Self {
            batches,
            len: ids.len(),
        })
    }

    /// P(positive) of each text, in set order.
    fn probabilities(&self, model: &Classifier<f32, Cpu>) -> Vec<f32> {
        probabilities(model, &self.batches, self.len)
    }
}

/// How a recipe turns texts into scoring batches.
pub(super) struct SetEncoder<'a> {
    pub tok: &'a Tokenizer,
    pub budget: &'a YelpBudget,
    /// Tags batches with valence when the model reads it.
    pub tagger: Option<&'a BatchTagger>,
}

/// What a trained recipe is scored on: IMDb test reviews whole (and, when asked for, as the
/// mean over each review's sentences), the labeled Yelp/dev sentences and every line of
/// `Yelp/reviews.txt`, all through the recipe's normalizer and tokenizer.
pub(super) struct ScoringSets {
    test: Scored,
    test_labels: Vec<usize>,
    /// The test reviews' sentences and which review each came from.
    test_sentences: Option<(Scored, Pieces)>,
    yelp_dev: Scored,
    yelp_dev_labels: Vec<usize>,
    /// Whitespace tokens of each Yelp/dev sentence (Yelp text is pre-tokenized).
    yelp_dev_lengths: Vec<usize>,
    yelp_reviews: Scored,
}

/// A trained recipe's scores.
pub(super) struct Scores {
    pub imdb_test: f32,
    /// NaN when the sentences were not scored.
    pub imdb_test_sentences: f32,
    pub yelp_dev: f32,
    pub dev_errors: YelpDevErrors,
    /// 1 = positive, one per line of `Yelp/reviews.txt`.
    pub predictions: Vec<usize>,
}

impl ScoringSets {
    /// Encodes every set once; the test reviews' sentences only with `sentences`.
    pub fn new(
        encoder: &SetEncoder,
        norm: &YelpStyleNormalizer,
        test: &LabeledSplit,
        data: &YelpData,
        sentences: bool,
    ) -> Result<Self> {
        let budget = encoder.budget;
        let (review_len, sentence_len) = (budget.review_max_len, budget.sentence_max_len);
        let test_sentences = if sentences {
            let pieces = sentence_pieces(&test.texts, &test.labels, norm);
            Some((Scored::new(encoder, &pieces.texts, sentence_len)?, pieces))
        } else {
            None
        };
        let yelp =
            |texts: &[String]| Scored::new(encoder, &normalize_all(norm, texts), sentence_len);
        Ok(Self {
            test: Scored::new(encoder, &normalize_all(norm, &test.texts), review_len)?,
            test_labels: test.labels.clone(),
            test_sentences,
            yelp_dev: yelp(&data.yelp_dev.texts)?,
            yelp_dev_labels: data.yelp_dev.labels.clone(),
            yelp_dev_lengths: data
                .yelp_dev
                .texts
                .iter()
                .map(|t| t.split_whitespace().count())
                .collect(),
            yelp_reviews: yelp(&data.yelp_reviews)?,
        })
    }

    /// Scores `model` on every set.
    pub fn score(&self, model: &Classifier<f32, Cpu>) -> Scores {
        let imdb_test = accuracy(&self.test.probabilities(model), &self.test_labels);
        let imdb_test_sentences = self
            .test_sentences
            .as_ref()
            .map_or(f32::NAN, |(set, pieces)| {
                let review_probs = pieces.mean_per_review(&set.probabilities(model), self.test.len);
                accuracy(&review_probs, &self.test_labels)
            });
        let dev_probs = self.yelp_dev.probabilities(model);
        let dev_errors =
            YelpDevErrors::measure(&dev_probs, &self.yelp_dev_labels, &self.yelp_dev_lengths);
        Scores {
            imdb_test,
            imdb_test_sentences,
            yelp_dev: accuracy(&dev_probs, &self.yelp_dev_labels),
            dev_errors,
            predictions: self
                .yelp_reviews
                .probabilities(model)
                .iter()
                .map(|&p| usize::from(p > 0.5))
                .collect(),
        }
    }
}
