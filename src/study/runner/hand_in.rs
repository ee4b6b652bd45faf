//! Question 8: the labels for `Yelp/reviews.txt` handed in come from the IMDb → Yelp recipe
//! at its seed with the best IMDb validation accuracy; nothing is picked on Yelp. The study's
//! best model on Yelp/dev is shown beside it.

use std::path::PathBuf;

use anyhow::Context;

use super::StudyOptions;
use super::model_run::YELP_PREDICTIONS;
use crate::data::{Corpus, DataRoot};
use crate::study::results::{RunResult, YelpResult, summaries_of};
use crate::study::timing::RecipeRunTime;
use crate::study::yelp::{YelpBudget, YelpStudyOptions, run_yelp_study, write_predictions};

/// A model that labeled `Yelp/reviews.txt`: its scores and where its labels are.
pub struct YelpCandidate {
    pub result: YelpResult,
    pub labels: PathBuf,
}

/// The study's model with the best mean Yelp/dev accuracy over its seeds (every run labeled
/// `Yelp/reviews.txt`; none saw Yelp text), as `(name, Yelp/dev accuracy)` at its seed with the
/// best IMDb validation accuracy: shown beside the hand-in, never handed in itself.
pub fn study_yelp_comparison(runs: &[RunResult]) -> Option<(String, f32)> {
    let best = summaries_of(runs)
        .into_iter()
        .filter(|m| m.yelp_dev.mean.is_finite())
        .max_by(|a, b| a.yelp_dev.mean.total_cmp(&b.yelp_dev.mean))?;
    let run = best
        .runs
        .iter()
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy))?;
    Some((
        format!("the study's {} (seed {})", best.model, run.seed),
        run.yelp_dev_accuracy,
    ))
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
    opts.jobs = options.jobs;
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
            lexicon_parts: opts
                .recipe
                .lexicon
                .parts()
                .iter()
                .map(|p| p.to_string())
                .collect(),
            compared: Vec::new(),
            seed_runs,
            dev_errors: Some(out.chosen_errors),
        },
        labels: out.predictions_path,
    };
    Ok((candidate, times))
}

/// Hands in the recipe's labels: copies them to `out_dir/yelp_predictions.txt`. The recipe
/// was fixed before, and its seed picked on IMDb validation; `compared` (models shown beside it)
/// only enters the report.
pub fn hand_in_yelp(
    recipe: YelpCandidate,
    compared: Vec<(String, f32)>,
    options: &StudyOptions,
) -> anyhow::Result<YelpResult> {
    let text = std::fs::read_to_string(&recipe.labels).with_context(|| {
        format!(
            "{}: the Yelp labels are missing (delete the run's folder to retrain it)",
            recipe.labels.display()
        )
    })?;
    let labels: Vec<usize> = text.lines().map(|l| usize::from(l == "1")).collect();
    anyhow::ensure!(
        labels.len() == recipe.result.predicted_lines,
        "{}: {} lines, expected one per line of Yelp/reviews.txt ({})",
        recipe.labels.display(),
        labels.len(),
        recipe.result.predicted_lines
    );
    write_predictions(&options.out_dir.join(YELP_PREDICTIONS), &labels)?;
    let positives = labels.iter().filter(|&&l| l == 1).count();
    Ok(YelpResult {
        positive_fraction: positives as f32 / labels.len().max(1) as f32,
        compared,
        ..recipe.result
    })
}
