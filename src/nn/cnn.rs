//! The CNN encoder: Conv1d branches of several widths → masked max over time → ReLU.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;

use super::backend::{Path, SequenceDevice};
use super::conv1d::{Conv1d, WindowPlan};
use super::embedding::Embedding;
use super::params::{DynList, R2, R3};
use super::pooling::max_over_time;

/// Parallel Conv1d branches whose pooled features are concatenated.
#[derive(Clone, Debug)]
pub struct CnnEncoder<E: Dtype, D: Device<E>> {
    pub branches: DynList<Conv1d<E, D>>,
}

impl<E: Dtype, D: Device<E>> CnnEncoder<E, D> {
    /// Feature width: the sum of the branches' output channels.
    pub fn output_size(&self) -> usize {
        self.branches.items.iter().map(|c| c.out_channels()).sum()
    }

    /// Encodes token `ids` (row-major `(B, seq_len)`), gathering windows straight from the
    /// embedding table.
    pub fn forward_tokens<T: Tape<E, D>>(
        &self,
        embedding: &Embedding<E, D>,
        ids: &[usize],
        lengths: &[usize],
        seq_len: usize,
        tape: T,
    ) -> R2<E, D, T> {
        let mut tape = Some(tape);
        let pooled = self.branches.items.iter().map(|conv| {
            let plan = conv.plan(lengths, seq_len);
            let tape = tape.take().unwrap_or_default();
            let y = conv.forward_tokens(embedding, ids, &plan, seq_len, tape);
            pool(y, &plan.out_lengths)
        });
        concat_features(pooled.collect())
    }

    /// Encodes already-embedded `x: (B, T, E)` (the op-by-op branches).
    pub fn forward<T: Tape<E, D>>(&self, x: R3<E, D, T>, lengths: &[usize]) -> R2<E, D, T> {
        self.map_branches(x, |x, conv| {
            let (y, out_lengths) = conv.forward(x, lengths);
            pool(y, &out_lengths)
        })
    }

    /// Encodes already-embedded `x: (B, T, E)` with the device's implementation of `path`
    /// (fused branches on CPU/f32 with [`Path::Fastest`]).
    pub fn forward_path<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
        path: Path,
    ) -> R2<E, D, T>
    where
        D: SequenceDevice<E>,
    {
        self.map_branches(x, |x, conv| D::conv_max_relu(x, conv, lengths, path))
    }

    /// Runs `branch` on `x` for every branch (the tape goes to the first; the concat merges
    /// them) and concatenates the features.
    fn map_branches<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        mut branch: impl FnMut(R3<E, D, T>, &Conv1d<E, D>) -> R2<E, D, T>,
    ) -> R2<E, D, T> {
        let (x, tape) = x.split_tape();
        let mut tape = Some(tape);
        let pooled = self.branches.items.iter().map(|conv| {
            let x = x.clone().put_tape(tape.take().unwrap_or_default());
            branch(x, conv)
        });
        concat_features(pooled.collect())
    }

    /// The window plans of every branch (for tests and benchmarks).
    pub fn plans(&self, lengths: &[usize], seq_len: usize) -> Vec<WindowPlan> {
        self.branches
            .items
            .iter()
            .map(|c| c.plan(lengths, seq_len))
            .collect()
    }
}

/// ReLU(max over valid positions): padding never wins the max. ReLU is monotone, so this
/// equals max-of-ReLU; a row without a single valid window pools to 0.
fn pool<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    y: R3<E, D, T>,
    out_lengths: &[usize],
) -> R2<E, D, T> {
    max_over_time(y, out_lengths).relu()
}

fn concat_features<E: Dtype, D: Device<E>, T: Tape<E, D>>(parts: Vec<R2<E, D, T>>) -> R2<E, D, T> {
    let mut parts = parts.into_iter();
    let first = parts.next().expect("at least one branch");
    parts.fold(first, |acc, p| (acc, p).concat_along(Axis::<1>))
}

crate::tensor_collection!(CnnEncoder<E, D> { list branches });
