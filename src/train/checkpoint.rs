//! Checkpoints: the latest and the best weights in safetensors, Adam's state and a JSON of
//! loop state, so an interrupted run resumes after its last finished epoch.
//!
//! Shuffling is keyed by (seed, epoch) and Adam's step count and moments are restored, so a
//! resumed run sees the same data order and optimizer state as an uninterrupted one. The one
//! thing not restored is dfdx's device RNG (private to dfdx), so the dropout masks after a
//! resume differ from an uninterrupted run's.

use std::path::{Path, PathBuf};

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use super::TrainConfig;
use super::adam::Adam;
use super::metrics::EpochRecord;
pub use super::weights::{load_weights, save_weights};

/// Loop state saved next to the weights after every epoch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainState {
    /// Number of finished epochs.
    pub epochs_done: usize,
    /// 1-based epoch with the best validation accuracy so far.
    pub best_epoch: usize,
    pub best_val_accuracy: f32,
    /// Training seconds spent before this checkpoint.
    pub seconds: f64,
    pub epochs: Vec<EpochRecord>,
    /// The settings the run was started with; a resume with other settings (except a larger
    /// epoch budget) starts over.
    pub config: TrainConfig,
}

impl TrainState {
    /// Counts a finished epoch in; returns whether its validation accuracy is the best so far
    /// (the caller keeps that model).
    pub fn push_epoch(&mut self, record: EpochRecord) -> bool {
        self.seconds += record.seconds;
        self.epochs_done = record.epoch;
        let improved = record.val_accuracy > self.best_val_accuracy;
        if improved {
            self.best_val_accuracy = record.val_accuracy;
            self.best_epoch = record.epoch;
        }
        self.epochs.push(record);
        improved
    }
}

/// A folder holding `last.safetensors`, `best.safetensors` and `state.json`.
#[derive(Clone, Debug)]
pub struct Checkpoint {
    dir: PathBuf,
}

impl Checkpoint {
    /// A checkpoint stored in `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the best weights.
    pub fn best_path(&self) -> PathBuf {
        self.dir.join("best.safetensors")
    }

    fn last_path(&self) -> PathBuf {
        self.dir.join("last.safetensors")
    }

    fn state_path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    fn adam_path(&self) -> PathBuf {
        self.dir.join("adam.bin")
    }

    /// Writes the latest weights, the best weights, Adam's state and the loop state. The
    /// state file is written last (via a rename), so a crash mid-save leaves the previous
    /// checkpoint valid.
    pub fn save<M: TensorCollection<f32, Cpu>>(
        &self,
        last: &M,
        best: &M,
        adam: &Adam,
        state: &TrainState,
    ) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        save_weights(last, &self.last_path())?;
        save_weights(best, &self.best_path())?;
        adam.save(&self.adam_path())?;
        let tmp = self.dir.join("state.json.tmp");
        std::fs::write(&tmp, serde_json::to_string_pretty(state)?)?;
        std::fs::rename(&tmp, self.state_path())?;
        Ok(())
    }

    /// Loads a saved state into `last`, `best` and `adam` when one exists and was made with
    /// `config` (a checkpoint without Adam's state, from an older version, starts over).
    pub fn load<M: TensorCollection<f32, Cpu>>(
        &self,
        config: &TrainConfig,
        last: &mut M,
        best: &mut M,
        adam: &mut Adam,
    ) -> anyhow::Result<Option<TrainState>> {
        let Ok(text) = std::fs::read_to_string(self.state_path()) else {
            return Ok(None);
        };
        let state: TrainState = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", self.state_path().display()))?;
        // A longer epoch budget may extend a run; any other change starts over.
        let same = TrainConfig {
            epochs: config.epochs,
            ..state.config.clone()
        } == *config;
        // A decaying schedule depends on the budget, so only the same budget resumes.
        let schedule_fixed = config.schedule == crate::train::Schedule::Constant
            || state.config.epochs == config.epochs;
        if !same
            || !schedule_fixed
            || state.epochs_done > config.epochs
            || !self.adam_path().is_file()
        {
            return Ok(None);
        }
        adam.load(&self.adam_path())?;
        load_weights(last, &self.last_path())?;
        load_weights(best, &self.best_path())?;
        Ok(Some(state))
    }
}
