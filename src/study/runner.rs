//! Runs the selected experiments over seeds, caching every finished run under `runs/` so an
//! interrupted study resumes, then writes the CSVs, figures and `REPORT.md`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use dfdx::prelude::*;

use super::analysis::{bucket_accuracy, grad_flow, length_edges};
use super::baseline::{BaselineConfig, TfidfLogReg};
use super::experiments::{self, Question, model_config, names};
use super::prepare::{Encoded, Prepared, prepare, short_hash};
use super::results::{BaselineResult, RunMeta, RunResult, StudyResults, YelpResult, summaries_of};
use super::settings::StudySettings;
use super::yelp::{YelpBudget, YelpStudyOptions, run_yelp_study, write_predictions};
use crate::data::augment::epoch_sequences;
use crate::data::{Corpus, DataLoader, DataRoot, LoaderConfig, LoaderError, data_root};
use crate::nn::classifier::Classifier;
use crate::nn::config::ModelConfig;
use crate::report::figures::{FigurePlan, write_figures};
use crate::report::markdown::{ReportInputs, write_report};
use crate::train::checkpoint::Checkpoint;
use crate::train::{Trainer, evaluate};

/// What to run and where to write it.
#[derive(Clone, Debug)]
pub struct StudyOptions {
    pub seeds: Vec<u64>,
    /// Overrides the profile's epoch budget.
    pub epochs: Option<usize>,
    /// Question keys or numbers; empty = all.
    pub only: Vec<String>,
    /// Model names to train among the selected questions' models; empty = all of them.
    pub models: Vec<String>,
    pub quick: bool,
    /// Figures, CSVs, `results.json` and `yelp_predictions.txt`.
    pub out_dir: PathBuf,
    pub report_path: PathBuf,
    /// The run cache.
    pub runs_dir: PathBuf,
    pub data_dir: Option<PathBuf>,
    pub quiet: bool,
    /// A JSON file whose fields override the profile's [`StudySettings`].
    pub settings: Option<PathBuf>,
    /// The command line, for the report.
    pub command: String,
}

/// Each run's labels for `Yelp/reviews.txt`, in its run folder (the handed-in file is a copy).
const YELP_PREDICTIONS: &str = "yelp_predictions.txt";

