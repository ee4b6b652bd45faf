//! The training loop: Adam, global-norm clipping, best-on-validation model selection,
//! progress bars, CSV metrics and resumable checkpoints.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use dfdx::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use super::adam::Adam;
use super::checkpoint::{Checkpoint, TrainState};
use super::clip::{clip_grad_norm, global_grad_norm};
use super::divergence::{TrainWarning, divergence_warnings, majority_share};
use super::metrics::{
    EpochRecord, Running, StepRecord, argmax2, count_correct, positive_probability, write_csv,
};
use super::{SentimentModel, TrainConfig};
use crate::data::loader::Batch;

/// Why a training run stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The loss became NaN or infinite; the run cannot recover from it.
    #[error(
        "non-finite training loss {loss} at epoch {epoch}, step {step}: lower the learning rate \
         or enable gradient clipping (clip_norm)"
    )]
    NonFiniteLoss {
        epoch: usize,
        step: usize,
        loss: f32,
    },
    /// The gradient became NaN or infinite although the loss was finite.
    #[error(
        "non-finite gradient norm at epoch {epoch}, step {step}: the weights hold NaN/inf or the \
         model overflowed; lower the learning rate"
    )]
    NonFiniteGradient { epoch: usize, step: usize },
    /// The settings are out of range.
    #[error(transparent)]
    Config(#[from] super::config::ConfigError),
    /// There is nothing to train or validate on.
    #[error("empty {0} split: nothing to train on")]
    Empty(&'static str),
    /// The batch source could not produce an epoch's batches.
    /// The message is part of this error's text (not a `source`), so it prints once.
    #[error("training data for epoch {epoch}: {cause}")]
    Data {
        epoch: usize,
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Adam could not update (its restored state does not fit the model).
    #[error(transparent)]
    Optimizer(#[from] super::adam::AdamError),
    /// Writing metrics or checkpoints failed.
    #[error(transparent)]
    Io(#[from] anyhow::Error),
}

/// What a finished run reports. The model passed to [`Trainer::fit`] holds the best weights.
#[derive(Clone, Debug)]
pub struct TrainOutcome {
    /// 1-based epoch with the best validation accuracy.
    pub best_epoch: usize,
    pub best_val_accuracy: f32,
    pub epochs: Vec<EpochRecord>,
    /// Steps of this process only (a resumed run does not reload earlier steps).
    pub steps: Vec<StepRecord>,
    /// Total training seconds, including the epochs before a resume.
    pub seconds: f64,
    /// Signs that the run is not learning (see [`super::divergence`]); also in
    /// `warnings.csv` of the log folder when there are any.
    pub warnings: Vec<TrainWarning>,
    /// Where this process's epochs spent their time.
    pub timing: FitTiming,
}

/// Where the epochs of one [`Trainer::fit`] call spent their time (this process only).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FitTiming {
    /// Optimizer steps taken.
    pub steps: usize,
    /// Getting each epoch's batches from the batch source.
    pub batch_seconds: f64,
    /// Forward, backward and update of every step.
    pub step_seconds: f64,
    /// Scoring the validation batches after each epoch.
    pub validation_seconds: f64,
}

/// Loss, accuracy and per-review predictions of a model on a set of batches.
#[derive(Clone, Debug, Default)]
pub struct EvalResult {
    pub loss: f32,
    pub accuracy: f32,
    /// `(dataset index, probability of the positive class)` for every row, in batch order.
    pub probabilities: Vec<(usize, f32)>,
}

impl EvalResult {
    /// Predicted labels indexed by dataset index (`len` = size of the dataset).
    pub fn labels_by_index(&self, len: usize) -> Vec<usize> {
        let mut out = vec![0; len];
        for &(i, p) in &self.probabilities {
            out[i] = usize::from(p > 0.5);
        }
        out
    }
}

/// Runs a model without a tape over `batches`. Labels, when present, give loss and accuracy.
pub fn evaluate<M: SentimentModel>(model: &M, batches: &[Batch]) -> EvalResult {
    crate::cpu::configure();
    let mut run = Running::default();
    let mut probabilities = Vec::new();
    for b in batches {
        let logits = model.logits(b);
        let flat = logits.as_vec();
        let pred = argmax2(&flat);
        for (r, row) in flat.chunks_exact(2).enumerate() {
            probabilities.push((b.indices[r], positive_probability(row)));
        }
        if !b.labels.is_empty() {
            let dev = logits.device().clone();
            let loss = cross_entropy_with_logits_loss(logits, one_hot(dev, &b.labels));
            run.add(
                loss.array(),
                count_correct(&pred, &b.labels),
                b.labels.len(),
            );
        }
    }
    EvalResult {
        loss: run.loss(),
        accuracy: run.accuracy(),
        probabilities,
    }
}

/// One-hot `(n, 2)` targets for cross-entropy.
fn one_hot(dev: Cpu, labels: &[usize]) -> Tensor<(usize, Const<2>), f32, Cpu> {
    let mut v = vec![0.0f32; labels.len() * 2];
    for (r, &l) in labels.iter().enumerate() {
        v[r * 2 + l.min(1)] = 1.0;
    }
    dev.tensor_from_vec(v, (labels.len(), Const::<2>))
}

/// Trains one model with one [`TrainConfig`].
#[derive(Clone, Debug)]
pub struct Trainer {
    /// The optimizer and loop settings.
    pub config: TrainConfig,
    /// Where `steps.csv` and `epochs.csv` go, if anywhere.
    pub log_dir: Option<PathBuf>,
    /// Where checkpoints go; an existing matching checkpoint is resumed.
    pub checkpoint: Option<Checkpoint>,
    /// Prefix shown on the progress bar.
    pub label: String,
    /// Hide progress bars (they are also hidden when stderr is not a terminal).
    pub quiet: bool,
}

impl Trainer {
    /// A trainer with no logging or checkpoints.
    pub fn new(config: TrainConfig) -> Self {
        Self {
            config,
            log_dir: None,
            checkpoint: None,
            label: String::new(),
            quiet: false,
        }
    }

    fn progress(&self, len: usize, epoch: usize) -> ProgressBar {
        if self.quiet || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len as u64);
        pb.set_style(
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}")
                .expect("static template")
                .progress_chars("=> "),
        );
        pb.set_prefix(format!(
            "{} epoch {}/{}",
            self.label, epoch, self.config.epochs
        ));
        pb
    }

    /// Trains `model` for `config.epochs` epochs on the batches `train(epoch)` returns
    /// (epoch is 0-based; the closure is expected to shuffle with a seed derived from it),
    /// evaluating on `val` after every epoch. On return `model` holds the weights of the
    /// best validation epoch. An error from `train` stops the run as [`TrainError::Data`].
    pub fn fit<M, E>(
        &self,
        model: &mut M,
        mut train: impl FnMut(usize) -> Result<Vec<Batch>, E>,
        val: &[Batch],
    ) -> Result<TrainOutcome, TrainError>
    where
        M: SentimentModel,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        crate::cpu::configure();
        let cfg = &self.config;
        cfg.validate()?;
        if val.is_empty() {
            return Err(TrainError::Empty("validation"));
        }
        let mut best = model.clone();
        let mut opt = Adam::new(cfg);
        let mut state = self.start_state(model, &mut best, &mut opt)?;
        let chance = majority_share(val.iter().flat_map(|b| b.labels.iter().copied()));
        let mut warnings = divergence_warnings(&state.epochs, chance);
        let mut grads = model.alloc_grads();
        let mut steps = Vec::new();
        let mut step = 0;
        let mut timing = FitTiming::default();
        for epoch in state.epochs_done..cfg.epochs {
            let start = Instant::now();
            let batches = train(epoch).map_err(|e| TrainError::Data {
                epoch: epoch + 1,
                cause: e.into(),
            })?;
            if batches.is_empty() {
                return Err(TrainError::Empty("training"));
            }
            let batches_done = Instant::now();
            let mut run = EpochRun {
                epoch,
                step: &mut step,
                steps: &mut steps,
                grads: &mut grads,
            };
            let running = self.train_epoch(model, &mut opt, &batches, &mut run)?;
            let steps_done = Instant::now();
            let ev = evaluate(&*model, val);
            timing.steps += batches.len();
            timing.batch_seconds += (batches_done - start).as_secs_f64();
            timing.step_seconds += (steps_done - batches_done).as_secs_f64();
            timing.validation_seconds += steps_done.elapsed().as_secs_f64();
            let improved = state.push_epoch(EpochRecord {
                epoch: epoch + 1,
                train_loss: running.loss(),
                train_accuracy: running.accuracy(),
                val_loss: ev.loss,
                val_accuracy: ev.accuracy,
                seconds: start.elapsed().as_secs_f64(),
            });
            if improved {
                best = model.clone();
            }
            warnings = divergence_warnings(&state.epochs, chance);
            if let Some(ck) = &self.checkpoint {
                ck.save(&*model, &best, &opt, &state)?;
            }
            self.write_logs(&state.epochs, &steps, &warnings)?;
        }
        *model = best;
        Ok(TrainOutcome {
            best_epoch: state.best_epoch,
            best_val_accuracy: state.best_val_accuracy,
            epochs: state.epochs,
            steps,
            seconds: state.seconds,
            warnings,
            timing,
        })
    }

    /// A fresh loop state, or the checkpoint's (loading its weights and Adam's state).
    fn start_state<M: SentimentModel>(
        &self,
        model: &mut M,
        best: &mut M,
        opt: &mut Adam,
    ) -> Result<TrainState, TrainError> {
        let cfg = &self.config;
        if let Some(ck) = &self.checkpoint
            && let Some(saved) = ck.load(cfg, model, best, opt)?
        {
            return Ok(TrainState {
                config: cfg.clone(),
                ..saved
            });
        }
        Ok(TrainState {
            epochs_done: 0,
            best_epoch: 0,
            best_val_accuracy: f32::NEG_INFINITY,
            seconds: 0.0,
            epochs: Vec::new(),
            config: cfg.clone(),
        })
    }

    /// One pass over `batches`: forward, backward, clipping and an Adam step per batch.
    fn train_epoch<M: SentimentModel>(
        &self,
        model: &mut M,
        opt: &mut Adam,
        batches: &[Batch],
        run: &mut EpochRun<'_>,
    ) -> Result<Running, TrainError> {
        let cfg = &self.config;
        let epoch = run.epoch;
        let pb = self.progress(batches.len(), epoch + 1);
        let mut running = Running::default();
        let n = batches.len() as f64;
        for (i, b) in batches.iter().enumerate() {
            // A function of (epoch, batch), so a resumed run follows the same schedule.
            let progress = (epoch as f64 + i as f64 / n) / cfg.epochs as f64;
            opt.set_lr(cfg.schedule.lr(cfg.lr, progress));
            let grads = std::mem::replace(run.grads, Gradients::leaky());
            let logits = model.logits_traced(b, grads);
            let pred = argmax2(&logits.as_vec());
            let correct = count_correct(&pred, &b.labels);
            let dev = logits.device().clone();
            let loss = cross_entropy_with_logits_loss(logits, one_hot(dev, &b.labels));
            let loss_value = loss.array();
            let step = *run.step;
            if !loss_value.is_finite() {
                pb.abandon();
                return Err(TrainError::NonFiniteLoss {
                    epoch: epoch + 1,
                    step,
                    loss: loss_value,
                });
            }
            *run.grads = loss.backward();
            let norm = match cfg.clip_norm {
                Some(c) => clip_grad_norm(&*model, run.grads, c),
                None => global_grad_norm(&*model, run.grads),
            };
            if !norm.is_finite() {
                pb.abandon();
                return Err(TrainError::NonFiniteGradient {
                    epoch: epoch + 1,
                    step,
                });
            }
            opt.update(model, run.grads)?;
            model.zero_grads(run.grads);
            running.add(loss_value, correct, b.labels.len());
            if step.is_multiple_of(cfg.log_every) {
                run.steps.push(StepRecord {
                    epoch: epoch + 1,
                    step,
                    loss: loss_value,
                    accuracy: correct as f32 / b.labels.len().max(1) as f32,
                    grad_norm: norm,
                });
            }
            *run.step += 1;
            pb.inc(1);
            pb.set_message(format!(
                "loss {:.4} acc {:.3}",
                running.loss(),
                running.accuracy()
            ));
        }
        pb.finish_and_clear();
        Ok(running)
    }

    /// Writes `epochs.csv`, `steps.csv` and, while the run has any, `warnings.csv`.
    fn write_logs(
        &self,
        epochs: &[EpochRecord],
        steps: &[StepRecord],
        warnings: &[TrainWarning],
    ) -> Result<(), TrainError> {
        let Some(dir) = &self.log_dir else {
            return Ok(());
        };
        write_csv(&dir.join("epochs.csv"), epochs)?;
        write_csv(&dir.join("steps.csv"), steps)?;
        // Present exactly while the run has warnings (a later epoch may clear them).
        let warnings_csv = dir.join("warnings.csv");
        if warnings.is_empty() {
            let _ = std::fs::remove_file(&warnings_csv);
        } else {
            write_csv(&warnings_csv, warnings)?;
        }
        Ok(())
    }
}

/// The running counters of one epoch that outlive it (the step count, the step log and the
/// gradient buffers, reused across epochs).
struct EpochRun<'a> {
    /// 0-based epoch.
    epoch: usize,
    step: &'a mut usize,
    steps: &'a mut Vec<StepRecord>,
    grads: &'a mut Gradients<f32, Cpu>,
}
