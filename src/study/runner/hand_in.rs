//! Question 8: which model's labels for `Yelp/reviews.txt` are handed in. The candidates are
//! the study's best model on Yelp/dev and the IMDb → Yelp recipe; neither saw Yelp text.

use std::path::PathBuf;

use anyhow::Context;

use super::StudyOptions;
use super::model_run::{YELP_PREDICTIONS, run_dir};
use crate::data::{Corpus, DataRoot};
use crate::study::experiments::model_config;
use crate::study::prepare::Prepared;
use crate::study::results::{RunResult, YelpResult, summaries_of};
use crate::study::settings::StudySettings;
use crate::study::timing::RecipeRunTime;
use crate::study::yelp::{YelpBudget, YelpStudyOptions, run_yelp_study, write_predictions};

/// A model that labeled `Yelp/reviews.txt`: its scores and where its labels are.
pub struct YelpCandidate {
    pub result: YelpResult,
    pub labels: PathBuf,
}

/// The study's model with the best mean Yelp/dev accuracy over its seeds (every run labeled
/// `Yelp/reviews.txt`; none saw Yelp text), at its seed with the best IMDb validation accuracy.
pub fn study_yelp_candidate(
    runs: &[RunResult],
    settings: &StudySettings,
    data: &Prepared,
    options: &StudyOptions,
) -> anyhow::Result<Option<YelpCandidate>> {
    let Some(best) = summaries_of(runs)
        .into_iter()
        .filter(|m| m.yelp_dev.mean.is_finite())
        .max_by(|a, b| a.yelp_dev.mean.total_cmp(&b.yelp_dev.mean))
    else {
        return Ok(None);
    };
    let model = best.model.as_str();
    let run = best
        .runs
        .iter()
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy))
        .expect("a summary has runs");
    let cfg = model_config(model, settings).context("no configuration for the chosen model")?;
    Ok(Some(YelpCandidate {
        result: YelpResult {
            model: format!("the study's {model}"),
            seed: run.seed,
            dev_accuracy: run.yelp_dev_accuracy,
            dev_count: data.yelp_dev.ids.len(),
            predicted_lines: data.yelp_reviews.ids.len(),
            positive_fraction: f32::NAN,
            imdb_test_accuracy: run.test_accuracy,
            other_candidates: Vec::new(),
            seed_runs: Vec::new(),
            dev_errors: None,
        },
        labels: run_dir(&options.runs_dir, model, &cfg, run.seed, settings).join(YELP_PREDICTIONS),
    }))
}

/// The IMDb → Yelp recipe ([`crate::study::yelp`]), trained on IMDb only with each of the
/// study's seeds (a run takes ~2.5 min); the seed with the best IMDb validation accuracy labels
/// Yelp.
/// Also returns each seed's time.
pub fn recipe_yelp_candidate(
    options: &StudyOptions,
    root: &DataRoot,
) -> anyhow::Result<(YelpCandidate, Vec<RecipeRunTime>)> {
    let dir = options.runs_dir.join("yelp-recipe");
    let mut opts = YelpStudyOptions::new(root.clone(), &dir);
    if options.quick {
        opts.budget = YelpBudget::tiny();
    }
    opts.seeds = options.seeds.clone();
    // The report shows whole-review IMDb accuracy only.
    opts.sentence_scores = false;
    let out = run_yelp_study(&opts)?;
    let seed_runs = out
        .runs
        .iter()
        .map(|r| (r.seed, r.yelp_dev, r.imdb_test))
        .collect();
    let times = out
        .runs
        .iter()
        .map(|r| RecipeRunTime {
            seed: r.seed,
            train_seconds: r.train_seconds,
            total_seconds: r.total_seconds,
        })
        .collect();
    let candidate = YelpCandidate {
        result: YelpResult {
            model: format!("the IMDb→Yelp recipe ({})", out.chosen.switches),
            seed: out.chosen.seed,
            dev_accuracy: out.chosen.yelp_dev,
            dev_count: root.labeled(Corpus::YelpDev)?.len(),
            predicted_lines: out.predicted_lines,
            positive_fraction: out.positive_fraction,
            imdb_test_accuracy: out.chosen.imdb_test,
            other_candidates: Vec::new(),
            seed_runs,
            dev_errors: Some(out.chosen_errors),
        },
        labels: out.predictions_path,
    };
    Ok((candidate, times))
}

/// Of the candidates, the one with the best Yelp/dev accuracy (a leaderboard pick among
/// finished models, which the task allows) has its labels copied to
/// `out_dir/yelp_predictions.txt`.
pub fn hand_in_yelp(
    candidates: Vec<YelpCandidate>,
    options: &StudyOptions,
) -> anyhow::Result<YelpResult> {
    let others: Vec<(String, f32)> = candidates
        .iter()
        .map(|c| (c.result.model.clone(), c.result.dev_accuracy))
        .collect();
    let best = candidates
        .into_iter()
        .max_by(|a, b| a.result.dev_accuracy.total_cmp(&b.result.dev_accuracy))
        .context("question 8 needs a model that labeled Yelp/reviews.txt")?;
    let text = std::fs::read_to_string(&best.labels).with_context(|| {
        format!(
            "{}: the Yelp labels are missing (delete the run's folder to retrain it)",
            best.labels.display()
        )
    })?;
    let labels: Vec<usize> = text.lines().map(|l| usize::from(l == "1")).collect();
    anyhow::ensure!(
        labels.len() == best.result.predicted_lines,
        "{}: {} lines, expected one per line of Yelp/reviews.txt ({})",
        best.labels.display(),
        labels.len(),
        best.result.predicted_lines
    );
    write_predictions(&options.out_dir.join(YELP_PREDICTIONS), &labels)?;
    let positives = labels.iter().filter(|&&l| l == 1).count();
    Ok(YelpResult {
        positive_fraction: positives as f32 / labels.len().max(1) as f32,
        other_candidates: others
            .into_iter()
            .filter(|(m, _)| *m != best.result.model)
            .collect(),
        ..best.result
    })
}
