//! Device dispatch for whole-sequence recurrent ops: the fused CPU kernels where they exist,
//! the op-by-op reference formulation everywhere else.

use dfdx::prelude::*;

use super::gates::GateSet;
use super::params::{R1, R2, R3};
use super::reference;

/// Which implementation a recurrent layer runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Path {
    /// The fused op when the device/dtype has one, else the reference.
    #[default]
    Fastest,
    /// Always the op-by-op reference (also the only path that can trace hidden states).
    Reference,
}

/// A dfdx device that can run the study's recurrent layers over whole sequences.
pub trait SequenceDevice<E: Dtype>: Device<E> {
    /// LSTM over a padded batch (see [`reference`](mod@crate::nn::reference) for the contract).
    #[allow(clippy::too_many_arguments)]
    fn lstm_sequence<T: Tape<E, Self>>(
        x: R3<E, Self, T>,
        w_x: &R2<E, Self>,
        w_h: &R2<E, Self>,
        b: &R1<E, Self>,
        lengths: &[usize],
        gates: GateSet,
        reverse: bool,
        path: Path,
    ) -> R3<E, Self, T> {
        let _ = path;
        reference::lstm_sequence(x, w_x, w_h, b, lengths, gates, reverse)
    }

    /// Vanilla RNN over a padded batch.
    #[allow(clippy::too_many_arguments)]
    fn rnn_sequence<T: Tape<E, Self>>(
        x: R3<E, Self, T>,
        w_x: &R2<E, Self>,
        w_h: &R2<E, Self>,
        b: &R1<E, Self>,
        lengths: &[usize],
        reverse: bool,
        path: Path,
    ) -> R3<E, Self, T> {
        let _ = path;
        reference::rnn_sequence(x, w_x, w_h, b, lengths, reverse)
    }
}

/// `Cpu`/`f32` runs the fused whole-sequence ops of [`super::fused`] on the fastest path.
impl SequenceDevice<f32> for Cpu {
    fn lstm_sequence<T: Tape<f32, Self>>(
        x: R3<f32, Self, T>,
        w_x: &R2<f32, Self>,
        w_h: &R2<f32, Self>,
        b: &R1<f32, Self>,
        lengths: &[usize],
        gates: GateSet,
        reverse: bool,
        path: Path,
    ) -> R3<f32, Self, T> {
        match path {
            Path::Fastest => super::fused::lstm_sequence(x, w_x, w_h, b, lengths, gates, reverse),
            Path::Reference => reference::lstm_sequence(x, w_x, w_h, b, lengths, gates, reverse),
        }
    }

    fn rnn_sequence<T: Tape<f32, Self>>(
        x: R3<f32, Self, T>,
        w_x: &R2<f32, Self>,
        w_h: &R2<f32, Self>,
        b: &R1<f32, Self>,
        lengths: &[usize],
        reverse: bool,
        path: Path,
    ) -> R3<f32, Self, T> {
        match path {
            Path::Fastest => super::fused::rnn_sequence(x, w_x, w_h, b, lengths, reverse),
            Path::Reference => reference::rnn_sequence(x, w_x, w_h, b, lengths, reverse),
        }
    }
}
impl SequenceDevice<f64> for Cpu {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f32> for Cuda {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f64> for Cuda {}
