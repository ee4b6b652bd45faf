//! Where an IMDb-trained model goes wrong on Yelp/dev: which class it misses, whether a
//! shifted decision threshold would have helped (a calibration shift), and how accuracy
//! changes with sentence length.
//!
//! Diagnostics only: nothing here feeds back into training or into the handed-in labels,
//! which always use the 0.5 threshold (a threshold picked on Yelp/dev would fit Yelp).

use serde::{Deserialize, Serialize};

use super::analysis::{BucketAccuracy, bucket_accuracy, length_edges};

/// Quantile buckets of sentence length in the breakdown.
const LENGTH_BUCKETS: usize = 4;

/// The error profile of one model on the labeled Yelp/dev sentences.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct YelpDevErrors {
    pub positives: usize,
    pub negatives: usize,
    /// Negative sentences labeled positive.
    pub false_positives: usize,
    /// Positive sentences labeled negative.
    pub false_negatives: usize,
    /// The threshold `t` (positive iff p > t) with the best Yelp/dev accuracy, and that
    /// accuracy: how much a calibration shift alone could explain.
    pub oracle_threshold: f32,
    pub oracle_accuracy: f32,
    /// Accuracy at 0.5 by sentence length in whitespace tokens (Yelp text is pre-tokenized).
    pub by_length: Vec<BucketAccuracy>,
}

impl YelpDevErrors {
    /// Profiles `probs` (P(positive), one per sentence) against `labels` (1 = positive);
    /// `lengths` are the sentences' token counts.
    pub fn measure(probs: &[f32], labels: &[usize], lengths: &[usize]) -> Self {
        assert_eq!(probs.len(), labels.len(), "one probability per label");
        assert_eq!(lengths.len(), labels.len(), "one length per label");
        let predicted: Vec<usize> = probs.iter().map(|&p| usize::from(p > 0.5)).collect();
        let count = |l: usize, p: usize| {
            (0..labels.len())
                .filter(|&i| labels[i] == l && predicted[i] == p)
                .count()
        };
        let positives = labels.iter().filter(|&&l| l == 1).count();
        let (oracle_threshold, oracle_accuracy) = oracle_threshold(probs, labels);
        Self {
            positives,
            negatives: labels.len() - positives,
            false_positives: count(0, 1),
            false_negatives: count(1, 0),
            oracle_threshold,
            oracle_accuracy,
            by_length: bucket_accuracy(
                lengths,
                labels,
                &predicted,
                &length_edges(lengths, LENGTH_BUCKETS),
            ),
        }
    }

    /// Accuracy at the 0.5 threshold.
    pub fn accuracy(&self) -> f32 {
        let n = self.positives + self.negatives;
        let wrong = self.false_positives + self.false_negatives;
        (n - wrong) as f32 / n.max(1) as f32
    }

    /// Fraction of the negative sentences labeled negative.
    pub fn negative_recall(&self) -> f32 {
        1.0 - self.false_positives as f32 / self.negatives.max(1) as f32
    }

    /// Fraction of the positive sentences labeled positive.
    pub fn positive_recall(&self) -> f32 {
        1.0 - self.false_negatives as f32 / self.positives.max(1) as f32
    }
}

/// The threshold `t` with the most correct labels under "positive iff p > t", and the
/// accuracy it gives. Sweeps the sorted probabilities once: passing a negative sentence
/// makes it right, passing a positive one makes it wrong; equal probabilities pass together.
/// Candidates are −1 (every sentence positive) and each distinct probability; the lowest best
/// one wins.
fn oracle_threshold(probs: &[f32], labels: &[usize]) -> (f32, f32) {
    let n = labels.len();
    if n == 0 {
        return (0.5, 0.0);
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| probs[a].total_cmp(&probs[b]));
    let mut correct = labels.iter().filter(|&&l| l == 1).count() as i64;
    let (mut best_t, mut best) = (-1.0f32, correct);
    let mut i = 0;
    while i < n {
        let t = probs[order[i]];
        while i < n && probs[order[i]] == t {
            correct += if labels[order[i]] == 0 { 1 } else { -1 };
            i += 1;
        }
        if correct > best {
            (best_t, best) = (t, correct);
        }
    }
    (best_t, best as f32 / n as f32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Accuracy of "positive iff p > t", counted directly.
    fn accuracy_at(probs: &[f32], labels: &[usize], t: f32) -> f32 {
        let hits = (0..labels.len())
            .filter(|&i| usize::from(probs[i] > t) == labels[i])
            .count();
        hits as f32 / labels.len() as f32
    }

    #[test]
    fn counts_each_kind_of_error() {
        let probs = [0.9, 0.8, 0.3, 0.7, 0.2, 0.6];
        let labels = [1, 0, 1, 0, 0, 1];
        let e = YelpDevErrors::measure(&probs, &labels, &[3, 5, 8, 2, 9, 4]);
        assert_eq!((e.positives, e.negatives), (3, 3));
        assert_eq!((e.false_positives, e.false_negatives), (2, 1));
        assert_eq!(e.accuracy(), 0.5);
        assert!((e.negative_recall() - 1.0 / 3.0).abs() < 1e-6);
        assert!((e.positive_recall() - 2.0 / 3.0).abs() < 1e-6);
        // Above 0.2 (or 0.8) 4 of 6 are right; the lower of two equal thresholds wins.
        assert_eq!(e.oracle_threshold, 0.2);
        assert!((e.oracle_accuracy - 4.0 / 6.0).abs() < 1e-6);
        assert_eq!(e.by_length.iter().map(|b| b.count).sum::<usize>(), 6);
    }

    proptest! {
        #[test]
        fn the_oracle_threshold_is_the_best_of_every_candidate(
            rows in proptest::collection::vec((0u8..=20, 0usize..2, 1usize..30), 1..60),
        ) {
            // Coarse probabilities, so ties are common.
            let probs: Vec<f32> = rows.iter().map(|r| r.0 as f32 / 20.0).collect();
            let labels: Vec<usize> = rows.iter().map(|r| r.1).collect();
            let lengths: Vec<usize> = rows.iter().map(|r| r.2).collect();
            let e = YelpDevErrors::measure(&probs, &labels, &lengths);
            let brute = std::iter::once(-1.0)
                .chain(probs.iter().copied())
                .map(|t| accuracy_at(&probs, &labels, t))
                .fold(0.0f32, f32::max);
            prop_assert!((e.oracle_accuracy - brute).abs() < 1e-6);
            prop_assert!((accuracy_at(&probs, &labels, e.oracle_threshold) - e.oracle_accuracy).abs() < 1e-6);
            prop_assert!(e.oracle_accuracy + 1e-6 >= e.accuracy());
            prop_assert!((e.accuracy() - accuracy_at(&probs, &labels, 0.5)).abs() < 1e-6);
            prop_assert_eq!(e.by_length.iter().map(|b| b.count).sum::<usize>(), labels.len());
        }
    }
}
