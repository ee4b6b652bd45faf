//! Device dispatch for whole-sequence ops (recurrent layers, embedding lookup, CNN branches):
//! the fused CPU kernels where they exist, the op-by-op reference formulation everywhere else.

use dfdx::prelude::*;

use super::conv1d::Conv1d;
use super::params::{R2, R3};
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

/// The op-by-op embedding lookup: dfdx's `gather` of `weight`'s rows for `ids` `(rows, cols)`.
fn gather_rows<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    weight: R2<E, D, T>,
    ids: &[usize],
    rows: usize,
    cols: usize,
) -> R3<E, D, T> {
    let idx = weight.device().tensor_from_vec(ids.to_vec(), (rows, cols));
    weight.gather(idx)
}

/// The op-by-op CNN branch: unfolded Conv1d, masked max over time, ReLU.
fn conv_branch<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    conv: &Conv1d<E, D>,
    lengths: &[usize],
) -> R2<E, D, T> {
    let (y, out_lengths) = conv.forward(x, lengths);
    max_over_time(y, &out_lengths).relu()
}

/// A dfdx device that can run the study's layers over whole sequences.
pub trait SequenceDevice<E: Dtype>: Device<E> {
    /// Whether `path` runs fused ops on this device and float type (the classifier then feeds
    /// the CNN the embedded sequence instead of gathering windows from the table).
    fn is_fused(path: Path) -> bool {
        let _ = path;
        false
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
        let _ = path;
        gather_rows(weight, ids, rows, cols)
    }

    /// One CNN branch: `relu(max over valid positions of conv(x))` `(B, C_out)`.
    fn conv_max_relu<T: Tape<E, Self>>(
        x: R3<E, Self, T>,
        conv: &Conv1d<E, Self>,
        lengths: &[usize],
        path: Path,
    ) -> R2<E, Self, T> {
        let _ = path;
        conv_branch(x, conv, lengths)
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
        let _ = path;
        reference::sequence(x, weights, recurrence, lengths, reverse, None)
    }
}

/// `Cpu`/`f32` runs the fused whole-sequence ops of [`super::fused`] on the fastest path.
impl SequenceDevice<f32> for Cpu {
    fn is_fused(path: Path) -> bool {
        path == Path::Fastest
    }

    fn embed<T: Tape<f32, Self>>(
        weight: R2<f32, Self, T>,
        ids: &[usize],
        rows: usize,
        cols: usize,
        path: Path,
    ) -> R3<f32, Self, T> {
        match path {
            Path::Fastest => super::fused::embedding_lookup(weight, ids, rows, cols),
            Path::Reference => gather_rows(weight, ids, rows, cols),
        }
    }

    fn conv_max_relu<T: Tape<f32, Self>>(
        x: R3<f32, Self, T>,
        conv: &Conv1d<f32, Self>,
        lengths: &[usize],
        path: Path,
    ) -> R2<f32, Self, T> {
        match path {
            Path::Fastest => super::fused::conv1d_max_relu(
                x,
                &conv.weight,
                &conv.bias,
                lengths,
                conv.kernel,
                conv.padding,
            ),
            Path::Reference => conv_branch(x, conv, lengths),
        }
    }

    fn recurrent_sequence<T: Tape<f32, Self>>(
        x: R3<f32, Self, T>,
        weights: Weights<'_, f32, Self>,
        recurrence: Recurrence,
        lengths: &[usize],
        reverse: bool,
        path: Path,
    ) -> R3<f32, Self, T> {
        let Weights { w_x, w_h, b } = weights;
        match (path, recurrence) {
            (Path::Fastest, Recurrence::Rnn) => {
                super::fused::rnn_sequence(x, w_x, w_h, b, lengths, reverse)
            }
            (Path::Fastest, Recurrence::Lstm(gates)) => {
                super::fused::lstm_sequence(x, w_x, w_h, b, lengths, gates, reverse)
            }
            (Path::Reference, _) => {
                reference::sequence(x, weights, recurrence, lengths, reverse, None)
            }
        }
    }
}
impl SequenceDevice<f64> for Cpu {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f32> for Cuda {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f64> for Cuda {}
