//! The step loop shared by the op-by-op recurrences.

use dfdx::prelude::*;

use crate::nn::params::{R1, R2, R3};
use crate::nn::sequence::{constant_index, mask, reverse_index};

/// A recurrent layer's parameters: `w_x: (E, G·H)`, `w_h: (H, G·H)`, `b: (G·H,)`.
pub struct Weights<'a, E: Dtype, D: Device<E>> {
    pub w_x: &'a R2<E, D>,
    pub w_h: &'a R2<E, D>,
    pub b: &'a R1<E, D>,
}

// By hand: the derives would demand `E: Copy, D: Copy`, but only references are copied.
impl<E: Dtype, D: Device<E>> Clone for Weights<'_, E, D> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<E: Dtype, D: Device<E>> Copy for Weights<'_, E, D> {}

/// Runs a recurrence over `x`. `cell` maps the step's pre-activations
/// `x_t·w_x + b + h_{t−1}·w_h` (`(B, G·H)`) to `h_t`, keeping any other state itself.
/// Per-step hidden states (before masking, in processing order) are pushed onto `trace`.
///
/// Tape discipline: every taped value hands its tape to exactly one consumer (the path towards
/// the outputs) and is re-taped empty for its other uses, so all recorded ops reach the stacked
/// output once.
pub(super) fn recur<E, D, T, F>(
    x: R3<E, D, T>,
    weights: Weights<'_, E, D>,
    lengths: &[usize],
    reverse: bool,
    mut trace: Option<&mut Vec<R2<E, D>>>,
    mut cell: F,
) -> R3<E, D, T>
where
    E: Dtype,
    D: Device<E>,
    T: Tape<E, D>,
    F: FnMut(R2<E, D, T>) -> R2<E, D, T>,
{
    let Weights { w_x, w_h, b } = weights;
    let (batch, steps, _) = *x.shape();
    assert!(steps > 0, "a recurrent layer needs at least one time step");
    assert_eq!(lengths.len(), batch, "one length per batch row");
    let dev = x.device().clone();
    let hidden = w_h.shape().0;
    let width = w_x.shape().1;

    let x = if reverse {
        x.gather(reverse_index(&dev, lengths, steps))
    } else {
        x
    };
    let pre = x.matmul(w_x.clone())
        + b.clone()
            .broadcast_like::<_, Axes2<0, 1>>(&(batch, steps, width));
    let (pre, mut pre_tape) = pre.split_tape();

    let mut h_prev: Option<R2<E, D, T>> = None;
    let mut outputs = Vec::with_capacity(steps);
    for t in 0..steps {
        let x_t = pre
            .clone()
            .put_tape(std::mem::take(&mut pre_tape))
            .select(constant_index(&dev, batch, t));
        let z = match h_prev.take() {
            Some(h) => x_t + h.matmul(w_h.clone()),
            None => x_t,
        };
        let h = cell(z);
        if let Some(trace) = trace.as_deref_mut() {
            trace.push(h.retaped());
        }
        h_prev = Some(h.retaped());
        outputs.push(h);
    }
    let out = outputs.stack().permute::<_, Axes3<1, 0, 2>>()
        * mask::<E, D>(&dev, lengths, steps).broadcast_like::<_, Axis<2>>(&(batch, steps, hidden));
    if reverse {
        out.gather(reverse_index(&dev, lengths, steps))
    } else {
        out
    }
}
