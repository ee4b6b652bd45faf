//! A non-neural baseline: TF-IDF features (word unigrams, optionally bigrams, optionally
//! through the [`YelpStyleNormalizer`]) and an L2-regularized logistic regression fitted by
//! full-batch L-BFGS. The objective is convex, so the fit is deterministic and exact up to the
//! tolerance: no seed, no learning rate.
//!
//! - [`tfidf`]: the n-gram vocabulary and the TF-IDF rows.
//! - [`classifier`]: [`TfidfLogReg`], its input checks, fit and predictions.
//! - [`logistic`]: the regularized log-loss and its gradient.
//! - [`lbfgs`]: the minimizer.

mod classifier;
mod lbfgs;
mod logistic;
mod tfidf;

use crate::data::YelpStyleNormalizer;

pub use classifier::TfidfLogReg;
pub use tfidf::TfidfVectorizer;

/// Features and regularization of the baseline.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineConfig {
    /// Longest word n-gram used as a feature: 1 = unigrams, 2 = unigrams + bigrams.
    /// The vectorizer ignores values above 2; [`TfidfLogReg::fit`] rejects them.
    pub max_ngram: usize,
    /// Normalize texts first; `None`: split the raw text on whitespace.
    pub normalizer: Option<YelpStyleNormalizer>,
    /// Keep only n-grams occurring in at least this many training texts.
    pub min_df: usize,
    /// Use `1 + ln(tf)` instead of the raw count.
    pub sublinear_tf: bool,
    /// Inverse regularization strength, as in scikit-learn: the loss is
    /// `C · Σ log-loss + ½‖w‖²` (the bias is not regularized).
    pub c: f64,
    /// L-BFGS iterations at most.
    pub max_iter: usize,
}

impl Default for BaselineConfig {
    /// Unigrams + bigrams of Yelp-style normalized text.
    fn default() -> Self {
        Self {
            max_ngram: 2,
            normalizer: Some(YelpStyleNormalizer::yelp_style()),
            min_df: 2,
            sublinear_tf: true,
            c: 30.0,
            max_iter: 100,
        }
    }
}

/// The baseline cannot be fitted on the given data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// Texts and labels differ in number.
    #[error("{texts} texts but {labels} labels (expected one label per text)")]
    LabelCount { texts: usize, labels: usize },
    /// A label other than 0 or 1.
    #[error("label {label} of text {index} (expected 0 = negative or 1 = positive)")]
    BadLabel { index: usize, label: usize },
    /// Fewer than two classes, or no features survived `min_df`.
    #[error("cannot fit: {0}")]
    Degenerate(String),
    /// A setting out of range.
    #[error("invalid baseline setting: {0}")]
    Config(String),
}
