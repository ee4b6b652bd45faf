//! Stacked (optionally bidirectional) recurrent layers with dropout between them.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;

use super::backend::SequenceDevice;
use super::bidirectional::Bidirectional;
use super::directions::Directions;
use super::params::{DynList, R2, R3};
use super::sequence_layer::{Pass, SequenceLayer};

/// `num_layers` recurrent layers; layer `l > 0` reads the concatenated directions of `l − 1`.
#[derive(Clone, Debug)]
pub struct RecurrentStack<L> {
    pub layers: DynList<Bidirectional<L>>,
    /// Dropout probability applied to each layer's output except the last (training only).
    pub dropout: f64,
}

impl<L> RecurrentStack<L> {
    /// Builds layer `l` with `make(l, input_size)`, where input_size is `input` for the first
    /// layer and `hidden·directions` after it.
    pub fn new(
        num_layers: usize,
        input: usize,
        hidden: usize,
        bidirectional: bool,
        dropout: f64,
        mut make: impl FnMut(usize) -> L,
    ) -> Self {
        let dirs = 1 + bidirectional as usize;
        let layers = (0..num_layers)
            .map(|l| {
                let size = if l == 0 { input } else { hidden * dirs };
                let forward = make(size);
                let backward = bidirectional.then(|| make(size));
                Bidirectional::new(forward, backward)
            })
            .collect();
        Self {
            layers: DynList::new(layers),
            dropout,
        }
    }

    /// Feature width of the last layer's concatenated directions.
    pub fn output_size<E: Dtype, D: SequenceDevice<E>>(&self) -> usize
    where
        L: SequenceLayer<E, D>,
    {
        let last = self.layers.items.last().expect("at least one layer");
        last.forward.hidden() * last.num_directions()
    }

    /// Runs the stack over `x: (B, T, E)`; returns the last layer's directions. With `trace`,
    /// the last layer's forward direction records its per-step hidden states.
    pub fn forward<E: Dtype, D: SequenceDevice<E>, T: Tape<E, D>>(
        &self,
        mut x: R3<E, D, T>,
        pass: Pass<'_>,
        mut trace: Option<&mut Vec<R2<E, D>>>,
    ) -> Directions<E, D, T>
    where
        L: SequenceLayer<E, D>,
    {
        let (last, below) = self.layers.items.split_last().expect("at least one layer");
        for layer in below {
            x = layer.forward(x, pass, None).concat();
            if pass.train && self.dropout > 0.0 {
                x = x.dropout(self.dropout);
            }
        }
        last.forward(x, pass, trace.take())
    }
}

crate::tensor_collection!(RecurrentStack<L> { list layers, setting dropout = f64::NAN });
