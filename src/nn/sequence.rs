//! Host-built index and mask tensors for right-padded batches (`lengths[r]` real tokens, then
//! padding up to `seq_len`).

use dfdx::prelude::*;
use dfdx::tensor::TensorFromVec;

use super::params::{R2, from_f64};

/// `(B, T)` float mask: 1 at real positions `t < lengths[r]`, 0 at padding.
pub fn mask<E: Dtype, D: Device<E>>(dev: &D, lengths: &[usize], seq_len: usize) -> R2<E, D> {
    let data = lengths
        .iter()
        .flat_map(|&len| (0..seq_len).map(move |t| from_f64(if t < len { 1.0 } else { 0.0 })))
        .collect();
    dev.tensor_from_vec(data, (lengths.len(), seq_len))
}

/// `(B, T)` additive mask: 0 at real positions, `-1e30` at padding (so padding never wins a max
/// and gets zero weight in a softmax).
pub fn neg_mask<E: Dtype, D: Device<E>>(dev: &D, lengths: &[usize], seq_len: usize) -> R2<E, D> {
    let data = lengths
        .iter()
        .flat_map(|&len| (0..seq_len).map(move |t| from_f64(if t < len { 0.0 } else { -1e30 })))
        .collect();
    dev.tensor_from_vec(data, (lengths.len(), seq_len))
}

/// Per-row time reversal of the real tokens: position `t < len` maps to `len − 1 − t`, padding
/// maps to itself. An involution, used to gather inputs into and outputs out of reversed order.
pub fn reverse_index<D: TensorFromVec<usize>>(
    dev: &D,
    lengths: &[usize],
    seq_len: usize,
) -> Tensor<(usize, usize), usize, D> {
    let data = lengths
        .iter()
        .flat_map(|&len| (0..seq_len).map(move |t| if t < len { len - 1 - t } else { t }))
        .collect();
    dev.tensor_from_vec(data, (lengths.len(), seq_len))
}

/// `(B,)` index tensor with every entry `value` (selects one time step or gate block per row).
pub fn constant_index<D: TensorFromVec<usize>>(
    dev: &D,
    batch: usize,
    value: usize,
) -> Tensor<(usize,), usize, D> {
    dev.tensor_from_vec(vec![value; batch], (batch,))
}

/// `(B,)` index of each row's last real position `len − 1`.
pub fn last_index<D: TensorFromVec<usize>>(
    dev: &D,
    lengths: &[usize],
) -> Tensor<(usize,), usize, D> {
    let data = lengths.iter().map(|&len| len.saturating_sub(1)).collect();
    dev.tensor_from_vec(data, (lengths.len(),))
}
