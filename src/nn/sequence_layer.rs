//! What the stacking and bidirectional wrappers need from a recurrent layer.

use dfdx::nn::tensor_collection::TensorCollection;
use dfdx::prelude::*;

use super::backend::{Path, SequenceDevice};
use super::params::{R2, R3};

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
