//! Runs a recipe over seeds (and optionally its ablation) and writes the labels of the seed
//! with the best IMDb validation accuracy (never chosen on Yelp).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::ablation::{YelpRun, ablation_recipes, fit_anchor, write_ablation_csv};
use super::budget::YelpBudget;
use super::data::YelpData;
use super::fit::{FittedRecipe, PreparedRecipe};
use super::recipe::YelpRecipe;
use crate::data::DataRoot;
use crate::study::jobs::{default_jobs, run_jobs};
use crate::study::yelp_errors::YelpDevErrors;

/// Writes one `0`/`1` per line (1 = positive), `\n`-terminated, for all `Yelp/reviews.txt`
/// lines. Refuses label values other than 0/1 and a count other than `expected` (when given).
pub fn write_predictions(path: &Path, labels: &[usize]) -> Result<()> {
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l > 1) {
        anyhow::bail!("prediction {i} is {l} (expected 0 or 1)");
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut s = String::with_capacity(labels.len() * 2);
    for l in labels {
        s.push(if *l == 1 { '1' } else { '0' });
        s.push('\n');
    }
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

/// What [`run_yelp_study`] does.
#[derive(Clone, Debug)]
pub struct YelpStudyOptions {
    pub data_root: DataRoot,
    /// Where `yelp_predictions.txt` and `yelp_ablation.csv` go.
    pub out_dir: PathBuf,
    pub recipe: YelpRecipe,
    pub budget: YelpBudget,
    pub seeds: Vec<u64>,
    /// Also run every ingredient off (each with every seed) and the TF-IDF anchor.
    pub ablation: bool,
    /// Only the ablation rows whose label contains one of these (empty: every row).
    pub only_rows: Vec<String>,
    /// The ablation's CSV file name in `out_dir`.
    pub csv_name: String,
    /// Also score IMDb test as the mean over each review's sentences (a diagnostic of the
    /// ablation table; off, the runs report it as NaN and skip that scoring).
    pub sentence_scores: bool,
    /// How many seeds train at once (see [`crate::study::jobs`]).
    pub jobs: usize,
}

impl YelpStudyOptions {
    /// The chosen recipe with the default budget and seed 0, no ablation.
    pub fn new(data_root: DataRoot, out_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_root,
            out_dir: out_dir.into(),
            recipe: YelpRecipe::chosen(),
            budget: YelpBudget::default(),
            seeds: vec![0],
            ablation: false,
            only_rows: Vec::new(),
            csv_name: "yelp_ablation.csv".into(),
            sentence_scores: true,
            jobs: default_jobs(),
        }
    }
}

/// The outcome of [`run_yelp_study`].
#[derive(Clone, Debug)]
pub struct YelpOutcome {
    /// The run whose predictions were written: the recipe's seed with the best IMDb
    /// validation accuracy (the first on a tie).
    pub chosen: YelpRun,
    /// The chosen run's errors on Yelp/dev.
    pub chosen_errors: YelpDevErrors,
    /// Every run, anchor and ablation rows included.
    pub runs: Vec<YelpRun>,
    pub predictions_path: PathBuf,
    pub predicted_lines: usize,
    pub positive_fraction: f32,
}

fn log_run(r: &YelpRun) {
    eprintln!(
        "yelp: {} (seed {}): Yelp/dev {:.3}, IMDb test {:.3} (sentence mean {:.3}), {:.0}s",
        r.label, r.seed, r.yelp_dev, r.imdb_test, r.imdb_test_sentences, r.total_seconds
    );
}

/// Fits a prepared recipe once per seed, `jobs` seeds at a time, in seed order.
fn fit_seeds(
    prepared: &PreparedRecipe,
    seeds: &[u64],
    label: &str,
    jobs: usize,
) -> Result<Vec<FittedRecipe>> {
    run_jobs(jobs, seeds.len(), |i| {
        let fitted = prepared.fit(seeds[i], label)?;
        log_run(&fitted.run);
        Ok(fitted)
    })
}

/// Trains the recipe (each seed), optionally the ablation, and writes either
/// `out_dir/yelp_predictions.txt` from the seed with the best IMDb validation accuracy or,
/// with the ablation,
/// `out_dir/yelp_ablation.csv` (its reduced-budget labels go to the temporary folder).
pub fn run_yelp_study(opts: &YelpStudyOptions) -> Result<YelpOutcome> {
    let mut data = YelpData::load(&opts.data_root)?;
    if opts.recipe.more_imdb {
        data = data.with_acl_imdb(&opts.data_root)?;
    }
    if opts.recipe.lexicon.any() {
        data = data.with_lexicon(&opts.data_root)?;
    }
    let mut runs = Vec::new();
    let mut best: Option<FittedRecipe> = None;
    let prepared = PreparedRecipe::new(&opts.recipe, &opts.budget, &data, opts.sentence_scores)?;
    let label = format!("full recipe [{}]", opts.budget.describe());
    for f in fit_seeds(&prepared, &opts.seeds, &label, opts.jobs)? {
        runs.push(f.run.clone());
        // Seeds are chosen on IMDb validation, never on Yelp.
        if best
            .as_ref()
            .is_none_or(|b| f.run.imdb_val > b.run.imdb_val)
        {
            best = Some(f);
        }
    }
    let best = best.context("no seeds given")?;
    if opts.ablation {
        // Every ingredient off, with every seed: one seed cannot tell a point from noise.
        let rows = ablation_recipes(&opts.recipe, &opts.budget)
            .into_iter()
            .skip(1);
        let wanted = |label: &String| {
            opts.only_rows.is_empty() || opts.only_rows.iter().any(|w| label.contains(w.as_str()))
        };
        for (label, r) in rows.filter(|(l, _)| wanted(l)) {
            let label = format!("{label} [{}]", opts.budget.describe());
            let prepared = PreparedRecipe::new(&r, &opts.budget, &data, opts.sentence_scores)?;
            let fitted = fit_seeds(&prepared, &opts.seeds, &label, opts.jobs)?;
            runs.extend(fitted.into_iter().map(|f| f.run));
        }
        // The anchor without, and (when the recipe reads it) with, the lexicon features.
        let lexicons = std::iter::once(None).chain(data.lexicon.as_ref().map(Some));
        for lexicon in lexicons {
            let anchor = fit_anchor(&opts.budget, &data, lexicon)?;
            log_run(&anchor);
            runs.push(anchor);
        }
    }
    // An ablation's model has the smaller budget: its labels must not replace the handed-in
    // file, so they go to the temporary folder.
    let predictions_path = if opts.ablation {
        std::env::temp_dir().join(format!(
            "sentiment-rnn-yelp-ablation-{}.txt",
            std::process::id()
        ))
    } else {
        opts.out_dir.join("yelp_predictions.txt")
    };
    write_predictions(&predictions_path, &best.predictions)?;
    // Without the ablation there is nothing to tabulate; an earlier ablation's file stays.
    if opts.ablation {
        write_ablation_csv(&opts.out_dir.join(&opts.csv_name), &runs)?;
    }
    let positives = best.predictions.iter().filter(|&&l| l == 1).count();
    Ok(YelpOutcome {
        chosen: best.run.clone(),
        chosen_errors: best.dev_errors.clone(),
        runs,
        predictions_path,
        predicted_lines: best.predictions.len(),
        positive_fraction: positives as f32 / best.predictions.len().max(1) as f32,
    })
}
