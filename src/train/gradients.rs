//! One walk over a model's trainable tensors and their gradients, shared by Adam, gradient
//! clipping and the tests that read or perturb parameters.
//!
//! dfdx 0.13 reaches a model's tensors only through a `TensorVisitor`; the two visitors here
//! (model read-only, model updated in place) take a closure, so callers need none of their own.
//! Tensors are numbered in the model's visiting order, which its structure fixes.

use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorVisitor, ViewTensorMut, ViewTensorRef,
};
use dfdx::prelude::*;

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
pub fn for_each_gradient<E, M>(
    model: &M,
    grads: &mut Gradients<E, Cpu>,
    visit: impl FnMut(TensorGradient<'_, E>),
) -> Result<(), CpuError>
where
    E: Dtype,
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: std::ops::DerefMut<Target = Vec<E>>,
    M: TensorCollection<E, Cpu>,
{
    let mut walk = ReadWalk {
        grads,
        index: 0,
        visit,
    };
    M::iter_tensors(&mut RecursiveWalker {
        m: model,
        f: &mut walk,
    })?;
    Ok(())
}

/// Calls `update` with the gradient and the values of every trainable tensor of `model`; the
/// values the closure leaves are written back. `scratch` holds one tensor's values at a time
/// (dfdx lends no mutable view of a tensor's data); reusing it avoids faulting in fresh pages
/// on every step.
pub fn update_each<E, M>(
    model: &mut M,
    grads: &mut Gradients<E, Cpu>,
    scratch: &mut Vec<E>,
    update: impl FnMut(TensorGradient<'_, E>, &mut [E]),
) -> Result<(), CpuError>
where
    E: Dtype,
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: std::ops::DerefMut<Target = Vec<E>>,
    M: TensorCollection<E, Cpu>,
{
    let mut walk = UpdateWalk {
        grads,
        scratch,
        index: 0,
        update,
    };
    M::iter_tensors(&mut RecursiveWalker {
        m: model,
        f: &mut walk,
    })?;
    Ok(())
}

/// The visitor of [`for_each_gradient`].
struct ReadWalk<'g, E: Dtype, F> {
    grads: &'g mut Gradients<E, Cpu>,
    index: usize,
    visit: F,
}

impl<E: Dtype, F: FnMut(TensorGradient<'_, E>)> TensorVisitor<E, Cpu> for ReadWalk<'_, E, F>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: std::ops::DerefMut<Target = Vec<E>>,
{
    type Viewer = ViewTensorRef;
    type Err = CpuError;
    type E2 = E;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, E, Cpu>,
        tensor: &Tensor<S, E, Cpu>,
    ) -> Result<Option<Tensor<S, E, Cpu>>, CpuError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let shape = tensor.shape().concrete();
        let gradient = self.grads.get_or_alloc_mut(tensor)?;
        (self.visit)(TensorGradient {
            index: self.index,
            shape: shape.as_ref(),
            gradient: gradient.as_mut_slice(),
        });
        self.index += 1;
        Ok(None)
    }
}

/// The visitor of [`update_each`].
struct UpdateWalk<'g, E: Dtype, F> {
    grads: &'g mut Gradients<E, Cpu>,
    scratch: &'g mut Vec<E>,
    index: usize,
    update: F,
}

impl<E: Dtype, F: FnMut(TensorGradient<'_, E>, &mut [E])> TensorVisitor<E, Cpu>
    for UpdateWalk<'_, E, F>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: std::ops::DerefMut<Target = Vec<E>>,
{
    type Viewer = ViewTensorMut;
    type Err = CpuError;
    type E2 = E;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, E, Cpu>,
        tensor: &mut Tensor<S, E, Cpu>,
    ) -> Result<Option<Tensor<S, E, Cpu>>, CpuError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let shape = tensor.shape().concrete();
        // A memcpy out and back (`as_vec` would walk an index iterator element by element).
        self.scratch
            .resize(shape.as_ref().iter().product(), E::default());
        tensor.copy_into(self.scratch);
        let gradient = self.grads.get_or_alloc_mut(tensor)?;
        (self.update)(
            TensorGradient {
                index: self.index,
                shape: shape.as_ref(),
                gradient: gradient.as_mut_slice(),
            },
            self.scratch,
        );
        tensor.copy_from(self.scratch);
        self.index += 1;
        Ok(None)
    }
}
