//! How much data and compute one run of a recipe gets.

use serde::{Deserialize, Serialize};

/// How much data and compute one run gets (the same for every recipe of an ablation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct YelpBudget {
    /// IMDb training reviews used (balanced; 0: all after the validation split).
    pub train_reviews: usize,
    /// Fraction of IMDb train held out for early stopping.
    pub valid_fraction: f64,
    /// IMDb validation reviews scored after each epoch (0: all held out).
    pub valid_reviews: usize,
    /// IMDb test reviews scored (0: all).
    pub test_reviews: usize,
    pub epochs: usize,
    /// Tokenizer vocabulary (specials and byte pieces included).
    pub vocab_size: usize,
    /// Longest training/evaluation sentence in tokens.
    pub sentence_max_len: usize,
    /// Longest whole review in tokens (training without sentence pieces, IMDb scoring).
    pub review_max_len: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub embedding_dim: usize,
    /// CNN channels per width, or LSTM hidden size per direction.
    pub width: usize,
    pub dropout: f64,
}

impl Default for YelpBudget {
    /// The final budget: all IMDb train reviews, 96-dim, 3 epochs (~2.5 min on 2 cores; the
    /// chosen recipe's validation peaked at epoch 3 of 4).
    fn default() -> Self {
        Self {
            train_reviews: 0,
            valid_fraction: 0.1,
            valid_reviews: 0,
            test_reviews: 0,
            epochs: 3,
            vocab_size: 8000,
            sentence_max_len: 64,
            review_max_len: 400,
            batch_size: 64,
            lr: 2e-3,
            embedding_dim: 96,
            width: 96,
            dropout: 0.5,
        }
    }
}

impl YelpBudget {
    /// A short description for row labels, e.g. `3000 reviews, 64-dim, 3 ep`.
    pub fn describe(&self) -> String {
        format!(
            "{}, {}-dim, {} ep",
            self.describe_reviews(),
            self.embedding_dim,
            self.epochs
        )
    }

    /// The training data part of [`Self::describe`], e.g. `3000 reviews`.
    pub fn describe_reviews(&self) -> String {
        match self.train_reviews {
            0 => "all reviews".to_string(),
            n => format!("{n} reviews"),
        }
    }

    /// The ablation's budget: 2000 reviews, 64-dim, 3 epochs, 2000 test reviews (~25 s a
    /// recipe on 2 cores, so every row gets four seeds: two left effects of a point unclear).
    pub fn ablation() -> Self {
        Self {
            train_reviews: 2000,
            valid_reviews: 500,
            test_reviews: 2000,
            epochs: 3,
            embedding_dim: 64,
            width: 64,
            ..Self::default()
        }
    }

    /// A budget small enough for a test (well under a minute).
    pub fn tiny() -> Self {
        Self {
            train_reviews: 1200,
            valid_reviews: 200,
            test_reviews: 400,
            epochs: 2,
            vocab_size: 3000,
            sentence_max_len: 48,
            review_max_len: 200,
            embedding_dim: 48,
            width: 48,
            dropout: 0.3,
            lr: 3e-3,
            ..Self::default()
        }
    }
}
