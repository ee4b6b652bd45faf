//! Runtime-shaped parameters inside dfdx's `TensorCollection` machinery.
//!
//! dfdx 0.13 modules have compile-time sizes; ours are sized by a config at runtime. Two gaps
//! are bridged here: [`runtime_options`] builds the `TensorOptions` that dfdx only offers for
//! const shapes, and [`DynList`] visits a runtime number of sub-modules.

use std::cell::Cell;
use std::mem::MaybeUninit;

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection, TensorOptions};
use dfdx::prelude::*;
use rand::Rng;
use rand::rngs::StdRng;

/// A runtime-shaped vector, matrix and rank-3 tensor.
pub type R1<E, D, T = NoneTape> = Tensor<(usize,), E, D, T>;
/// See [`R1`].
pub type R2<E, D, T = NoneTape> = Tensor<(usize, usize), E, D, T>;
/// See [`R1`].
pub type R3<E, D, T = NoneTape> = Tensor<(usize, usize, usize), E, D, T>;

/// Options for a trainable tensor of a runtime shape (reset = zeros; models are initialised
/// by their constructors, not by `reset_params`).
pub fn runtime_options<S: Shape + Default, E: Dtype, D: Device<E>>() -> TensorOptions<S, E, D> {
    // `TensorOptions` is `#[non_exhaustive]` and its constructors demand a `ConstShape`, so
    // it is written field by field; the 0.13 struct has exactly these three public fields.
    const {
        assert!(
            size_of::<TensorOptions<(usize, usize), f32, Cpu>>()
                == size_of::<(bool, fn(), (usize, usize))>()
        )
    };
    let mut opts = MaybeUninit::<TensorOptions<S, E, D>>::uninit();
    let p = opts.as_mut_ptr();
    // SAFETY: every field of the struct is initialised before `assume_init`.
    unsafe {
        std::ptr::addr_of_mut!((*p).do_gradient_update).write(true);
        std::ptr::addr_of_mut!((*p).reset).write(reset_to_zeros::<S, E, D>);
        std::ptr::addr_of_mut!((*p).shape).write(S::default());
        opts.assume_init()
    }
}

fn reset_to_zeros<S: Shape, E: Dtype, D: Device<E>>(t: &mut Tensor<S, E, D>) -> Result<(), D::Err> {
    t.try_fill_with_zeros()
}

/// Default of the non-tensor settings (kernel width, gates, pooling) that dfdx walkers restore
/// when they cannot read them, e.g. its `ToDevice`/`ToDtype`; the models refuse to run with it
/// rather than silently using a wrong setting. Dropout settings use `NaN` likewise.
pub const UNSET: usize = usize::MAX;

thread_local! {
    /// Length of the [`DynList`] whose field accessor ran last (see [`DynList::announce`]).
    static ANNOUNCED_LEN: Cell<usize> = const { Cell::new(0) };
}

/// A runtime number of sub-modules, visitable by dfdx (optimizers, gradients, safetensors).
///
/// `TensorCollection::iter_tensors` is a static function: it cannot ask a list for its length.
/// dfdx's walkers always call the parent's field accessor before visiting the field, so the
/// parent declares the field with `|s| s.list.announce()` / `|s| s.list.announce_mut()`, which
/// records the length for the `iter_tensors` call that follows. Walkers that never look at a
/// module (building from nothing) see an empty list.
#[derive(Clone, Debug, Default)]
pub struct DynList<M> {
    pub items: Vec<M>,
}

impl<M> DynList<M> {
    /// Wraps `items`.
    pub fn new(items: Vec<M>) -> Self {
        Self { items }
    }

    /// Field accessor for `TensorCollection::module`: records the length, returns `self`.
    pub fn announce(&self) -> &Self {
        ANNOUNCED_LEN.set(self.items.len());
        self
    }

    /// Mutable twin of [`DynList::announce`].
    pub fn announce_mut(&mut self) -> &mut Self {
        ANNOUNCED_LEN.set(self.items.len());
        self
    }
}

impl<E: Dtype, D: Device<E>, M: TensorCollection<E, D>> TensorCollection<E, D> for DynList<M> {
    type To<E2: Dtype, D2: Device<E2>> = DynList<M::To<E2, D2>>;

    fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
        visitor: &mut V,
    ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
        let len = ANNOUNCED_LEN.replace(0);
        let names: Vec<String> = (0..len).map(|i| i.to_string()).collect();
        visitor.visit_fields(
            names
                .iter()
                .enumerate()
                .map(|(i, name)| Self::module(name, move |s| &s.items[i], move |s| &mut s.items[i]))
                .collect::<Vec<_>>(),
            |items| DynList { items },
        )
    }
}

