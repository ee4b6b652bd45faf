//! One walk over a model's tensors and settings, shared by the gradient walks (Adam, clipping,
//! the tests that read or perturb parameters) and the weights loader.
//!
//! dfdx 0.13 reaches a model's tensors only through a `TensorVisitor`, whose methods are
//! generic over each tensor's shape. The one visitor here lends each tensor to plain code
//! instead: its name, shape and values (copied out and written back on a mutable walk), and
//! a handle to its gradient; each setting (kernel width, dropout, …) goes by name and value.

use std::marker::PhantomData;
use std::ops::DerefMut;

use dfdx::nn::tensor_collection::{
    RecursiveWalker, ScalarOptions, TensorCollection, TensorOptions, TensorViewer, TensorVisitor,
    ViewTensorMut, ViewTensorName, ViewTensorRef,
};
use dfdx::prelude::*;
use num_traits::NumCast;

/// One of a model's tensors, as a walk lends it.
pub struct LentTensor<'a, E: Dtype> {
    /// The tensor's name in the model's safetensors files (field names joined by `.`).
    pub name: &'a str,
    pub shape: &'a [usize],
    /// Whether optimizers update it.
    pub trainable: bool,
    /// The values, row-major, written back after the visit; empty on a read-only walk.
    pub values: &'a mut [E],
    tensor: &'a dyn GradientOf<E>,
}

impl<E: Dtype> LentTensor<'_, E> {
    /// The tensor's gradient in `grads`; one the loss did not reach is allocated as zeros (as
    /// `alloc_grads` would).
    pub fn gradient<'g>(&self, grads: &'g mut Gradients<E, Cpu>) -> Result<&'g mut [E], CpuError> {
        self.tensor.gradient(grads)
    }
}

/// What a walk does with each tensor and each setting. A closure over [`LentTensor`]s is one
/// that skips the settings.
pub trait Visit<E: Dtype> {
    type Err;

    fn tensor(&mut self, tensor: LentTensor<'_, E>) -> Result<(), Self::Err>;

    /// `value` is the model's own setting, converted to `f64` (NaN where it does not convert).
    fn setting(&mut self, name: &str, value: f64) -> Result<(), Self::Err> {
        let _ = (name, value);
        Ok(())
    }
}

impl<E: Dtype, Err, F: FnMut(LentTensor<'_, E>) -> Result<(), Err>> Visit<E> for F {
    type Err = Err;

    fn tensor(&mut self, tensor: LentTensor<'_, E>) -> Result<(), Err> {
        self(tensor)
    }
}

/// Lends every tensor and setting of `model` to `visit`, read-only (`values` are empty).
pub fn walk<E: Dtype, M: TensorCollection<E, Cpu>, V: Visit<E>>(
    model: &M,
    visit: &mut V,
) -> Result<(), V::Err>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: DerefMut<Target = Vec<E>>,
{
    let mut no_values = Vec::new();
    let walk = &mut Walk::<_, ViewTensorRef, _>::new(&mut no_values, visit);
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: walk,
    })?;
    Ok(())
}

/// Lends every tensor and setting of `model` to `visit`; the values a visit leaves are written
/// back when it succeeds. `scratch` holds one tensor's values at a time (dfdx lends no mutable
/// view of a tensor's data); reusing it avoids faulting in fresh pages on every step.
pub fn walk_mut<E: Dtype, M: TensorCollection<E, Cpu>, V: Visit<E>>(
    model: &mut M,
    scratch: &mut Vec<E>,
    visit: &mut V,
) -> Result<(), V::Err>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: DerefMut<Target = Vec<E>>,
{
    let walk = &mut Walk::<_, ViewTensorMut, _>::new(scratch, visit);
    M::iter_tensors(&mut RecursiveWalker {
        m: (model, String::new()),
        f: walk,
    })?;
    Ok(())
}

/// A tensor's gradient, reachable without naming the tensor's shape.
trait GradientOf<E: Dtype> {
    fn gradient<'g>(&self, grads: &'g mut Gradients<E, Cpu>) -> Result<&'g mut [E], CpuError>;
}

