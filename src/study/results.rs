//! What the study measures, in plain serializable records, and their mean ± std summaries.
//!
//! The runner produces these, the report reads them; `results.json` in the output folder
//! holds one [`StudyResults`] and the CSV files flatten it for other tools.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use super::analysis::BucketAccuracy;
use super::timing::TimeBreakdown;
use super::yelp_errors::YelpDevErrors;
use crate::train::metrics::{EpochRecord, write_csv};

/// One trained model: one configuration with one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Display name of the configuration, unique within the study.
    pub model: String,
    /// Model family: cnn, rnn or lstm.
    pub kind: String,
    pub seed: u64,
    pub params: usize,
    pub best_epoch: usize,
    pub val_accuracy: f32,
    pub test_accuracy: f32,
    /// Accuracy on the labeled Yelp/dev sentences (out of distribution; never trained on).
    #[serde(default = "nan")]
    pub yelp_dev_accuracy: f32,
    pub train_seconds: f64,
    pub epochs: Vec<EpochRecord>,
    /// Test accuracy by review length (empty when not analysed).
    #[serde(default)]
    pub length_buckets: Vec<BucketAccuracy>,
    /// Mean ‖∂L/∂h_t‖ by distance from the last real token (index 0 = last token).
    #[serde(default)]
    pub grad_flow: Vec<f32>,
}

/// Token statistics of the trained tokenizer on the training reviews (question 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenizerStats {
    pub vocab_size: usize,
    pub reviews: usize,
    pub mean_tokens: f64,
    pub median_tokens: usize,
    pub p95_tokens: usize,
    pub max_tokens: usize,
    /// Fraction of tokens that are the unknown token.
    pub unknown_rate: f64,
    /// Fraction of reviews with at least one unknown token.
    pub reviews_with_unknown: f64,
    /// Fraction of reviews longer than the models' `max_len`.
    pub truncated_fraction: f64,
    pub max_len: usize,
    pub train_seconds: f64,
    /// Token counts of the training reviews (for the histogram).
    pub lengths: Vec<usize>,
}

/// The TF-IDF logistic-regression baseline (question 9).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineResult {
    pub seed: u64,
    pub params: usize,
    pub val_accuracy: f32,
    pub test_accuracy: f32,
    /// Accuracy on the labeled Yelp/dev sentences (never trained on).
    #[serde(default = "nan")]
    pub yelp_dev_accuracy: f32,
    pub train_seconds: f64,
}

/// The best model applied to Yelp (question 8); it is never trained on Yelp.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YelpResult {
    pub model: String,
    pub seed: u64,
    /// Accuracy on the labeled Yelp/dev sentences.
    pub dev_accuracy: f32,
    pub dev_count: usize,
    /// Lines written to `yelp_predictions.txt`.
    pub predicted_lines: usize,
    pub positive_fraction: f32,
    /// The same model's IMDb test accuracy, for contrast.
    pub imdb_test_accuracy: f32,
    /// The parts of the VADER lexicon the handed-in model reads, in words (empty: none).
    #[serde(default)]
    pub lexicon_parts: Vec<String>,
    /// Models shown beside the hand-in (never handed in), with their Yelp/dev accuracy.
    #[serde(default, alias = "other_candidates")]
    pub compared: Vec<(String, f32)>,
    /// Every seed the handed-in model was trained with: `(seed, Yelp/dev, IMDb test)`
    /// accuracies (the handed-in seed is one of them; empty for older results).
    #[serde(default)]
    pub seed_runs: Vec<(u64, f32, f32)>,
    /// Where the handed-in model goes wrong on Yelp/dev (absent for the study's models).
    #[serde(default)]
    pub dev_errors: Option<YelpDevErrors>,
}

/// How the study was run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    pub command: String,
    /// Keys of the questions this invocation answered (empty: all).
    #[serde(default)]
    pub questions: Vec<String>,
    pub seeds: Vec<u64>,
    pub epochs: usize,
    pub quick: bool,
    pub wall_seconds: f64,
    /// Runs loaded from the run cache instead of trained by this invocation.
    #[serde(default)]
    pub cached_runs: usize,
    pub cpu_model: String,
    pub threads: usize,
    pub train_reviews: usize,
    pub val_reviews: usize,
    pub test_reviews: usize,
    pub max_len: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub clip_norm: Option<f32>,
    #[serde(default)]
    pub schedule: crate::train::Schedule,
    /// How the training examples were cut and resampled.
    #[serde(default)]
    pub augment: crate::data::augment::Augmentation,
    /// Training examples per epoch (reviews, or their sentences).
    #[serde(default)]
    pub train_examples: usize,
    /// Where the run's wall time went (absent in results from before it was measured).
    #[serde(default)]
    pub timing: Option<TimeBreakdown>,
}

