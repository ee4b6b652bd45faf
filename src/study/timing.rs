//! Where the wall time of one `figures` run went: data preparation (the tokenizer included),
//! every model run (batches, optimizer steps, validation, scoring), the TF-IDF baseline, the
//! IMDb → Yelp recipe and the report. Printed at the end of a run and kept in `results.json`.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The time of one run of the study, in wall seconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeBreakdown {
    /// Loading, normalizing and encoding every split, the tokenizer included.
    pub prepare_seconds: f64,
    /// Training the tokenizer, or loading it from the run cache.
    pub tokenizer_seconds: f64,
    pub tokenizer_cached: bool,
    /// Every model with every seed, in run order.
    pub models: Vec<ModelTime>,
    /// Wall time of all model runs (less than their sum when runs go side by side).
    pub models_wall_seconds: f64,
    /// Model runs (and recipe seeds) trained at once.
    pub jobs: usize,
    pub baseline_seconds: f64,
    /// The IMDb → Yelp recipe, every seed, and handing in the labels.
    pub yelp_recipe_seconds: f64,
    pub yelp_recipe_runs: Vec<RecipeRunTime>,
    /// Figures, CSVs, `results.json` and `REPORT.md`.
    pub report_seconds: f64,
    /// The whole run, the report included.
    pub total_seconds: f64,
}

/// One model with one seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelTime {
    pub model: String,
    pub seed: u64,
    /// Loaded from the run cache: nothing was trained.
    pub cached: bool,
    /// Optimizer steps taken.
    pub steps: usize,
    /// Building each epoch's batches (subword sampling, token dropout, padding).
    pub batch_seconds: f64,
    /// Forward, backward and update of every step.
    pub step_seconds: f64,
    /// Scoring the validation reviews after each epoch.
    pub validation_seconds: f64,
    /// Scoring IMDb test and Yelp after training, and the length and gradient analyses.
    pub eval_seconds: f64,
    /// Everything for this run, model construction and checkpoints included.
    pub total_seconds: f64,
}

impl ModelTime {
    /// Milliseconds per optimizer step (0 without steps).
    pub fn ms_per_step(&self) -> f64 {
        if self.steps == 0 {
            0.0
        } else {
            1000.0 * self.step_seconds / self.steps as f64
        }
    }

    /// Its line of [`TimeBreakdown::table`], under the columns the table heads.
    fn table_row(&self, out: &mut String) {
        if self.cached {
            let _ = writeln!(
                out,
                "{:<28}{:>6}{:>9.1}  (cached)",
                self.model, self.seed, self.total_seconds
            );
            return;
        }
        let _ = writeln!(
            out,
            "{:<28}{:>6}{:>9.1}{:>8}{:>9.1}{:>9.1}{:>9.1}{:>9.1}{:>9.1}",
            self.model,
            self.seed,
            self.total_seconds,
            self.steps,
            self.ms_per_step(),
            self.batch_seconds,
            self.step_seconds,
            self.validation_seconds,
            self.eval_seconds
        );
    }
}

/// One seed of the IMDb → Yelp recipe.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecipeRunTime {
    pub seed: u64,
    pub train_seconds: f64,
    /// Tokenizer, encoding, training and scoring.
    pub total_seconds: f64,
}

impl TimeBreakdown {
    /// All model runs' own times added up.
    pub fn models_seconds(&self) -> f64 {
        self.models.iter().map(|m| m.total_seconds).sum()
    }

    /// The breakdown as a plain-text table, one line per item.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let tokenizer = if self.tokenizer_cached {
            "loaded"
        } else {
            "trained"
        };
        let _ = writeln!(
            out,
            "{:<34}{:>9.1}  (tokenizer {tokenizer} in {:.1})",
            "data preparation", self.prepare_seconds, self.tokenizer_seconds
        );
        let _ = writeln!(
            out,
            "{:<28}{:>6}{:>9}{:>8}{:>9}{:>9}{:>9}{:>9}{:>9}",
            "model", "seed", "total", "steps", "ms/step", "batches", "steps s", "val s", "eval s"
        );
        for m in &self.models {
            m.table_row(&mut out);
        }
        let _ = writeln!(
            out,
            "{:<34}{:>9.1}  (their times add up to {:.1}; {} at a time)",
            "all models (wall)",
            self.models_wall_seconds,
            self.models_seconds(),
            self.jobs.max(1)
        );
        let _ = writeln!(
            out,
            "{:<34}{:>9.1}",
            "TF-IDF baseline", self.baseline_seconds
        );
        let seeds: Vec<String> = self
            .yelp_recipe_runs
            .iter()
            .map(|r| {
                format!(
                    "seed {}: {:.1} training, {:.1} in all",
                    r.seed, r.train_seconds, r.total_seconds
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "{:<34}{:>9.1}{}",
            "IMDb→Yelp recipe",
            self.yelp_recipe_seconds,
            if seeds.is_empty() {
                String::new()
            } else {
                format!("  ({})", seeds.join("; "))
            }
        );
        let _ = writeln!(
            out,
            "{:<34}{:>9.1}",
            "report and figures", self.report_seconds
        );
        let _ = writeln!(out, "{:<34}{:>9.1}", "total", self.total_seconds);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_part_and_older_results_load() {
        let breakdown = TimeBreakdown {
            prepare_seconds: 12.0,
            tokenizer_seconds: 8.0,
            models: vec![
                ModelTime {
                    model: "LSTM".into(),
                    steps: 200,
                    step_seconds: 30.0,
                    total_seconds: 40.0,
                    ..ModelTime::default()
                },
                ModelTime {
                    model: "CNN".into(),
                    cached: true,
                    total_seconds: 0.1,
                    ..ModelTime::default()
                },
            ],
            yelp_recipe_runs: vec![RecipeRunTime {
                seed: 0,
                train_seconds: 100.0,
                total_seconds: 120.0,
            }],
            total_seconds: 300.0,
            ..TimeBreakdown::default()
        };
        assert_eq!(breakdown.models[0].ms_per_step(), 150.0);
        assert_eq!(breakdown.models_seconds(), 40.1);
        let table = breakdown.table();
        for part in [
            "tokenizer trained in 8.0",
            "LSTM",
            "150.0",
            "(cached)",
            "seed 0: 100.0 training, 120.0 in all",
            "report and figures",
        ] {
            assert!(table.contains(part), "{part} missing from\n{table}");
        }
        let old: TimeBreakdown = serde_json::from_str(r#"{"prepare_seconds": 1.0}"#).unwrap();
        assert_eq!(old.prepare_seconds, 1.0);
        assert!(old.models.is_empty());
    }
}
