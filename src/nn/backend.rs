//! Device dispatch for whole-sequence ops (recurrent layers, embedding lookup, CNN branches):
//! the fused CPU kernels where they exist, the op-by-op reference formulation everywhere else.

use dfdx::prelude::*;

use super::conv1d::Conv1d;
use super::params::{R1, R2, R3};
use super::pooling::max_over_time;
use super::reference::{self, Recurrence, Weights};

/// Which implementation a recurrent layer runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Path {
    /// The fused op when the device/dtype has one, else the reference.
    #[default]
    Fastest,
    /// Always the op-by-op reference (also the only path that can trace hidden states).
    Reference,
}

/// A device's whole-sequence kernels (for one tape type), run in place of the op-by-op
/// formulations; the argument lists are those of [`super::fused`]'s ops.
// Allowed: each field spells out its op's argument list, which a type alias would only hide.
#[allow(clippy::type_complexity)]
pub struct FusedOps<E: Dtype, D: Device<E>, T: Tape<E, D>> {
    /// The rows of a `(V, E)` table for ids `(rows, cols)`.
    pub embed: fn(R2<E, D, T>, &[usize], usize, usize) -> R3<E, D, T>,
    /// One CNN branch from the input, weight, bias, lengths, kernel and padding.
    pub conv_max_relu: fn(R3<E, D, T>, &R2<E, D>, &R1<E, D>, &[usize], usize, usize) -> R2<E, D, T>,
    /// A recurrent layer from the input, its weights, its recurrence, lengths and `reverse`.
    pub recurrent: fn(R3<E, D, T>, Weights<'_, E, D>, Recurrence, &[usize], bool) -> R3<E, D, T>,
}

/// A dfdx device that can run the study's layers over whole sequences: each op runs the
/// device's [`FusedOps`] where `path` has them, else the op-by-op formulation.
pub trait SequenceDevice<E: Dtype>: Device<E> {
    /// The fused kernels `path` runs on this device and float type, if any.
    fn fused_ops<T: Tape<E, Self>>(path: Path) -> Option<FusedOps<E, Self, T>> {
        let _ = path;
        None
    }

    /// Whether `path` runs fused ops on this device and float type (the classifier then feeds
    /// the CNN the embedded sequence instead of gathering windows from the table).
    fn is_fused(path: Path) -> bool {
        Self::fused_ops::<NoneTape>(path).is_some()
    }

    /// The rows of `weight` `(V, E)` for `ids` (row-major `(rows, cols)`) → `(rows, cols, E)`;
    /// the tape rides on `weight`.
    fn embed<T: Tape<E, Self>>(
        weight: R2<E, Self, T>,
        ids: &[usize],
        rows: usize,
        cols: usize,
        path: Path,
    ) -> R3<E, Self, T> {
        match Self::fused_ops::<T>(path) {
            Some(ops) => (ops.embed)(weight, ids, rows, cols),
            None => {
                let idx = weight.device().tensor_from_vec(ids.to_vec(), (rows, cols));
                weight.gather(idx)
            }
        }
    }

    /// One CNN branch: `relu(max over valid positions of conv(x))` `(B, C_out)`.
    fn conv_max_relu<T: Tape<E, Self>>(
        x: R3<E, Self, T>,
        conv: &Conv1d<E, Self>,
        lengths: &[usize],
        path: Path,
    ) -> R2<E, Self, T> {
        let (kernel, padding) = (conv.kernel, conv.padding);
        match Self::fused_ops::<T>(path) {
            Some(ops) => (ops.conv_max_relu)(x, &conv.weight, &conv.bias, lengths, kernel, padding),
            None => {
                let (y, out_lengths) = conv.forward(x, lengths);
                max_over_time(y, &out_lengths).relu()
            }
        }
    }

    /// A recurrent layer over a padded batch (see [`reference`](mod@crate::nn::reference) for
    /// the contract).
    fn recurrent_sequence<T: Tape<E, Self>>(
        x: R3<E, Self, T>,
        weights: Weights<'_, E, Self>,
        recurrence: Recurrence,
        lengths: &[usize],
        reverse: bool,
        path: Path,
    ) -> R3<E, Self, T> {
        match Self::fused_ops::<T>(path) {
            Some(ops) => (ops.recurrent)(x, weights, recurrence, lengths, reverse),
            None => reference::sequence(x, weights, recurrence, lengths, reverse, None),
        }
    }
}

/// `Cpu`/`f32` runs the fused whole-sequence ops of [`super::fused`] on the fastest path.
impl SequenceDevice<f32> for Cpu {
    fn fused_ops<T: Tape<f32, Self>>(path: Path) -> Option<FusedOps<f32, Self, T>> {
        (path == Path::Fastest).then_some(FusedOps {
            embed: super::fused::embedding_lookup,
            conv_max_relu: super::fused::conv1d_max_relu,
            recurrent: super::fused::recurrent_sequence,
        })
    }
}
impl SequenceDevice<f64> for Cpu {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f32> for Cuda {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f64> for Cuda {}
