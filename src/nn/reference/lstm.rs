//! LSTM, term by term:
//! `f_t, i_t, o_t = σ(W·[h_{t−1}, x_t] + b)`, `C̃_t = tanh(W_C·[h_{t−1}, x_t] + b_C)`,
//! `C_t = f_t ⊙ C_{t−1} + i_t ⊙ C̃_t`, `h_t = o_t ⊙ tanh(C_t)`; a disabled gate is the constant 1.

use dfdx::prelude::*;

use super::recur::{Weights, recur};
use crate::nn::gates::{Block, GateSet};
use crate::nn::params::{R1, R2, R3};
use crate::nn::sequence::constant_index;

/// The LSTM over a padded batch; `w_x: (E, G·H)`, `w_h: (H, G·H)`, `b: (G·H,)` in the block
/// layout of [`GateSet::block_index`].
pub fn lstm_sequence<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    w_x: &R2<E, D>,
    w_h: &R2<E, D>,
    b: &R1<E, D>,
    lengths: &[usize],
    gates: GateSet,
    reverse: bool,
) -> R3<E, D, T> {
    lstm_sequence_traced(x, w_x, w_h, b, lengths, gates, reverse, None)
}

/// [`lstm_sequence`] that also pushes each step's `h_t` (processing order) onto `trace`.
// Allowed: the public op signature shared with `fused::lstm_sequence` (input, the three
// parameter tensors, lengths, options) plus `trace`; tests call both side by side.
#[allow(clippy::too_many_arguments)]
pub fn lstm_sequence_traced<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    x: R3<E, D, T>,
    w_x: &R2<E, D>,
    w_h: &R2<E, D>,
    b: &R1<E, D>,
    lengths: &[usize],
    gates: GateSet,
    reverse: bool,
    trace: Option<&mut Vec<R2<E, D>>>,
) -> R3<E, D, T> {
    let (batch, hidden) = (x.shape().0, w_h.shape().0);
    let blocks = gates.num_blocks();
    assert_eq!(w_x.shape().1, blocks * hidden, "w_x has G·H columns");
    let dev = x.device().clone();
    // One (B,) index tensor per gate block, shared by every step.
    let block_idx: Vec<_> = (0..blocks)
        .map(|k| constant_index(&dev, batch, k))
        .collect();
    let mut c_prev: Option<R2<E, D, T>> = None;
    let cell = |z: R2<E, D, T>| {
        // (B, G·H) → (B, G, H); each gate is one block along the middle axis.
        let (z, tape) = z.reshape_like(&(batch, blocks, hidden)).split_tape();
        let mut tape = Some(tape);
        let mut block = |which: Block| {
            gates.block_index(which).map(|k| {
                z.clone()
                    .put_tape(tape.take().unwrap_or_default())
                    .select(block_idx[k].clone())
            })
        };
        let g = block(Block::Candidate).expect("candidate block").tanh();
        let i = block(Block::Input).map(|a| a.sigmoid());
        let f = block(Block::Forget).map(|a| a.sigmoid());
        let o = block(Block::Output).map(|a| a.sigmoid());
        let written = match i {
            Some(i) => i * g,
            None => g,
        };
        let c = match (c_prev.take(), f) {
            (Some(c), Some(f)) => f * c + written,
            (Some(c), None) => c + written,
            (None, _) => written,
        };
        c_prev = Some(c.retaped());
        let squashed = c.tanh();
        match o {
            Some(o) => o * squashed,
            None => squashed,
        }
    };
    recur(x, Weights { w_x, w_h, b }, lengths, reverse, trace, cell)
}
