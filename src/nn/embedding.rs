//! Token embedding: a `(vocab, dim)` table looked up by gather.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;
use rand::rngs::StdRng;

use super::params::{R2, R3, uniform};

/// A `(vocab, dim)` embedding table.
#[derive(Clone, Debug)]
pub struct Embedding<E: Dtype, D: Device<E>> {
    pub weight: R2<E, D>,
}

impl<E: Dtype, D: Device<E>> Embedding<E, D> {
    /// A table with entries uniform in ±0.1.
    pub fn new(dev: &D, vocab: usize, dim: usize, rng: &mut StdRng) -> Self {
        Self {
            weight: uniform(dev, (vocab, dim), 0.1, rng),
        }
    }

    /// Vocabulary size.
    pub fn vocab(&self) -> usize {
        self.weight.shape().0
    }

    /// Embedding width.
    pub fn dim(&self) -> usize {
        self.weight.shape().1
    }

    /// Looks up `ids` (row-major `(rows, cols)`) → `(rows, cols, dim)`, recording on `tape`.
    /// Panics on an id ≥ vocab (the loader's ids come from the same tokenizer).
    pub fn forward<T: Tape<E, D>>(
        &self,
        ids: &[usize],
        rows: usize,
        cols: usize,
        tape: T,
    ) -> R3<E, D, T> {
        let dev = self.weight.device();
        let idx = dev.tensor_from_vec(ids.to_vec(), (rows, cols));
        self.weight.clone().put_tape(tape).gather(idx)
    }
}

crate::weight_only_collection!(Embedding);
