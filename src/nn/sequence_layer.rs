//! What the stacking and bidirectional wrappers need from a recurrent layer.

use dfdx::nn::tensor_collection::TensorCollection;
use dfdx::prelude::*;

use super::backend::{Path, SequenceDevice};
use super::lstm::Lstm;
use super::params::{R2, R3};
use super::rnn::Rnn;

/// A recurrent layer mapping `x: (B, T, E)` → `(B, T, H)` over each row's real tokens.
pub trait SequenceLayer<E: Dtype, D: SequenceDevice<E>>: TensorCollection<E, D> + Clone {
    /// Hidden size `H`.
    fn hidden(&self) -> usize;

    /// The layer over a padded batch, forward or reversed.
    fn run<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        reverse: bool,
        path: Path,
    ) -> R3<E, D, T>;

    /// [`SequenceLayer::run`] on the reference path, pushing each step's `h_t` onto `trace`.
    fn run_traced<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        reverse: bool,
        trace: &mut Vec<R2<E, D>>,
    ) -> R3<E, D, T>;
}

impl<E: Dtype, D: SequenceDevice<E>> SequenceLayer<E, D> for Rnn<E, D> {
    fn hidden(&self) -> usize {
        Rnn::hidden(self)
    }
    fn run<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        reverse: bool,
        path: Path,
    ) -> R3<E, D, T> {
        self.forward(x, lengths, reverse, path)
    }
    fn run_traced<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        reverse: bool,
        trace: &mut Vec<R2<E, D>>,
    ) -> R3<E, D, T> {
        self.forward_traced(x, lengths, reverse, trace)
    }
}

impl<E: Dtype, D: SequenceDevice<E>> SequenceLayer<E, D> for Lstm<E, D> {
    fn hidden(&self) -> usize {
        Lstm::hidden(self)
    }
    fn run<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        reverse: bool,
        path: Path,
    ) -> R3<E, D, T> {
        self.forward(x, lengths, reverse, path)
    }
    fn run_traced<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        reverse: bool,
        trace: &mut Vec<R2<E, D>>,
    ) -> R3<E, D, T> {
        self.forward_traced(x, lengths, reverse, trace)
    }
}
