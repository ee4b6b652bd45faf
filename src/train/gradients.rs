//! One walk over a model's trainable tensors and their gradients, shared by Adam, gradient
//! clipping and the tests that read or perturb parameters.
//!
//! dfdx 0.13 reaches a model's tensors only through a `TensorVisitor`; the one visitor here
//! (model read-only, or updated in place) takes a closure, so callers need none of their own.
//! Tensors are numbered in the model's visiting order, which its structure fixes.

use dfdx::nn::tensor_collection::{
    RecursiveWalker, TensorCollection, TensorOptions, TensorViewer, TensorVisitor, ViewTensorMut,
    ViewTensorRef,
};
use dfdx::prelude::*;
use std::marker::PhantomData;
use std::ops::DerefMut;

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
    let mut no_values = Vec::new();
    let walk =
        &mut Walk::<_, ViewTensorRef, _>::new(grads, &mut no_values, |gradient, _| visit(gradient));
    M::iter_tensors(&mut RecursiveWalker { m: model, f: walk })?;
    Ok(())
}

/// Calls `update` with the gradient and the values of every trainable tensor of `model`; the
/// values the closure leaves are written back. `scratch` holds one tensor's values at a time
/// (dfdx lends no mutable view of a tensor's data); reusing it avoids faulting in fresh pages
/// on every step.
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
    let walk = &mut Walk::<_, ViewTensorMut, _>::new(grads, scratch, update);
    M::iter_tensors(&mut RecursiveWalker { m: model, f: walk })?;
    Ok(())
}

/// What a walk does with one tensor's values, given how it reaches the tensor.
type WithValues<'w, S, E> = dyn FnMut(&Tensor<S, E, Cpu>, &mut [E]) -> Result<(), CpuError> + 'w;

/// How a walk reaches the tensors: read-only (no values lent), or with the values copied
/// out and written back.
trait Access<E: Dtype>: TensorViewer
where
    Cpu: Device<E>,
{
    /// Calls `with` on the tensor and its values (in `scratch`, where this access lends them).
    fn lend<S: Shape>(
        tensor: Self::View<'_, Tensor<S, E, Cpu>>,
        scratch: &mut Vec<E>,
        with: &mut WithValues<'_, S, E>,
    ) -> Result<(), CpuError>;
}

impl<E: Dtype> Access<E> for ViewTensorRef
where
    Cpu: Device<E>,
{
    fn lend<S: Shape>(
        tensor: &Tensor<S, E, Cpu>,
        _: &mut Vec<E>,
        with: &mut WithValues<'_, S, E>,
    ) -> Result<(), CpuError> {
        with(tensor, &mut [])
    }
}

impl<E: Dtype> Access<E> for ViewTensorMut
where
    Cpu: Device<E>,
{
    fn lend<S: Shape>(
        tensor: &mut Tensor<S, E, Cpu>,
        scratch: &mut Vec<E>,
        with: &mut WithValues<'_, S, E>,
    ) -> Result<(), CpuError> {
        // A memcpy out and back (`as_vec` would walk an index iterator element by element).
        scratch.resize(tensor.shape().num_elements(), E::default());
        tensor.copy_into(scratch);
        with(tensor, scratch)?;
        tensor.copy_from(scratch);
        Ok(())
    }
}

/// The visitor behind both walks: skips frozen tensors and numbers the others.
struct Walk<'g, E: Dtype, V, F> {
    grads: &'g mut Gradients<E, Cpu>,
    scratch: &'g mut Vec<E>,
    index: usize,
    update: F,
    access: PhantomData<V>,
}

impl<'g, E: Dtype, V, F: FnMut(TensorGradient<'_, E>, &mut [E])> Walk<'g, E, V, F> {
    fn new(grads: &'g mut Gradients<E, Cpu>, scratch: &'g mut Vec<E>, update: F) -> Self {
        Self {
            grads,
            scratch,
            index: 0,
            update,
            access: PhantomData,
        }
    }
}

impl<E: Dtype, V: Access<E>, F: FnMut(TensorGradient<'_, E>, &mut [E])> TensorVisitor<E, Cpu>
    for Walk<'_, E, V, F>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: DerefMut<Target = Vec<E>>,
{
    type Viewer = V;
    type Err = CpuError;
    type E2 = E;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, E, Cpu>,
        tensor: V::View<'_, Tensor<S, E, Cpu>>,
    ) -> Result<Option<Tensor<S, E, Cpu>>, CpuError> {
        if !opts.do_gradient_update {
            return Ok(None);
        }
        let (grads, index, update) = (&mut *self.grads, self.index, &mut self.update);
        V::lend(tensor, self.scratch, &mut |tensor, values| {
            let shape = tensor.shape().concrete();
            let gradient = grads.get_or_alloc_mut(tensor)?.as_mut_slice();
            let shape = shape.as_ref();
            update(
                TensorGradient {
                    index,
                    shape,
                    gradient,
                },
                values,
            );
            Ok(())
        })?;
        self.index += 1;
        Ok(None)
    }
}
