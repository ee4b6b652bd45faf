//! A recurrent layer run forward and, optionally, backward over each row's real tokens.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;

use super::backend::SequenceDevice;
use super::directions::Directions;
use super::params::{DynList, R2, R3};
use super::sequence_layer::{Pass, SequenceLayer};

/// A forward layer and an optional backward layer of the same kind.
#[derive(Clone, Debug)]
pub struct Bidirectional<L> {
    pub forward: L,
    /// Empty for a unidirectional layer, else the one backward layer.
    pub backward: DynList<L>,
}

impl<L> Bidirectional<L> {
    /// A forward layer, plus `backward` when given.
    pub fn new(forward: L, backward: Option<L>) -> Self {
        Self {
            forward,
            backward: DynList::new(backward.into_iter().collect()),
        }
    }

    /// 1 or 2.
    pub fn num_directions(&self) -> usize {
        1 + self.backward.items.len()
    }

    /// Runs both directions over `x: (B, T, E)`. With `trace`, the forward direction runs on
    /// the reference path and pushes its per-step hidden states.
    pub fn forward<E: Dtype, D: SequenceDevice<E>, T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        pass: Pass<'_>,
        trace: Option<&mut Vec<R2<E, D>>>,
    ) -> Directions<E, D, T>
    where
        L: SequenceLayer<E, D>,
    {
        let backward = self
            .backward
            .items
            .first()
            .map(|layer| layer.run(x.retaped::<T>(), pass, true));
        let forward = match trace {
            Some(trace) => self.forward.run_traced(x, pass.lengths, false, trace),
            None => self.forward.run(x, pass, false),
        };
        Directions { forward, backward }
    }
}

crate::tensor_collection!(Bidirectional<L> { module forward, list backward });
