//! Optimizer settings, gradient clipping, the training loop, metrics and checkpoints.
//!
//! The trainer is written against [`SentimentModel`], the small contract a classifier
//! offers: logits for a [`Batch`] with or without a gradient tape. Every model in a
//! comparison is trained with the same [`TrainConfig`] (one Adam setting, batch size and
//! epoch budget), so differences come from the architectures alone.

pub mod adam;
pub mod checkpoint;
pub mod clip;
pub mod config;
pub mod divergence;
pub mod gradients;
pub mod metrics;
pub mod tensor_walk;
pub mod trainer;
pub mod weights;

use dfdx::prelude::*;

use crate::data::loader::Batch;
use crate::nn::linear::Logits;

pub use config::{Schedule, TrainConfig};
pub use trainer::{EvalResult, FitTiming, TrainError, TrainOutcome, Trainer, evaluate};

/// What the trainer needs from a classifier.
pub trait SentimentModel: TensorCollection<f32, Cpu> + Clone {
    /// Training-mode forward pass (dropout active) recording onto `grads`.
    fn logits_traced(
        &self,
        batch: &Batch,
        grads: Gradients<f32, Cpu>,
    ) -> Logits<f32, Cpu, OwnedTape<f32, Cpu>>;
    /// Inference-mode forward pass without a tape.
    fn logits(&self, batch: &Batch) -> Logits<f32, Cpu>;
}

impl SentimentModel for crate::nn::classifier::Classifier<f32, Cpu> {
    fn logits_traced(
        &self,
        batch: &Batch,
        grads: Gradients<f32, Cpu>,
    ) -> Logits<f32, Cpu, OwnedTape<f32, Cpu>> {
        self.forward_train(batch, grads)
    }

    fn logits(&self, batch: &Batch) -> Logits<f32, Cpu> {
        self.forward_eval(batch)
    }
}