/// Everything the report is made from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StudyResults {
    pub meta: RunMeta,
    pub tokenizer: Option<TokenizerStats>,
    pub runs: Vec<RunResult>,
    pub baseline: Vec<BaselineResult>,
    pub yelp: Option<YelpResult>,
}

/// Mean and sample standard deviation (0 for a single value).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
    pub n: usize,
}

impl MeanStd {
    /// Summarises `xs` (an empty slice gives NaN mean).
    pub fn of(xs: &[f64]) -> Self {
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let std = if n > 1 {
            (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        } else {
            0.0
        };
        Self { mean, std, n }
    }

    /// `87.12 ± 0.40` in percent; just `87.12` for a single value (its spread is unknown, not 0).
    pub fn percent(&self) -> String {
        if self.n < 2 {
            format!("{:.2}", self.mean * 100.0)
        } else {
            format!("{:.2} ± {:.2}", self.mean * 100.0, self.std * 100.0)
        }
    }
}

/// The seeds of one configuration, summarised.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSummary {
    pub model: String,
    pub kind: String,
    pub params: usize,
    pub test: MeanStd,
    pub val: MeanStd,
    /// Out-of-distribution accuracy on Yelp/dev (NaN mean for runs from before it was kept).
    pub yelp_dev: MeanStd,
    pub train_seconds: MeanStd,
    pub seconds_per_epoch: f64,
    pub runs: Vec<RunResult>,
}

impl StudyResults {
    /// One summary per model name, in first-seen order.
    pub fn summaries(&self) -> Vec<ModelSummary> {
        summaries_of(&self.runs)
    }

    /// The summary of one model, if it was run.
    pub fn summary(&self, model: &str) -> Option<ModelSummary> {
        self.summaries().into_iter().find(|s| s.model == model)
    }

    /// The baseline's Yelp/dev accuracy over its seeds.
    pub fn baseline_yelp_dev(&self) -> Option<MeanStd> {
        (!self.baseline.is_empty()).then(|| {
            MeanStd::of(
                &self
                    .baseline
                    .iter()
                    .map(|b| b.yelp_dev_accuracy as f64)
                    .collect::<Vec<_>>(),
            )
        })
    }

    /// The baseline over its seeds.
    pub fn baseline_summary(&self) -> Option<(MeanStd, MeanStd, usize)> {
        if self.baseline.is_empty() {
            return None;
        }
        let t: Vec<f64> = self
            .baseline
            .iter()
            .map(|b| b.test_accuracy as f64)
            .collect();
        let v: Vec<f64> = self
            .baseline
            .iter()
            .map(|b| b.val_accuracy as f64)
            .collect();
        Some((MeanStd::of(&t), MeanStd::of(&v), self.baseline[0].params))
    }

    /// Writes `results.json` and the flat CSV files into `dir`.
    pub fn save(&self, dir: &Path) -> anyhow::Result<()> {
        self.save_json(dir)?;
        write_csv(
            &dir.join("runs.csv"),
            &self.runs.iter().map(RunRow::from).collect::<Vec<_>>(),
        )?;
        let mut curves = Vec::new();
        let mut buckets = Vec::new();
        let mut flow = Vec::new();
        for r in &self.runs {
            for e in &r.epochs {
                curves.push(CurveRow {
                    model: r.model.clone(),
                    seed: r.seed,
                    epoch: e.epoch,
                    train_loss: e.train_loss,
                    train_accuracy: e.train_accuracy,
                    val_loss: e.val_loss,
                    val_accuracy: e.val_accuracy,
                    seconds: e.seconds,
                });
            }
            for b in &r.length_buckets {
                buckets.push(BucketRow {
                    model: r.model.clone(),
                    seed: r.seed,
                    min_tokens: b.min_tokens,
                    max_tokens: b.max_tokens,
                    count: b.count,
                    accuracy: b.accuracy,
                });
            }
            for (d, g) in r.grad_flow.iter().enumerate() {
                flow.push(FlowRow {
                    model: r.model.clone(),
                    seed: r.seed,
                    distance: d,
                    grad_norm: *g,
                });
            }
        }
        write_csv(&dir.join("learning_curves.csv"), &curves)?;
        write_csv(&dir.join("length_buckets.csv"), &buckets)?;
        write_csv(&dir.join("grad_flow.csv"), &flow)?;
        write_csv(&dir.join("baseline.csv"), &self.baseline)?;
        Ok(())
    }

