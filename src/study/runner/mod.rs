//! Runs the selected experiments over seeds, caching every finished run under `runs/` so an
//! interrupted study resumes; the caller writes the figures and `REPORT.md` from the results.

mod baseline_run;
mod hand_in;
mod model_run;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use super::experiments::{self, Question, model_config, names};
use super::jobs::run_jobs;
use super::prepare::{Prepared, prepare};
use super::results::{RunMeta, RunResult, StudyResults};
use super::settings::StudySettings;
use super::timing::{ModelTime, TimeBreakdown};
use crate::data::data_root;
use crate::nn::config::ModelConfig;
use baseline_run::run_baseline;
use hand_in::{hand_in_yelp, recipe_yelp_candidate, study_yelp_comparison};
use model_run::ModelRun;
pub use model_run::slug;

/// What to run and where to write it.
#[derive(Clone, Debug)]
pub struct StudyOptions {
    /// Question keys or numbers; empty = all.
    pub only: Vec<String>,
    /// Model names to train among the selected questions' models; empty = all of them.
    pub models: Vec<String>,
    /// The quick profile (small data, few epochs) instead of the full one.
    pub quick: bool,
    /// A JSON file whose fields override the profile's [`StudySettings`].
    pub settings: Option<PathBuf>,
    /// Overrides the profile's epoch budget.
    pub epochs: Option<usize>,
    /// Every model is trained once per seed.
    pub seeds: Vec<u64>,
    /// How many training runs go at once (see [`crate::study::jobs`]).
    pub jobs: usize,
    /// Hide the training progress bars (also hidden when runs go in parallel).
    pub quiet: bool,
    /// The `--data-dir` flag: the data root, over env `SENTIMENT_RNN_DATA` and `./datasets`.
    pub data_dir: Option<PathBuf>,
    /// The run cache.
    pub runs_dir: PathBuf,
    /// Where the handed-in `yelp_predictions.txt` goes (next to the figures).
    pub out_dir: PathBuf,
    /// The command line, for the report.
    pub command: String,
}

/// The CPU model name from `/proc/cpuinfo` (or "unknown CPU").
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// The profile's settings with the settings file and `--epochs` put over them.
fn study_settings(options: &StudyOptions) -> anyhow::Result<StudySettings> {
    let mut settings = if options.quick {
        StudySettings::quick()
    } else {
        StudySettings::full()
    };
    if let Some(path) = &options.settings {
        settings = settings.overridden_by(path)?;
    }
    if let Some(epochs) = options.epochs {
        anyhow::ensure!(epochs > 0, "--epochs: expected an integer ≥ 1, got 0");
        settings.train.epochs = epochs;
    }
    Ok(settings)
}