impl<S: Shape, E: Dtype> GradientOf<E> for Tensor<S, E, Cpu>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: DerefMut<Target = Vec<E>>,
{
    fn gradient<'g>(&self, grads: &'g mut Gradients<E, Cpu>) -> Result<&'g mut [E], CpuError> {
        Ok(grads.get_or_alloc_mut(self)?.as_mut_slice())
    }
}

/// What a walk does with one tensor and its values.
type WithValues<'w, S, E, Err> = dyn FnMut(&Tensor<S, E, Cpu>, &mut [E]) -> Result<(), Err> + 'w;

/// How a walk reaches the tensors: read-only (no values lent), or with the values copied
/// out and written back.
trait Access<E: Dtype>: TensorViewer
where
    Cpu: Device<E>,
{
    /// Calls `with` on the tensor and its values (in `scratch`, where this access lends them).
    fn lend<S: Shape, Err>(
        tensor: Self::View<'_, Tensor<S, E, Cpu>>,
        scratch: &mut Vec<E>,
        with: &mut WithValues<'_, S, E, Err>,
    ) -> Result<(), Err>;

    /// A setting's value as `f64` (NaN where it does not convert).
    fn setting_value<N: NumCast>(setting: Self::View<'_, N>) -> f64;
}

impl<E: Dtype> Access<E> for ViewTensorRef
where
    Cpu: Device<E>,
{
    fn lend<S: Shape, Err>(
        tensor: &Tensor<S, E, Cpu>,
        _: &mut Vec<E>,
        with: &mut WithValues<'_, S, E, Err>,
    ) -> Result<(), Err> {
        with(tensor, &mut [])
    }

    fn setting_value<N: NumCast>(setting: &N) -> f64 {
        setting.to_f64().unwrap_or(f64::NAN)
    }
}

impl<E: Dtype> Access<E> for ViewTensorMut
where
    Cpu: Device<E>,
{
    fn lend<S: Shape, Err>(
        tensor: &mut Tensor<S, E, Cpu>,
        scratch: &mut Vec<E>,
        with: &mut WithValues<'_, S, E, Err>,
    ) -> Result<(), Err> {
        // A memcpy out and back (`as_vec` would walk an index iterator element by element).
        scratch.resize(tensor.shape().num_elements(), E::default());
        tensor.copy_into(scratch);
        with(tensor, scratch)?;
        tensor.copy_from(scratch);
        Ok(())
    }

    fn setting_value<N: NumCast>(setting: &mut N) -> f64 {
        setting.to_f64().unwrap_or(f64::NAN)
    }
}

/// The crate's one `TensorVisitor`: lends each tensor and setting, with its name, to `visit`.
struct Walk<'w, E, A, V> {
    scratch: &'w mut Vec<E>,
    visit: &'w mut V,
    access: PhantomData<A>,
}

impl<'w, E, A, V> Walk<'w, E, A, V> {
    fn new(scratch: &'w mut Vec<E>, visit: &'w mut V) -> Self {
        Self {
            scratch,
            visit,
            access: PhantomData,
        }
    }
}

impl<E: Dtype, A: Access<E>, V: Visit<E>> TensorVisitor<E, Cpu> for Walk<'_, E, A, V>
where
    Cpu: Device<E>,
    <Cpu as Storage<E>>::Vec: DerefMut<Target = Vec<E>>,
{
    type Viewer = (A, ViewTensorName);
    type Err = V::Err;
    type E2 = E;
    type D2 = Cpu;

    fn visit<S: Shape>(
        &mut self,
        opts: TensorOptions<S, E, Cpu>,
        (tensor, name): (A::View<'_, Tensor<S, E, Cpu>>, String),
    ) -> Result<Option<Tensor<S, E, Cpu>>, V::Err> {
        let visit = &mut *self.visit;
        A::lend(tensor, self.scratch, &mut |tensor, values| {
            let shape = tensor.shape().concrete();
            visit.tensor(LentTensor {
                name: &name,
                shape: shape.as_ref(),
                trainable: opts.do_gradient_update,
                values,
                tensor,
            })
        })?;
        Ok(None)
    }

    fn visit_scalar<N: NumCast>(
        &mut self,
        _: ScalarOptions<N>,
        (setting, name): (A::View<'_, N>, String),
    ) -> Result<Option<N>, V::Err> {
        self.visit.setting(&name, A::setting_value(setting))?;
        Ok(None)
    }
}
