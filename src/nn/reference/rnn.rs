//! Vanilla RNN: `h_t = tanh(x_t·W_x + h_{t−1}·W_h + b)`.

use dfdx::prelude::*;

use super::recur::{Weights, recur};
use crate::nn::params::{R1, R2, R3};

/// The RNN over a padded batch; `w_x: (E, H)`, `w_h: (H, H)`, `b: (H,)`.
pub fn rnn_sequence<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    w_x: &R2<E, D>,
    w_h: &R2<E, D>,
    b: &R1<E, D>,
    lengths: &[usize],
    reverse: bool,
) -> R3<E, D, T> {
    rnn_sequence_traced(x, w_x, w_h, b, lengths, reverse, None)
}

/// [`rnn_sequence`] that also pushes each step's `h_t` (processing order) onto `trace`.
pub fn rnn_sequence_traced<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    w_x: &R2<E, D>,
    w_h: &R2<E, D>,
    b: &R1<E, D>,
    lengths: &[usize],
    reverse: bool,
    trace: Option<&mut Vec<R2<E, D>>>,
) -> R3<E, D, T> {
    recur(x, Weights { w_x, w_h, b }, lengths, reverse, trace, |z| {
        z.tanh()
    })
}
