//! One model with one seed: trained (or loaded from its run folder), then scored on IMDb
//! test and Yelp/dev, with the length and gradient-flow analyses when asked for.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use dfdx::prelude::*;

use super::StudyOptions;
use crate::data::augment::epoch_sequences;
use crate::data::{Batch, DataLoader, LoaderConfig, LoaderError};
use crate::nn::classifier::Classifier;
use crate::nn::config::ModelConfig;
use crate::study::analysis::{bucket_accuracy, grad_flow, length_edges};
use crate::study::prepare::{Encoded, Prepared, short_hash};
use crate::study::results::RunResult;
use crate::study::settings::StudySettings;
use crate::study::timing::ModelTime;
use crate::study::yelp::write_predictions;
use crate::train::checkpoint::Checkpoint;
use crate::train::{EvalResult, TrainConfig, TrainOutcome, Trainer, evaluate};

/// Each run's labels for `Yelp/reviews.txt`, in its run folder (the handed-in file is a copy).
pub const YELP_PREDICTIONS: &str = "yelp_predictions.txt";

/// A model name as a folder name: lowercase ASCII words joined by `-` ("BiLSTM, max" →
/// "bilstm-max").
pub fn slug(name: &str) -> String {
    let dashed: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    dashed
        .split('-')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// The run folder of one model with one seed under the study's settings.
pub fn run_dir(
    runs: &Path,
    name: &str,
    cfg: &ModelConfig,
    seed: u64,
    settings: &StudySettings,
) -> PathBuf {
    let key = short_hash(&(cfg, settings, seed, "run-v1"));
    runs.join(format!("{}-seed{seed}-{key}", slug(name)))
}

/// Loader settings shared by every split; only shuffling differs.
fn loader_config(settings: &StudySettings, pad_id: u32, shuffle: bool, seed: u64) -> LoaderConfig {
    LoaderConfig {
        batch_size: settings.train.batch_size,
        max_len: settings.max_len,
        pad_id,
        shuffle,
        seed,
        ..LoaderConfig::default()
    }
}

/// Evaluation batches of a split in a fixed order.
fn eval_batches(
    split: &Encoded,
    settings: &StudySettings,
    pad_id: u32,
) -> anyhow::Result<Vec<Batch>> {
    let labels = (!split.labels.is_empty()).then_some(split.labels.as_slice());
    let config = loader_config(settings, pad_id, false, 0);
    Ok(DataLoader::new(&split.ids, labels, config)?.eval_batches())
}

/// What one run shares: the model, its seed, the study's data and settings.
pub struct ModelRun<'a> {
    pub name: &'a str,
    pub cfg: &'a ModelConfig,
    pub seed: u64,
    pub settings: &'a StudySettings,
    pub data: &'a Prepared,
    pub options: &'a StudyOptions,
    /// Also measure accuracy by review length and the gradient flow.
    pub analyse: bool,
}