fn log(msg: &str) {
    eprintln!("[figures] {msg}");
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Loader settings shared by every split; only shuffling differs.
fn loader_config(s: &StudySettings, pad_id: u32, shuffle: bool, seed: u64) -> LoaderConfig {
    LoaderConfig {
        batch_size: s.train.batch_size,
        max_len: s.max_len,
        pad_id,
        shuffle,
        seed,
        ..LoaderConfig::default()
    }
}

/// Evaluation batches of a split in a fixed order.
fn eval_batches(
    e: &Encoded,
    s: &StudySettings,
    pad_id: u32,
) -> anyhow::Result<Vec<crate::data::Batch>> {
    let labels = (!e.labels.is_empty()).then_some(e.labels.as_slice());
    Ok(DataLoader::new(&e.ids, labels, loader_config(s, pad_id, false, 0))?.epoch(0))
}

fn run_dir(runs: &Path, name: &str, cfg: &ModelConfig, seed: u64, s: &StudySettings) -> PathBuf {
    let key = short_hash(&(cfg, s, seed, "run-v1"));
    runs.join(format!("{}-seed{seed}-{key}", slug(name)))
}

/// Trains (or loads from the cache) one model with one seed and measures it.
fn run_model(
    name: &str,
    cfg: &ModelConfig,
    seed: u64,
    s: &StudySettings,
    p: &Prepared,
    o: &StudyOptions,
    analyse: bool,
) -> anyhow::Result<(RunResult, bool)> {
    let dir = run_dir(&o.runs_dir, name, cfg, seed, s);
    let result_path = dir.join("result.json");
    if let Ok(text) = std::fs::read_to_string(&result_path)
        && let Ok(r) = serde_json::from_str::<RunResult>(&text)
    {
        log(&format!(
            "{name} seed {seed}: cached ({:.2}% test)",
            r.test_accuracy * 100.0
        ));
        return Ok((r, true));
    }
    let pad = p.tokenizer.pad_id();
    let dev = Cpu::seed_from_u64(seed);
    let mut model = Classifier::<f32, Cpu>::new(cfg, p.tokenizer.vocab_size(), &dev)
        .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    // The n-gram branch (if any) counts whole training reviews, never pieces.
    model.init_ngrams(&p.train.ids, &p.train.labels);
    // Fail on bad data before training, not inside an epoch.
    DataLoader::new(
        &p.fit.ids,
        Some(&p.fit.labels),
        loader_config(s, pad, true, seed),
    )?;
    let epoch_batches = |e: usize| -> Result<Vec<crate::data::Batch>, LoaderError> {
        let seqs = epoch_sequences(
            &p.tokenizer,
            &p.fit.texts,
            &p.fit.ids,
            &s.augment,
            s.max_len,
            seed,
            e as u64,
        );
        DataLoader::new(
            &seqs,
            Some(&p.fit.labels),
            loader_config(s, pad, true, seed),
        )
        .map(|l| l.epoch(e as u64))
    };
    let val = eval_batches(&p.val, s, pad)?;
    let test = eval_batches(&p.test, s, pad)?;
    let trainer = Trainer {
        config: crate::train::TrainConfig {
            seed,
            ..s.train.clone()
        },
        quiet: o.quiet,
        label: format!("{name} s{seed}"),
        log_dir: Some(dir.clone()),
        checkpoint: Some(Checkpoint::new(dir.join("ckpt"))),
    };
    let out = trainer
        .fit(&mut model, epoch_batches, &val)
        .with_context(|| format!("training {name} seed {seed}"))?;
    let ev = evaluate(&model, &test);
    // Out of distribution: scored, never trained on. Every run also labels Yelp/reviews.txt,
    // so question 8 can hand in any of them without retraining.
    let yelp_dev = evaluate(&model, &eval_batches(&p.yelp_dev, s, pad)?).accuracy;
    if !p.yelp_reviews.ids.is_empty() {
        let n = p.yelp_reviews.ids.len();
        let labels = evaluate(&model, &eval_batches(&p.yelp_reviews, s, pad)?).labels_by_index(n);
        write_predictions(&dir.join(YELP_PREDICTIONS), &labels)?;
    }
    let mut r = RunResult {
        model: name.to_string(),
        kind: format!("{:?}", cfg.kind).to_lowercase(),
        seed,
        params: model.num_params(),
        best_epoch: out.best_epoch,
        val_accuracy: out.best_val_accuracy,
        test_accuracy: ev.accuracy,
        yelp_dev_accuracy: yelp_dev,
        train_seconds: out.seconds,
        epochs: out.epochs,
        length_buckets: Vec::new(),
        grad_flow: Vec::new(),
    };
    if analyse {
        let lengths: Vec<usize> = p.test.ids.iter().map(Vec::len).collect();
        let edges = length_edges(&lengths, s.length_buckets);
        let pred = ev.labels_by_index(lengths.len());
        r.length_buckets = bucket_accuracy(&lengths, &p.test.labels, &pred, &edges);
        let n = s.grad_flow_reviews.min(p.test.ids.len());
        let sample = Encoded {
            ids: p.test.ids[..n].to_vec(),
            labels: p.test.labels[..n].to_vec(),
            texts: Vec::new(),
        };
        r.grad_flow = grad_flow(
            &model,
            &eval_batches(&sample, s, pad)?,
            s.grad_flow_distance,
        );
    }
    std::fs::write(&result_path, serde_json::to_string_pretty(&r)?)?;
    log(&format!(
        "{name} seed {seed}: test {:.2}%, Yelp/dev {:.2}%, best val {:.2}% (epoch {}), {:.1}s",
        r.test_accuracy * 100.0,
        r.yelp_dev_accuracy * 100.0,
        r.val_accuracy * 100.0,
        r.best_epoch,
        r.train_seconds
    ));
    Ok((r, false))
}

fn run_baseline(
    p: &Prepared,
    o: &StudyOptions,
    s: &StudySettings,
) -> anyhow::Result<BaselineResult> {
    let cfg = BaselineConfig::default();
    let path = o.runs_dir.join(format!(
        "baseline-{}.json",
        short_hash(&(
            &cfg,
            s.train_limit,
            s.test_limit,
            s.split_seed,
            s.val_fraction,
            "baseline-v2"
        ))
    ));
    if let Ok(r) = std::fs::read_to_string(&path)
        .map_err(anyhow::Error::from)
        .and_then(|t| Ok(serde_json::from_str(&t)?))
    {
        return Ok(r);
    }
    let t0 = Instant::now();
    let m = TfidfLogReg::fit(&p.train.texts, &p.train.labels, &cfg)?;
    let r = BaselineResult {
        seed: 0,
        params: m.vectorizer().num_features() + 1,
        val_accuracy: m.accuracy(&p.val.texts, &p.val.labels) as f32,
        test_accuracy: m.accuracy(&p.test.texts, &p.test.labels) as f32,
        yelp_dev_accuracy: m.accuracy(&p.yelp_dev.texts, &p.yelp_dev.labels) as f32,
        train_seconds: t0.elapsed().as_secs_f64(),
    };
    std::fs::create_dir_all(&o.runs_dir)?;
    std::fs::write(&path, serde_json::to_string_pretty(&r)?)?;
    log(&format!(
        "TF-IDF baseline: test {:.2}%",
        r.test_accuracy * 100.0
    ));
    Ok(r)
}

/// A model that labeled `Yelp/reviews.txt`: its scores and where its labels are.
struct YelpCandidate {
    result: YelpResult,
    labels: PathBuf,
}

/// The study's model with the best mean Yelp/dev accuracy over its seeds (every run labeled
/// `Yelp/reviews.txt`; none saw Yelp text), at its seed with the best IMDb validation accuracy.
fn study_yelp_candidate(
    runs: &[RunResult],
    s: &StudySettings,
    p: &Prepared,
    o: &StudyOptions,
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
    let cfg = model_config(model, s).context("no configuration for the chosen model")?;
    Ok(Some(YelpCandidate {
        result: YelpResult {
            model: format!("the study's {model}"),
            seed: run.seed,
            dev_accuracy: run.yelp_dev_accuracy,
            dev_count: p.yelp_dev.ids.len(),
            predicted_lines: p.yelp_reviews.ids.len(),
            positive_fraction: f32::NAN,
            imdb_test_accuracy: run.test_accuracy,
            other_candidates: Vec::new(),
            seed_runs: Vec::new(),
            dev_errors: None,
        },
        labels: run_dir(&o.runs_dir, model, &cfg, run.seed, s).join(YELP_PREDICTIONS),
    }))
}

/// The IMDb → Yelp recipe ([`super::yelp`]), trained on IMDb only with each of the study's
/// seeds (a run takes ~2.5 min); the seed with the best Yelp/dev accuracy labels Yelp.
fn recipe_yelp_candidate(o: &StudyOptions, root: &DataRoot) -> anyhow::Result<YelpCandidate> {
    let dir = o.runs_dir.join("yelp-recipe");
    let mut opts = YelpStudyOptions::new(root.clone(), &dir);
    if o.quick {
        opts.budget = YelpBudget::tiny();
    }
    opts.seeds = o.seeds.clone();
    let out = run_yelp_study(&opts)?;
    let seed_runs = out
        .runs
        .iter()
        .map(|r| (r.seed, r.yelp_dev, r.imdb_test))
        .collect();
    Ok(YelpCandidate {
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
    })
}

/// Question 8: of the candidates, the one with the best Yelp/dev accuracy (a leaderboard pick
/// among finished models, which the task allows) has its labels copied to
/// `out_dir/yelp_predictions.txt`.
fn hand_in_yelp(candidates: Vec<YelpCandidate>, o: &StudyOptions) -> anyhow::Result<YelpResult> {
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
    write_predictions(&o.out_dir.join(YELP_PREDICTIONS), &labels)?;
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

/// Runs the study and writes every output; returns the results.
pub fn run_study(o: &StudyOptions) -> anyhow::Result<StudyResults> {
    let start = Instant::now();
    let selected = experiments::select(&o.only).map_err(anyhow::Error::msg)?;
    anyhow::ensure!(!o.seeds.is_empty(), "--seeds: expected at least one seed");
    // Checked before any data is loaded.
    let mut models = experiments::models_for(&selected);
    if !o.models.is_empty() {
        // Names contain commas ("BiLSTM, max"), so they are matched by slug ("bilstm-max").
        for m in &o.models {
            anyhow::ensure!(
                models.iter().any(|n| slug(n) == slug(m)),
                "--models: unknown model `{m}` (expected one of: {})",
                models
                    .iter()
                    .map(|n| slug(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        models.retain(|n| o.models.iter().any(|m| slug(n) == slug(m)));
    }
    let mut s = if o.quick {
        StudySettings::quick()
    } else {
        StudySettings::full()
    };
    if let Some(path) = &o.settings {
        s = s.overridden_by(path)?;
    }
    if let Some(e) = o.epochs {
        anyhow::ensure!(e > 0, "--epochs: expected an integer ≥ 1, got 0");
        s.train.epochs = e;
    }
    let root = data_root(o.data_dir.as_deref());
    log(&format!("data root {root}"));
    let p = prepare(&root, &s, &o.runs_dir, &log)?;
    log(&format!(
        "{} train / {} validation / {} test reviews, vocabulary {}",
        p.train.ids.len(),
        p.val.ids.len(),
        p.test.ids.len(),
        p.tokenizer.vocab_size()
    ));

    let analysed: Vec<&str> = if selected.contains(&Question::Rnn) {
        vec![names::RNN, names::LSTM, names::CNN]
    } else {
        Vec::new()
    };
    let mut runs = Vec::new();
    let mut cached_runs = 0;
    for name in &models {
        let cfg =
            model_config(name, &s).with_context(|| format!("no configuration for model {name}"))?;
        for &seed in &o.seeds {
            let (r, cached) = run_model(name, &cfg, seed, &s, &p, o, analysed.contains(name))?;
            cached_runs += usize::from(cached);
            runs.push(r);
        }
    }
    let baseline = if selected.contains(&Question::Baseline) {
        vec![run_baseline(&p, o, &s)?]
    } else {
        Vec::new()
    };
    let yelp = if selected.contains(&Question::Yelp) {
        let mut candidates = vec![recipe_yelp_candidate(o, &root)?];
        candidates.extend(study_yelp_candidate(&runs, &s, &p, o)?);
        let y = hand_in_yelp(candidates, o)?;
        log(&format!(
            "Yelp: {} on dev {:.2}%",
            y.model,
            y.dev_accuracy * 100.0
        ));
        Some(y)
    } else {
        None
    };
    let results = StudyResults {
        meta: RunMeta {
            command: o.command.clone(),
            questions: experiments::questions()
                .iter()
                .filter(|q| selected.contains(&q.id))
                .map(|q| q.key.to_string())
                .collect(),
            seeds: o.seeds.clone(),
            epochs: s.train.epochs,
            quick: o.quick,
            wall_seconds: start.elapsed().as_secs_f64(),
            cached_runs,
            cpu_model: cpu_model(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            train_reviews: p.train.ids.len(),
            val_reviews: p.val.ids.len(),
            test_reviews: p.test.ids.len(),
            max_len: s.max_len,
            batch_size: s.train.batch_size,
            lr: s.train.lr,
            clip_norm: s.train.clip_norm,
            schedule: s.train.schedule,
            augment: s.augment.clone(),
            train_examples: p.fit.ids.len(),
        },
        tokenizer: selected
            .contains(&Question::Tokenizer)
            .then(|| p.tokenizer_stats.clone()),
        runs,
        baseline,
        yelp,
    };
    write_outputs(&results, o)?;
    Ok(results)
}

/// Writes `results.json`, the CSVs, the figures and the report.
pub fn write_outputs(results: &StudyResults, o: &StudyOptions) -> anyhow::Result<()> {
    results.save(&o.out_dir)?;
    let q = experiments::questions();
    let models_of = |id: Question| {
        q.iter()
            .find(|x| x.id == id)
            .map(|x| x.models.iter().map(|m| m.to_string()).collect())
            .unwrap_or_default()
    };
    let plan = FigurePlan {
        main: Vec::new(),
        gates: models_of(Question::Gates),
        length: models_of(Question::Rnn),
        grad_flow: vec![names::RNN.into(), names::LSTM.into()],
    };
    let figures = write_figures(results, &plan, &o.out_dir)?;
    let inputs = ReportInputs {
        figures,
        ..Default::default()
    }
    .with_side_files(&o.out_dir);
    write_report(results, &inputs, &o.report_path)?;
    log(&format!(
        "wrote {} and {}",
        o.out_dir.display(),
        o.report_path.display()
    ));
    Ok(())
}