/// The selected questions' models, narrowed to `--models` when given.
fn selected_models(
    selected: &[Question],
    options: &StudyOptions,
) -> anyhow::Result<Vec<&'static str>> {
    let mut models = experiments::models_for(selected);
    if options.models.is_empty() {
        return Ok(models);
    }
    // Names contain commas ("BiLSTM, max"), so they are matched by slug ("bilstm-max").
    for wanted in &options.models {
        anyhow::ensure!(
            models.iter().any(|n| slug(n) == slug(wanted)),
            "--models: unknown model `{wanted}` (expected one of: {})",
            models
                .iter()
                .map(|n| slug(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    models.retain(|n| options.models.iter().any(|m| slug(n) == slug(m)));
    Ok(models)
}

/// Every selected model with every seed; returns the runs and their times.
fn train_models(
    selected: &[Question],
    models: &[&'static str],
    settings: &StudySettings,
    data: &Prepared,
    options: &StudyOptions,
) -> anyhow::Result<(Vec<RunResult>, Vec<ModelTime>)> {
    let analysed: Vec<&str> = if selected.contains(&Question::Rnn) {
        vec![names::RNN, names::LSTM, names::CNN]
    } else {
        Vec::new()
    };
    let configs = models
        .iter()
        .map(|&name| {
            model_config(name, settings)
                .with_context(|| format!("no configuration for model {name}"))
                .map(|cfg| (name, cfg))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let plan: Vec<(&str, &ModelConfig, u64)> = configs
        .iter()
        .flat_map(|(name, cfg)| options.seeds.iter().map(move |&seed| (*name, cfg, seed)))
        .collect();
    let finished = run_jobs(options.jobs, plan.len(), |i| {
        let (name, cfg, seed) = plan[i];
        ModelRun {
            name,
            cfg,
            seed,
            settings,
            data,
            options,
            analyse: analysed.contains(&name),
        }
        .run()
    })?;
    let (runs, times) = finished.into_iter().unzip();
    Ok((runs, times))
}

/// How this invocation ran, for the report.
fn run_meta(
    selected: &[Question],
    settings: &StudySettings,
    data: &Prepared,
    options: &StudyOptions,
) -> RunMeta {
    RunMeta {
        command: options.command.clone(),
        questions: experiments::questions()
            .iter()
            .filter(|q| selected.contains(&q.id))
            .map(|q| q.key.to_string())
            .collect(),
        seeds: options.seeds.clone(),
        epochs: settings.train.epochs,
        quick: options.quick,
        wall_seconds: 0.0,
        cached_runs: 0,
        cpu_model: cpu_model(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        train_reviews: data.train.ids.len(),
        val_reviews: data.val.ids.len(),
        test_reviews: data.test.ids.len(),
        max_len: settings.max_len,
        batch_size: settings.train.batch_size,
        lr: settings.train.lr,
        clip_norm: settings.train.clip_norm,
        schedule: settings.train.schedule,
        augment: settings.augment.clone(),
        train_examples: data.fit.ids.len(),
        timing: None,
    }
}

/// Runs the study (training what the run cache lacks) and hands in the Yelp labels; returns
/// the results for the report.
pub fn run_study(options: &StudyOptions) -> anyhow::Result<StudyResults> {
    let start = Instant::now();
    let selected = experiments::select(&options.only)?;
    anyhow::ensure!(
        !options.seeds.is_empty(),
        "--seeds: expected at least one seed"
    );
    // Checked before any data is loaded.
    let models = selected_models(&selected, options)?;
    let settings = study_settings(options)?;
    let root = data_root(options.data_dir.as_deref());
    log(&format!("data root {root}"));
    let prepare_start = Instant::now();
    let data = prepare(&root, &settings, &options.runs_dir, &log)?;
    let mut timing = TimeBreakdown {
        prepare_seconds: prepare_start.elapsed().as_secs_f64(),
        tokenizer_seconds: data.tokenizer_seconds,
        tokenizer_cached: data.tokenizer_cached,
        ..TimeBreakdown::default()
    };
    log(&format!(
        "{} train / {} validation / {} test reviews, vocabulary {}",
        data.train.ids.len(),
        data.val.ids.len(),
        data.test.ids.len(),
        data.tokenizer.vocab_size()
    ));
    let models_start = Instant::now();
    let (runs, model_times) = train_models(&selected, &models, &settings, &data, options)?;
    timing.models_wall_seconds = models_start.elapsed().as_secs_f64();
    timing.jobs = options.jobs;
    let cached_runs = model_times.iter().filter(|t| t.cached).count();
    timing.models = model_times;
    let baseline_start = Instant::now();
    let baseline = if selected.contains(&Question::Baseline) {
        vec![run_baseline(&data, options, &settings)?]
    } else {
        Vec::new()
    };
    timing.baseline_seconds = baseline_start.elapsed().as_secs_f64();
    let yelp_start = Instant::now();
    let yelp = if selected.contains(&Question::Yelp) {
        let (recipe, recipe_runs) = recipe_yelp_candidate(options, &root)?;
        timing.yelp_recipe_runs = recipe_runs;
        let compared = study_yelp_comparison(&runs).into_iter().collect();
        let handed_in = hand_in_yelp(recipe, compared, options)?;
        log(&format!(
            "Yelp: {} on dev {:.2}%",
            handed_in.model,
            handed_in.dev_accuracy * 100.0
        ));
        Some(handed_in)
    } else {
        None
    };
    timing.yelp_recipe_seconds = yelp_start.elapsed().as_secs_f64();
    let wall_seconds = start.elapsed().as_secs_f64();
    timing.total_seconds = wall_seconds;
    let meta = RunMeta {
        wall_seconds,
        cached_runs,
        timing: Some(timing),
        ..run_meta(&selected, &settings, &data, options)
    };
    Ok(StudyResults {
        meta,
        tokenizer: selected
            .contains(&Question::Tokenizer)
            .then(|| data.tokenizer_stats.clone()),
        runs,
        baseline,
        yelp,
    })
}

fn log(msg: &str) {
    eprintln!("[figures] {msg}");
}