impl ModelRun<'_> {
    fn dir(&self) -> PathBuf {
        run_dir(
            &self.options.runs_dir,
            self.name,
            self.cfg,
            self.seed,
            self.settings,
        )
    }

    /// Trains (or loads from the cache) the model and measures it, timing each part.
    pub fn run(&self) -> anyhow::Result<(RunResult, ModelTime)> {
        let start = Instant::now();
        let (name, seed) = (self.name, self.seed);
        let mut time = ModelTime {
            model: name.to_string(),
            seed,
            ..ModelTime::default()
        };
        let dir = self.dir();
        let result_path = dir.join("result.json");
        if let Ok(text) = std::fs::read_to_string(&result_path)
            && let Ok(cached) = serde_json::from_str::<RunResult>(&text)
        {
            super::log(&format!(
                "{name} seed {seed}: cached ({:.2}% test)",
                cached.test_accuracy * 100.0
            ));
            time.cached = true;
            time.total_seconds = start.elapsed().as_secs_f64();
            return Ok((cached, time));
        }
        let (model, outcome) = self.train(&dir)?;
        let fit = outcome.timing;
        (time.steps, time.batch_seconds) = (fit.steps, fit.batch_seconds);
        (time.step_seconds, time.validation_seconds) = (fit.step_seconds, fit.validation_seconds);
        let scoring = Instant::now();
        let result = self.measure(&model, outcome, &dir)?;
        time.eval_seconds = scoring.elapsed().as_secs_f64();
        std::fs::write(&result_path, serde_json::to_string_pretty(&result)?)?;
        time.total_seconds = start.elapsed().as_secs_f64();
        super::log(&format!(
            "{name} seed {seed}: test {:.2}%, Yelp/dev {:.2}%, best val {:.2}% (epoch {}), {:.1}s",
            result.test_accuracy * 100.0,
            result.yelp_dev_accuracy * 100.0,
            result.val_accuracy * 100.0,
            result.best_epoch,
            result.train_seconds
        ));
        Ok((result, time))
    }

    /// A fresh model fit on the study's training examples, a fresh augmentation each epoch.
    fn train(&self, dir: &Path) -> anyhow::Result<(Classifier<f32, Cpu>, TrainOutcome)> {
        let (p, s, seed) = (self.data, self.settings, self.seed);
        let pad = p.tokenizer.pad_id();
        let dev = Cpu::seed_from_u64(seed);
        let mut model = Classifier::<f32, Cpu>::new(self.cfg, p.tokenizer.vocab_size(), &dev)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.name))?;
        // The n-gram branch (if any) counts whole training reviews, never pieces.
        model.init_ngrams(&p.train.ids, &p.train.labels);
        // Fail on bad data before training, not inside an epoch.
        DataLoader::new(
            &p.fit.ids,
            Some(&p.fit.labels),
            loader_config(s, pad, true, seed),
        )?;
        let epoch_batches = |e: usize| -> Result<Vec<Batch>, LoaderError> {
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
        let trainer = Trainer {
            config: TrainConfig {
                seed,
                ..s.train.clone()
            },
            // Progress bars of runs side by side would overwrite each other's line.
            quiet: self.options.quiet || self.options.jobs > 1,
            label: format!("{} s{seed}", self.name),
            log_dir: Some(dir.to_path_buf()),
            checkpoint: Some(Checkpoint::new(dir.join("ckpt"))),
        };
        let outcome = trainer
            .fit(&mut model, epoch_batches, &val)
            .with_context(|| format!("training {} seed {seed}", self.name))?;
        Ok((model, outcome))
    }

    /// Scores the trained model on IMDb test and Yelp/dev, labels `Yelp/reviews.txt` into the
    /// run folder, and runs the analyses.
    fn measure(
        &self,
        model: &Classifier<f32, Cpu>,
        outcome: TrainOutcome,
        dir: &Path,
    ) -> anyhow::Result<RunResult> {
        let (p, s) = (self.data, self.settings);
        let pad = p.tokenizer.pad_id();
        let test = evaluate(model, &eval_batches(&p.test, s, pad)?);
        // Out of distribution: scored, never trained on. Every run also labels Yelp/reviews.txt,
        // so question 8 can hand in any of them without retraining.
        let yelp_dev = evaluate(model, &eval_batches(&p.yelp_dev, s, pad)?).accuracy;
        if !p.yelp_reviews.ids.is_empty() {
            let n = p.yelp_reviews.ids.len();
            let labels =
                evaluate(model, &eval_batches(&p.yelp_reviews, s, pad)?).labels_by_index(n);
            write_predictions(&dir.join(YELP_PREDICTIONS), &labels)?;
        }
        let mut result = RunResult {
            model: self.name.to_string(),
            kind: format!("{:?}", self.cfg.kind).to_lowercase(),
            seed: self.seed,
            params: model.num_params(),
            best_epoch: outcome.best_epoch,
            val_accuracy: outcome.best_val_accuracy,
            test_accuracy: test.accuracy,
            yelp_dev_accuracy: yelp_dev,
            train_seconds: outcome.seconds,
            epochs: outcome.epochs,
            length_buckets: Vec::new(),
            grad_flow: Vec::new(),
        };
        if self.analyse {
            self.analyse_into(model, &test, &mut result)?;
        }
        Ok(result)
    }

    /// Question 3's analyses: test accuracy by review length and the gradient flow.
    fn analyse_into(
        &self,
        model: &Classifier<f32, Cpu>,
        test: &EvalResult,
        result: &mut RunResult,
    ) -> anyhow::Result<()> {
        let (p, s) = (self.data, self.settings);
        let lengths: Vec<usize> = p.test.ids.iter().map(Vec::len).collect();
        let edges = length_edges(&lengths, s.length_buckets);
        let predicted = test.labels_by_index(lengths.len());
        result.length_buckets = bucket_accuracy(&lengths, &p.test.labels, &predicted, &edges);
        let n = s.grad_flow_reviews.min(p.test.ids.len());
        let sample = Encoded {
            ids: p.test.ids[..n].to_vec(),
            labels: p.test.labels[..n].to_vec(),
            texts: Vec::new(),
        };
        let batches = eval_batches(&sample, s, p.tokenizer.pad_id())?;
        result.grad_flow = grad_flow(model, &batches, s.grad_flow_distance);
        Ok(())
    }
}