/// A tensor of `shape` with entries drawn uniformly from `[-bound, bound]` (host-side sampling
/// keeps it identical across devices and float types).
pub fn uniform<S: Shape, E: Dtype, D: Device<E>>(
    dev: &D,
    shape: S,
    bound: f64,
    rng: &mut StdRng,
) -> Tensor<S, E, D> {
    let n = shape.num_elements();
    let data: Vec<E> = (0..n)
        .map(|_| from_f64(rng.gen_range(-bound..=bound)))
        .collect();
    dev.tensor_from_vec(data, shape)
}

/// A tensor's values in row-major order, copied with one memcpy (dfdx's `as_vec` walks an
/// index iterator element by element, ~20 ms for a 4M-element activation).
pub fn host_values<S: Shape, E: Dtype, D: Device<E>, T>(t: &Tensor<S, E, D, T>) -> Vec<E> {
    let t = t.retaped::<NoneTape>().contiguous();
    let mut host = vec![E::default(); t.shape().num_elements()];
    t.copy_into(&mut host);
    host
}

/// Converts a host `f64` to the tensor float type.
pub fn from_f64<E: Dtype>(x: f64) -> E {
    E::from_f64(x).expect("f64 converts to every float dtype")
}

/// Converts a tensor float to `f64` (for host-side reference computations and reports).
pub fn to_f64<E: Dtype>(x: E) -> f64 {
    x.to_f64().expect("float dtypes convert to f64")
}

/// Implements dfdx's `TensorCollection` for a module by listing its fields, each as
/// `tensor name` (a trainable tensor, [`runtime_options`]), `setting name = default` (a
/// non-tensor setting, `default` where a walker cannot read it), `module name` (a sub-module)
/// or `list name` (a [`DynList`]). `Name<E, D>` is a module generic over the float type and
/// device, `Name<L>` one over its layer type. Callers import `TensorCollection`,
/// `ModuleVisitor` and dfdx's prelude.
#[macro_export]
macro_rules! tensor_collection {
    (@iter $module:ident { $($kind:ident $field:ident $(= $default:expr)?),+ $(,)? }) => {
        fn iter_tensors<V: ModuleVisitor<Self, E, D>>(
            visitor: &mut V,
        ) -> Result<Option<Self::To<V::E2, V::D2>>, V::Err> {
            visitor.visit_fields(
                ($($crate::tensor_collection!(@field $kind $field $(= $default)?),)+),
                |($($field,)+)| $module { $($field),+ },
            )
        }
    };
    (@field tensor $field:ident) => {
        Self::tensor(
            stringify!($field),
            |s| &s.$field,
            |s| &mut s.$field,
            $crate::nn::params::runtime_options(),
        )
    };
    (@field setting $field:ident = $default:expr) => {
        Self::scalar(
            stringify!($field),
            |s| &s.$field,
            |s| &mut s.$field,
            ::dfdx::nn::tensor_collection::ScalarOptions::from_default($default),
        )
    };
    (@field module $field:ident) => {
        Self::module(stringify!($field), |s| &s.$field, |s| &mut s.$field)
    };
    (@field list $field:ident) => {
        Self::module(
            stringify!($field),
            |s| s.$field.announce(),
            |s| s.$field.announce_mut(),
        )
    };
    ($module:ident<E, D> { $($fields:tt)+ }) => {
        impl<E: Dtype, D: Device<E>> TensorCollection<E, D> for $module<E, D> {
            type To<E2: Dtype, D2: Device<E2>> = $module<E2, D2>;

            $crate::tensor_collection!(@iter $module { $($fields)+ });
        }
    };
    ($module:ident<L> { $($fields:tt)+ }) => {
        impl<E: Dtype, D: Device<E>, L: TensorCollection<E, D>> TensorCollection<E, D>
            for $module<L>
        {
            type To<E2: Dtype, D2: Device<E2>> = $module<L::To<E2, D2>>;

            $crate::tensor_collection!(@iter $module { $($fields)+ });
        }
    };
}

/// [`tensor_collection!`] for a module whose only field is a trainable `weight` (the embedding
/// table, the n-gram score table, the valence layers).
#[macro_export]
macro_rules! weight_only_collection {
    ($module:ident) => {
        $crate::tensor_collection!($module<E, D> { tensor weight });
    };
}
