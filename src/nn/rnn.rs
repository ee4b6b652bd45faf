//! The vanilla RNN layer: `h_t = tanh(W_x x_t + W_h h_{t−1} + b)`.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;
use rand::rngs::StdRng;

use super::backend::SequenceDevice;
use super::params::{R1, R2, uniform};
use super::reference::{Recurrence, Weights};
use super::sequence_layer::SequenceLayer;

/// One RNN layer; `w_x: (E, H)`, `w_h: (H, H)`, `b: (H,)`.
#[derive(Clone, Debug)]
pub struct Rnn<E: Dtype, D: Device<E>> {
    pub w_x: R2<E, D>,
    pub w_h: R2<E, D>,
    pub b: R1<E, D>,
}

impl<E: Dtype, D: Device<E>> Rnn<E, D> {
    /// Weights uniform in ±1/√H (PyTorch's default).
    pub fn new(dev: &D, input: usize, hidden: usize, rng: &mut StdRng) -> Self {
        let bound = 1.0 / (hidden as f64).sqrt();
        Self {
            w_x: uniform(dev, (input, hidden), bound, rng),
            w_h: uniform(dev, (hidden, hidden), bound, rng),
            b: uniform(dev, (hidden,), bound, rng),
        }
    }
}

impl<E: Dtype, D: SequenceDevice<E>> SequenceLayer<E, D> for Rnn<E, D> {
    fn weights(&self) -> Weights<'_, E, D> {
        let (w_x, w_h, b) = (&self.w_x, &self.w_h, &self.b);
        Weights { w_x, w_h, b }
    }

    fn recurrence(&self) -> Recurrence {
        Recurrence::Rnn
    }
}

crate::tensor_collection!(Rnn<E, D> { tensor w_x, tensor w_h, tensor b });
