//! The walk over a model's trainable tensors and their gradients, shared by Adam, gradient
//! clipping and the tests that read or perturb parameters. Tensors are numbered in the
//! model's visiting order, which its structure fixes; frozen tensors are skipped.

use dfdx::nn::tensor_collection::TensorCollection;
use dfdx::prelude::*;
use std::ops::DerefMut;

use super::tensor_walk::{LentTensor, walk, walk_mut};

/// One trainable tensor's gradient, as the walk hands it to the closure.
pub struct TensorGradient<'a, E> {
    /// Position among the model's trainable tensors, in visiting order.
    pub index: usize,
    /// The tensor's shape.
    pub shape: &'a [usize],
    /// The gradient, row-major. A tensor the loss did not reach gets a zero gradient
    /// (allocated on the way, as `alloc_grads` would).
    pub gradient: &'a mut [E],
}

/// Calls `visit` with the gradient of every trainable tensor of `model`.
pub fn for_each_gradient<E: Dtype, M: TensorCollection<E, Cpu>>(
    model: &M,
    grads: &mut Gradients<E, Cpu>,
    mut visit: impl FnMut(TensorGradient<'_, E>),
) -> Result<(), CpuError>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: DerefMut<Target = Vec<E>>,
{
    walk(model, &mut trainable(grads, |gradient, _| visit(gradient)))
}

/// Calls `update` with the gradient and the values of every trainable tensor of `model`; the
/// values the closure leaves are written back. `scratch` holds one tensor's values at a time
/// (see [`walk_mut`]).
pub fn update_each<E: Dtype, M: TensorCollection<E, Cpu>>(
    model: &mut M,
    grads: &mut Gradients<E, Cpu>,
    scratch: &mut Vec<E>,
    update: impl FnMut(TensorGradient<'_, E>, &mut [E]),
) -> Result<(), CpuError>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: DerefMut<Target = Vec<E>>,
{
    walk_mut(model, scratch, &mut trainable(grads, update))
}

/// A visit that numbers the trainable tensors and hands each one's gradient and values to
/// `update`.
fn trainable<'g, E: Dtype>(
    grads: &'g mut Gradients<E, Cpu>,
    mut update: impl FnMut(TensorGradient<'_, E>, &mut [E]) + 'g,
) -> impl FnMut(LentTensor<'_, E>) -> Result<(), CpuError> + 'g
where
    Cpu: Device<E>,
{
    let mut index = 0;
    move |tensor| {
        if !tensor.trainable {
            return Ok(());
        }
        let gradient = tensor.gradient(grads)?;
        let shape = tensor.shape;
        update(
            TensorGradient {
                index,
                shape,
                gradient,
            },
            tensor.values,
        );
        index += 1;
        Ok(())
    }
}
