//! Question 3's analyses: accuracy by review length, and how the loss gradient with respect
//! to the hidden state, ‖∂L/∂h_t‖, changes with the distance from the last token.

use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::loader::Batch;
use crate::nn::classifier::Classifier;

/// Accuracy of one model on the test reviews of one length bucket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BucketAccuracy {
    /// Inclusive token-count range of the bucket.
    pub min_tokens: usize,
    pub max_tokens: usize,
    pub count: usize,
    pub accuracy: f32,
}

/// Inclusive `(min, max)` token ranges splitting `lengths` into `buckets` groups of about
/// equal size (quantiles); adjacent equal edges are merged.
pub fn length_edges(lengths: &[usize], buckets: usize) -> Vec<(usize, usize)> {
    if lengths.is_empty() || buckets == 0 {
        return Vec::new();
    }
    let mut sorted = lengths.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    let mut lo = sorted[0];
    for b in 1..=buckets {
        let hi = if b == buckets {
            sorted[n - 1]
        } else {
            sorted[(b * n / buckets).saturating_sub(1)]
        };
        if hi < lo {
            continue;
        }
        edges.push((lo, hi));
        lo = hi + 1;
    }
    edges
}

/// Accuracy of `predictions` in each length range of `edges`.
pub fn bucket_accuracy(
    lengths: &[usize],
    labels: &[usize],
    predictions: &[usize],
    edges: &[(usize, usize)],
) -> Vec<BucketAccuracy> {
    edges
        .iter()
        .map(|&(lo, hi)| {
            let idx: Vec<usize> = (0..lengths.len())
                .filter(|&i| (lo..=hi).contains(&lengths[i]))
                .collect();
            let correct = idx.iter().filter(|&&i| labels[i] == predictions[i]).count();
            BucketAccuracy {
                min_tokens: lo,
                max_tokens: hi,
                count: idx.len(),
                accuracy: if idx.is_empty() {
                    0.0
                } else {
                    correct as f32 / idx.len() as f32
                },
            }
        })
        .collect()
}

/// Mean over reviews of ‖∂L/∂h_t‖ (last recurrent layer, forward direction) for each distance
/// `d = len − 1 − t` from the last real token, `d < max_distance`, with the summed (not
/// averaged) cross-entropy of each batch so a review's gradient does not depend on the batch
/// size. Empty for a CNN. Dropout is off.
pub fn grad_flow(model: &Classifier<f32, Cpu>, batches: &[Batch], max_distance: usize) -> Vec<f32> {
    let mut sum = vec![0.0f64; max_distance];
    let mut count = vec![0usize; max_distance];
    for b in batches {
        // A leaky tape keeps the gradients of intermediate tensors such as h_t.
        let (_, tape) = model.embedding.weight.clone().leaky_traced().split_tape();
        let traced = model.forward_traced(b, tape, false);
        if traced.states.is_empty() {
            return Vec::new();
        }
        let dev = traced.logits.device().clone();
        let mut target = vec![0.0f32; b.batch_size * 2];
        for (r, &l) in b.labels.iter().enumerate() {
            target[r * 2 + l.min(1)] = 1.0;
        }
        let target = dev.tensor_from_vec(target, (b.batch_size, Const::<2>));
        let loss = cross_entropy_with_logits_loss(traced.logits, target) * b.batch_size as f32;
        let grads = loss.backward();
        for (t, h) in traced.states.iter().enumerate() {
            let g = grads.get(h).as_vec();
            let width = g.len() / b.batch_size;
            for r in 0..b.batch_size {
                let len = b.lengths[r];
                if t >= len {
                    continue;
                }
                let d = len - 1 - t;
                if d < max_distance {
                    let row = &g[r * width..(r + 1) * width];
                    sum[d] += row.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
                    count[d] += 1;
                }
            }
        }
    }
    let keep = count.iter().position(|&c| c == 0).unwrap_or(max_distance);
    (0..keep)
        .map(|d| (sum[d] / count[d] as f64) as f32)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_edges_cover_all_lengths_in_order() {
        let lengths: Vec<usize> = (1..=100).collect();
        let e = length_edges(&lengths, 4);
        assert_eq!(e, vec![(1, 25), (26, 50), (51, 75), (76, 100)]);
        let acc = bucket_accuracy(
            &lengths,
            &vec![1; 100],
            &(0..100).map(|i| usize::from(i < 50)).collect::<Vec<_>>(),
            &e,
        );
        assert_eq!(acc.iter().map(|b| b.count).sum::<usize>(), 100);
        assert_eq!(acc[0].accuracy, 1.0);
        assert_eq!(acc[3].accuracy, 0.0);
        // Many equal lengths merge buckets instead of producing empty ones.
        assert_eq!(length_edges(&[5; 10], 4), vec![(5, 5)]);
    }
}
