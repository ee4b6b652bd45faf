//! The LSTM layer with switchable gates.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;
use rand::rngs::StdRng;

use super::gates::{Block, GateSet};

use super::backend::SequenceDevice;
use super::params::{R1, R2, UNSET, from_f64, uniform};
use super::reference::{Recurrence, Weights};
use super::sequence_layer::SequenceLayer;

/// One LSTM layer; `w_x: (E, G·H)`, `w_h: (H, G·H)`, `b: (G·H,)` with the gate blocks of
/// [`GateSet::block_index`]. Disabled gates have no weights.
#[derive(Clone, Debug)]
pub struct Lstm<E: Dtype, D: Device<E>> {
    pub w_x: R2<E, D>,
    pub w_h: R2<E, D>,
    pub b: R1<E, D>,
    /// [`GateSet::to_bits`] (a number so that checkpoints record it).
    pub gate_bits: usize,
}

impl<E: Dtype, D: Device<E>> Lstm<E, D> {
    /// Weights uniform in ±1/√H; the forget gate's bias starts at 1 (remember by default).
    pub fn new(dev: &D, input: usize, hidden: usize, gates: GateSet, rng: &mut StdRng) -> Self {
        let bound = 1.0 / (hidden as f64).sqrt();
        let width = gates.num_blocks() * hidden;
        let mut b: R1<E, D> = uniform(dev, (width,), bound, rng);
        if let Some(k) = gates.block_index(Block::Forget) {
            let mut host = b.as_vec();
            host[k * hidden..(k + 1) * hidden].fill(from_f64(1.0));
            b.copy_from(&host);
        }
        Self {
            w_x: uniform(dev, (input, width), bound, rng),
            w_h: uniform(dev, (hidden, width), bound, rng),
            b,
            gate_bits: gates.to_bits(),
        }
    }

    /// The enabled gates.
    pub fn gates(&self) -> GateSet {
        GateSet::from_bits(self.gate_bits)
    }
}

impl<E: Dtype, D: SequenceDevice<E>> SequenceLayer<E, D> for Lstm<E, D> {
    fn weights(&self) -> Weights<'_, E, D> {
        let (w_x, w_h, b) = (&self.w_x, &self.w_h, &self.b);
        Weights { w_x, w_h, b }
    }

    fn recurrence(&self) -> Recurrence {
        Recurrence::Lstm(self.gates())
    }
}

crate::tensor_collection!(Lstm<E, D> {
    tensor w_x,
    tensor w_h,
    tensor b,
    setting gate_bits = UNSET,
});
