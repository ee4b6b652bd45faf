//! The divergence guard: signs, read off the epoch records, that a run is not learning.
//!
//! A learning rate far too large can keep the loss finite while it explodes (1e27), and a
//! model that cannot see its input predicts one class; both used to finish silently with a
//! 50% model. These checks turn them into warnings in the run's output and metrics.

use serde::{Deserialize, Serialize};

use super::metrics::EpochRecord;

/// Growth of the training loss that counts as divergence: this many times the smaller of the
/// first epoch's loss and the loss of a 50/50 guess (ln 2, where a fresh classifier starts).
pub const LOSS_GROWTH: f32 = 10.0;

/// Validation accuracy within this much of the majority-class share counts as chance level.
pub const CHANCE_MARGIN: f32 = 0.01;

/// What a warning is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// The training loss grew past its bound.
    LossDiverged,
    /// The validation accuracy is no better than always predicting the majority class.
    ChanceAccuracy,
}

/// One warning: the epoch it was seen at, the measured value and the bound it crossed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainWarning {
    /// 1-based epoch.
    pub epoch: usize,
    pub kind: WarningKind,
    /// The training loss, or the validation accuracy.
    pub value: f32,
    /// The loss bound, or the chance-level accuracy.
    pub bound: f32,
}

impl std::fmt::Display for TrainWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            WarningKind::LossDiverged => write!(
                f,
                "epoch {}: training loss {:.4e} exceeds {:.4} ({LOSS_GROWTH}× the starting loss): \
                 the run is diverging; lower the learning rate",
                self.epoch, self.value, self.bound
            ),
            WarningKind::ChanceAccuracy => write!(
                f,
                "epoch {}: the best validation accuracy so far, {:.2}%, is at chance (always \
                 predicting the majority class gives {:.2}%): the model is not learning",
                self.epoch,
                self.value * 100.0,
                self.bound * 100.0
            ),
        }
    }
}

/// The warnings of a run so far: the first epoch whose loss crossed the bound, and, when the
/// best validation accuracy up to the last epoch is still at chance, that last epoch (a slow
/// first epoch alone is no warning). `chance` is the validation split's majority-class share.
pub fn divergence_warnings(epochs: &[EpochRecord], chance: f32) -> Vec<TrainWarning> {
    let mut warnings = Vec::new();
    let Some(first) = epochs.first() else {
        return warnings;
    };
    let bound = LOSS_GROWTH * first.train_loss.min(std::f32::consts::LN_2);
    if let Some(e) = epochs
        .iter()
        .find(|e| !(e.train_loss.is_finite() && e.train_loss <= bound))
    {
        warnings.push(TrainWarning {
            epoch: e.epoch,
            kind: WarningKind::LossDiverged,
            value: e.train_loss,
            bound,
        });
    }
    let best = epochs
        .iter()
        .map(|e| e.val_accuracy)
        .fold(f32::NEG_INFINITY, f32::max);
    let last = epochs.last().expect("not empty");
    if best <= chance + CHANCE_MARGIN {
        warnings.push(TrainWarning {
            epoch: last.epoch,
            kind: WarningKind::ChanceAccuracy,
            value: best,
            bound: chance,
        });
    }
    warnings
}

/// The share of the most frequent label (the accuracy of always predicting it).
pub fn majority_share(labels: impl Iterator<Item = usize>) -> f32 {
    let (mut positives, mut total) = (0usize, 0usize);
    for label in labels {
        positives += usize::from(label == 1);
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    positives.max(total - positives) as f32 / total as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(epoch: usize, train_loss: f32, val_accuracy: f32) -> EpochRecord {
        EpochRecord {
            epoch,
            train_loss,
            train_accuracy: 0.0,
            val_loss: 0.0,
            val_accuracy,
            seconds: 0.0,
        }
    }

    #[test]
    fn a_learning_run_has_no_warnings() {
        let run = [epoch(1, 0.6, 0.7), epoch(2, 0.4, 0.8)];
        assert!(divergence_warnings(&run, 0.5).is_empty());
    }

    #[test]
    fn an_exploding_loss_and_chance_accuracy_are_reported_once() {
        let run = [
            epoch(1, 0.5, 0.505),
            epoch(2, 8.0, 0.5),
            epoch(3, 1e27, 0.5),
        ];
        let w = divergence_warnings(&run, 0.5);
        assert_eq!(w.len(), 2, "{w:?}");
        assert_eq!((w[0].kind, w[0].epoch), (WarningKind::LossDiverged, 2));
        assert_eq!((w[1].kind, w[1].epoch), (WarningKind::ChanceAccuracy, 3));
        // A slow first epoch followed by learning is no warning.
        let slow = [epoch(1, 0.69, 0.5), epoch(2, 0.6, 0.7)];
        assert!(divergence_warnings(&slow, 0.5).is_empty());
        assert!(w[0].to_string().contains("lower the learning rate"));
        // Diverged within the first epoch already: the bound is 10 × ln 2.
        let w = divergence_warnings(&[epoch(1, 1e26, 0.7)], 0.5);
        assert_eq!(w[0].kind, WarningKind::LossDiverged);
        assert!((w[0].bound - 10.0 * std::f32::consts::LN_2).abs() < 1e-5);
    }

    #[test]
    fn majority_share_is_the_constant_predictor_accuracy() {
        assert_eq!(majority_share([1, 0, 0, 0].into_iter()), 0.75);
        assert_eq!(majority_share(std::iter::empty()), 0.0);
    }
}
