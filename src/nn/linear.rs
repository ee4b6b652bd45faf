//! The output layer: runtime input width, two classes.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;
use rand::rngs::StdRng;

use super::params::{R2, uniform};

/// Logits for the two sentiment classes.
pub type Logits<E, D, T = NoneTape> = Tensor<(usize, Const<2>), E, D, T>;

/// `y = x·W + b` with `W: (F, 2)`, `b: (2,)`.
#[derive(Clone, Debug)]
pub struct Head<E: Dtype, D: Device<E>> {
    pub weight: Tensor<(usize, Const<2>), E, D>,
    pub bias: Tensor<(Const<2>,), E, D>,
}

impl<E: Dtype, D: Device<E>> Head<E, D> {
    /// Uniform in ±1/√F (PyTorch's default).
    pub fn new(dev: &D, features: usize, rng: &mut StdRng) -> Self {
        let bound = 1.0 / (features as f64).sqrt();
        Self {
            weight: uniform(dev, (features, Const::<2>), bound, rng),
            bias: uniform(dev, (Const::<2>,), bound, rng),
        }
    }

    /// `(B, F)` features → `(B, 2)` logits.
    pub fn forward<T: Tape<E, D>>(&self, x: R2<E, D, T>) -> Logits<E, D, T> {
        let b = x.shape().0;
        x.matmul(self.weight.clone())
            + self
                .bias
                .clone()
                .broadcast_like::<_, Axis<0>>(&(b, Const::<2>))
    }
}

crate::tensor_collection!(Head<E, D> { tensor weight, tensor bias });