    /// Writes `results.json` alone into `dir`.
    pub fn save_json(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(
            dir.join("results.json"),
            serde_json::to_string_pretty(self)?,
        )?;
        Ok(())
    }

    /// Reads `results.json` from `dir`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let p = dir.join("results.json");
        let text =
            std::fs::read_to_string(&p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))
    }
}

/// One summary per model name of `runs`, in first-seen order.
pub fn summaries_of(runs: &[RunResult]) -> Vec<ModelSummary> {
    let mut order: Vec<String> = Vec::new();
    let mut groups: BTreeMap<String, Vec<RunResult>> = BTreeMap::new();
    for r in runs {
        if !groups.contains_key(&r.model) {
            order.push(r.model.clone());
        }
        groups.entry(r.model.clone()).or_default().push(r.clone());
    }
    order
        .into_iter()
        .map(|m| {
            let runs = groups.remove(&m).unwrap_or_default();
            summarize(m, runs)
        })
        .collect()
}

fn summarize(model: String, runs: Vec<RunResult>) -> ModelSummary {
    let f = |g: fn(&RunResult) -> f64| MeanStd::of(&runs.iter().map(g).collect::<Vec<_>>());
    let epochs: usize = runs.iter().map(|r| r.epochs.len()).sum();
    let secs: f64 = runs.iter().map(|r| r.train_seconds).sum();
    ModelSummary {
        kind: runs.first().map(|r| r.kind.clone()).unwrap_or_default(),
        params: runs.first().map_or(0, |r| r.params),
        test: f(|r| r.test_accuracy as f64),
        val: f(|r| r.val_accuracy as f64),
        yelp_dev: f(|r| r.yelp_dev_accuracy as f64),
        train_seconds: f(|r| r.train_seconds),
        seconds_per_epoch: if epochs == 0 {
            0.0
        } else {
            secs / epochs as f64
        },
        model,
        runs,
    }
}

#[derive(Serialize)]
struct RunRow {
    model: String,
    kind: String,
    seed: u64,
    params: usize,
    best_epoch: usize,
    val_accuracy: f32,
    test_accuracy: f32,
    yelp_dev_accuracy: f32,
    train_seconds: f64,
}

impl From<&RunResult> for RunRow {
    fn from(r: &RunResult) -> Self {
        Self {
            model: r.model.clone(),
            kind: r.kind.clone(),
            seed: r.seed,
            params: r.params,
            best_epoch: r.best_epoch,
            val_accuracy: r.val_accuracy,
            test_accuracy: r.test_accuracy,
            yelp_dev_accuracy: r.yelp_dev_accuracy,
            train_seconds: r.train_seconds,
        }
    }
}

#[derive(Serialize)]
struct CurveRow {
    model: String,
    seed: u64,
    epoch: usize,
    train_loss: f32,
    train_accuracy: f32,
    val_loss: f32,
    val_accuracy: f32,
    seconds: f64,
}

#[derive(Serialize)]
struct BucketRow {
    model: String,
    seed: u64,
    min_tokens: usize,
    max_tokens: usize,
    count: usize,
    accuracy: f32,
}

#[derive(Serialize)]
struct FlowRow {
    model: String,
    seed: u64,
    distance: usize,
    grad_norm: f32,
}

/// Serde default of accuracies that older result files lack.
fn nan() -> f32 {
    f32::NAN
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_matches_hand_computation() {
        let s = MeanStd::of(&[0.8, 0.9, 1.0]);
        assert!((s.mean - 0.9).abs() < 1e-12);
        assert!((s.std - 0.1).abs() < 1e-12);
        assert_eq!(MeanStd::of(&[0.5]).std, 0.0);
        assert_eq!(s.percent(), "90.00 ± 10.00");
        assert_eq!(MeanStd::of(&[0.5]).percent(), "50.00");
    }
}
