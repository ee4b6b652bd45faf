//! Running loss/accuracy and the per-step / per-epoch metric records written to CSV.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Metrics of one optimizer step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub epoch: usize,
    pub step: usize,
    pub loss: f32,
    pub accuracy: f32,
    /// Global gradient norm before clipping.
    pub grad_norm: f32,
}

/// Metrics of one epoch: training averages and the validation evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    pub train_loss: f32,
    pub train_accuracy: f32,
    pub val_loss: f32,
    pub val_accuracy: f32,
    pub seconds: f64,
}

/// Sums that give the running mean loss and accuracy over the examples seen so far.
#[derive(Clone, Debug, Default)]
pub struct Running {
    loss_sum: f64,
    correct: usize,
    count: usize,
}

impl Running {
    /// Adds a batch whose mean loss is `loss` with `correct` right answers out of `n`.
    pub fn add(&mut self, loss: f32, correct: usize, n: usize) {
        self.loss_sum += loss as f64 * n as f64;
        self.correct += correct;
        self.count += n;
    }

    /// Mean loss per example (0 when empty).
    pub fn loss(&self) -> f32 {
        if self.count == 0 {
            0.0
        } else {
            (self.loss_sum / self.count as f64) as f32
        }
    }

    /// Fraction of correct predictions (0 when empty).
    pub fn accuracy(&self) -> f32 {
        if self.count == 0 {
            0.0
        } else {
            self.correct as f32 / self.count as f32
        }
    }

    /// Number of examples seen.
    pub fn count(&self) -> usize {
        self.count
    }
}

/// Index of the larger of two logits per row (ties go to class 0).
pub fn argmax2(logits: &[f32]) -> Vec<usize> {
    logits
        .chunks_exact(2)
        .map(|r| usize::from(r[1] > r[0]))
        .collect()
}

/// Probability of the positive class from a row of two logits (a numerically stable softmax).
pub fn positive_probability(row: &[f32]) -> f32 {
    1.0 / (1.0 + (row[0] - row[1]).exp())
}

/// Number of positions where `pred` equals `labels`.
pub fn count_correct(pred: &[usize], labels: &[usize]) -> usize {
    pred.iter().zip(labels).filter(|(p, l)| p == l).count()
}

/// Writes `rows` as a CSV file with a header taken from the record's field names.
pub fn write_csv<T: Serialize>(path: &Path, rows: &[T]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut w = csv::Writer::from_path(path)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    for r in rows {
        w.serialize(r)?;
    }
    w.flush()?;
    Ok(())
}

/// Reads a CSV file written by [`write_csv`].
pub fn read_csv<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let mut r = csv::Reader::from_path(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, row) in r.deserialize().enumerate() {
        out.push(row.map_err(|e| anyhow::anyhow!("{}: row {}: {e}", path.display(), i + 2))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_means_weight_by_batch_size() {
        let mut r = Running::default();
        r.add(1.0, 1, 1);
        r.add(0.0, 3, 3);
        assert!((r.loss() - 0.25).abs() < 1e-6);
        assert!((r.accuracy() - 1.0).abs() < 1e-6);
    }

    #[test]
    fn argmax_and_probability_agree() {
        let logits = [0.0, 1.0, 2.0, -1.0, 0.5, 0.5];
        assert_eq!(argmax2(&logits), vec![1, 0, 0]);
        assert!(positive_probability(&logits[0..2]) > 0.5);
        assert!((positive_probability(&logits[4..6]) - 0.5).abs() < 1e-6);
    }
}
