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
    /// LSTM over a padded batch (see [`reference`] for the contract).
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

// The fused CPU ops (`crate::nn::fused`) plug in here for `Cpu`/`f32` once they land.
impl SequenceDevice<f32> for Cpu {}
impl SequenceDevice<f64> for Cpu {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f32> for Cuda {}
#[cfg(feature = "cuda")]
impl SequenceDevice<f64> for Cuda {}
