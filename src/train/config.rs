//! The training settings shared by every model in a comparison, and the Adam settings they give.

use dfdx::optim::{AdamConfig, WeightDecay};
use serde::{Deserialize, Serialize};

/// Optimizer and loop settings. Every compared model uses the same values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Adam learning rate (the peak, with a decaying schedule).
    pub lr: f64,
    /// How the learning rate moves over the run.
    pub schedule: Schedule,
    /// Adam β₁, β₂.
    pub betas: [f64; 2],
    /// Adam ε.
    pub eps: f64,
    /// Decoupled (AdamW-style) weight decay; 0 disables it.
    pub weight_decay: f64,
    /// Reviews per optimizer step.
    pub batch_size: usize,
    /// Number of passes over the training split.
    pub epochs: usize,
    /// Clip gradients to this global L2 norm; `None` disables clipping.
    pub clip_norm: Option<f32>,
    /// Seed for weight initialisation, dropout and shuffling.
    pub seed: u64,
    /// Record a step metric every this many steps.
    pub log_every: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            lr: 2e-3,
            schedule: Schedule::Constant,
            betas: [0.9, 0.999],
            eps: 1e-8,
            weight_decay: 0.0,
            batch_size: 64,
            epochs: 5,
            clip_norm: Some(1.0),
            seed: 0,
            log_every: 10,
        }
    }
}

/// The learning rate over a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// `lr` throughout.
    #[default]
    Constant,
    /// From `lr` down towards 0 linearly over all steps of all epochs.
    Linear,
}

impl Schedule {
    /// The learning rate at `progress` ∈ [0, 1) of the run (in epochs done / epochs).
    pub fn lr(self, lr: f64, progress: f64) -> f64 {
        match self {
            Schedule::Constant => lr,
            Schedule::Linear => lr * (1.0 - progress.clamp(0.0, 1.0)),
        }
    }
}

/// A setting outside its allowed range.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid training setting `{field}` = {value}: expected {expected}")]
pub struct ConfigError {
    pub field: &'static str,
    pub value: String,
    pub expected: &'static str,
}

impl TrainConfig {
    /// Checks every field's range, naming the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, value: String, expected| {
            Err(ConfigError {
                field,
                value,
                expected,
            })
        };
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("lr", self.lr.to_string(), "a positive number");
        }
        for (i, b) in self.betas.iter().enumerate() {
            if !(0.0..1.0).contains(b) {
                let f = if i == 0 { "betas[0]" } else { "betas[1]" };
                return bad(f, b.to_string(), "a number in [0, 1)");
            }
        }
        if self.eps.is_nan() || self.eps <= 0.0 {
            return bad("eps", self.eps.to_string(), "a positive number");
        }
        if self.weight_decay.is_nan() || self.weight_decay < 0.0 {
            return bad(
                "weight_decay",
                self.weight_decay.to_string(),
                "a number ≥ 0",
            );
        }
        if self.batch_size == 0 {
            return bad("batch_size", "0".into(), "an integer ≥ 1");
        }
        if self.epochs == 0 {
            return bad("epochs", "0".into(), "an integer ≥ 1");
        }
        if let Some(c) = self.clip_norm
            && !(c.is_finite() && c > 0.0)
        {
            return bad("clip_norm", c.to_string(), "a positive number or null");
        }
        if self.log_every == 0 {
            return bad("log_every", "0".into(), "an integer ≥ 1");
        }
        Ok(())
    }

    /// The same settings as dfdx's `AdamConfig` (training uses [`super::adam::Adam`], which
    /// performs dfdx's update and can save its state).
    pub fn adam_config(&self) -> AdamConfig {
        AdamConfig {
            lr: self.lr,
            betas: self.betas,
            eps: self.eps,
            weight_decay: (self.weight_decay > 0.0)
                .then_some(WeightDecay::Decoupled(self.weight_decay)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_schedule_falls_from_lr_to_zero_and_constant_stays() {
        assert_eq!(Schedule::Constant.lr(0.002, 0.7), 0.002);
        assert_eq!(Schedule::Linear.lr(0.002, 0.0), 0.002);
        approx::assert_relative_eq!(Schedule::Linear.lr(0.002, 0.25), 0.0015);
        assert_eq!(Schedule::Linear.lr(0.002, 1.5), 0.0);
        let cfg: TrainConfig = serde_json::from_str(r#"{"schedule": "linear"}"#).unwrap();
        assert_eq!(cfg.schedule, Schedule::Linear);
        assert!(serde_json::from_str::<TrainConfig>(r#"{"schedule": "cosine"}"#).is_err());
    }

    #[test]
    fn default_is_valid_and_bad_fields_are_named() {
        TrainConfig::default().validate().unwrap();
        let e = TrainConfig {
            betas: [0.9, 1.5],
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert_eq!(e.field, "betas[1]");
        let e = TrainConfig {
            batch_size: 0,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("batch_size"));
    }

    #[test]
    fn unknown_json_field_is_rejected() {
        let e = serde_json::from_str::<TrainConfig>(r#"{"learning_rate": 0.1}"#).unwrap_err();
        assert!(e.to_string().contains("learning_rate"), "{e}");
    }
}
