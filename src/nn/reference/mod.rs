//! Op-by-op formulations of the recurrent layers, one dfdx op per term of the equations.
//!
//! They are the layers' path on every device, the ground truth the fused CPU ops are tested
//! against, and the only path that exposes the per-step hidden states (gradient-flow analysis).
//!
//! Contract shared with `crate::nn::fused`: `x: (B, T, E)` with `lengths[r]` real tokens per
//! row → `(B, T, H)` with zeros at padded positions; `reverse` runs from `t = len − 1` down to 0
//! over each row's real tokens with outputs aligned to input positions; `h_0 = C_0 = 0`.

mod lstm;
mod recur;

use dfdx::prelude::*;

use crate::nn::gates::GateSet;
use crate::nn::params::{R2, R3};

pub use recur::Weights;

/// Which recurrence a layer's weights feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recurrence {
    /// Vanilla RNN: `h_t = tanh(x_t·W_x + h_{t−1}·W_h + b)`; `w_x: (E, H)`, `w_h: (H, H)`,
    /// `b: (H,)`.
    Rnn,
    /// LSTM with the enabled gates; `w_x: (E, G·H)`, `w_h: (H, G·H)`, `b: (G·H,)` in the block
    /// layout of [`GateSet::block_index`].
    Lstm(GateSet),
}

/// The recurrence over a padded batch; with `trace`, each step's `h_t` (processing order) is
/// pushed onto it.
pub fn sequence<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    weights: Weights<'_, E, D>,
    recurrence: Recurrence,
    lengths: &[usize],
    reverse: bool,
    trace: Option<&mut Vec<R2<E, D>>>,
) -> R3<E, D, T> {
    match recurrence {
        Recurrence::Rnn => recur::recur(x, weights, lengths, reverse, trace, |z| z.tanh()),
        Recurrence::Lstm(gates) => {
            let cell = lstm::cell(x.device(), x.shape().0, weights, gates);
            recur::recur(x, weights, lengths, reverse, trace, cell)
        }
    }
}
