//! What the stacking and bidirectional wrappers need from a recurrent layer, and the one
//! implementation of running it: a layer only names its weights and its recurrence.

use dfdx::nn::tensor_collection::TensorCollection;
use dfdx::prelude::*;

use super::backend::{Path, SequenceDevice};
use super::params::{R2, R3};
use super::reference::{self, Recurrence, Weights};

/// What every recurrent layer of one forward pass shares: the batch's row lengths (real
/// tokens before the padding), the implementation to run, and whether the pass trains (the
/// stack then applies dropout between layers).
#[derive(Clone, Copy, Debug)]
pub struct Pass<'a> {
    pub lengths: &'a [usize],
    pub path: Path,
    pub train: bool,
}

/// A recurrent layer mapping `x: (B, T, E)` → `(B, T, H)` over each row's real tokens; see
/// [`reference`](mod@crate::nn::reference) for the contract.
pub trait SequenceLayer<E: Dtype, D: SequenceDevice<E>>: TensorCollection<E, D> + Clone {
    /// The layer's parameters.
    fn weights(&self) -> Weights<'_, E, D>;

    /// The recurrence its weights feed.
    fn recurrence(&self) -> Recurrence;

    /// Hidden size `H`.
    fn hidden(&self) -> usize {
        self.weights().w_h.shape().0
    }

    /// The layer over a padded batch, forward or reversed.
    fn run<T: Tape<E, D>>(&self, x: R3<E, D, T>, pass: Pass<'_>, reverse: bool) -> R3<E, D, T> {
        let (weights, recurrence) = (self.weights(), self.recurrence());
        D::recurrent_sequence(x, weights, recurrence, pass.lengths, reverse, pass.path)
    }

    /// [`SequenceLayer::run`] on the reference path, pushing each step's `h_t` onto `trace`.
    fn run_traced<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        reverse: bool,
        trace: &mut Vec<R2<E, D>>,
    ) -> R3<E, D, T> {
        let (weights, recurrence) = (self.weights(), self.recurrence());
        reference::sequence(x, weights, recurrence, lengths, reverse, Some(trace))
    }
}
