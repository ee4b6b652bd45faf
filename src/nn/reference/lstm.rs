//! LSTM, term by term:
//! `f_t, i_t, o_t = σ(W·[h_{t−1}, x_t] + b)`, `C̃_t = tanh(W_C·[h_{t−1}, x_t] + b_C)`,
//! `C_t = f_t ⊙ C_{t−1} + i_t ⊙ C̃_t`, `h_t = o_t ⊙ tanh(C_t)`; a disabled gate is the constant 1.

use dfdx::prelude::*;

use super::recur::Weights;
use crate::nn::gates::{Block, GateSet};
use crate::nn::params::R2;
use crate::nn::sequence::constant_index;

/// The LSTM cell for [`recur`](super::recur::recur) over `batch` rows: maps a step's
/// pre-activations `(B, G·H)` to `h_t`, keeping `C_t` itself.
pub(super) fn cell<E: Dtype, D: Device<E>, T: Tape<E, D>>(
    dev: &D,
    batch: usize,
    weights: Weights<'_, E, D>,
    gates: GateSet,
) -> impl FnMut(R2<E, D, T>) -> R2<E, D, T> + use<E, D, T> {
    let hidden = weights.w_h.shape().0;
    let blocks = gates.num_blocks();
    assert_eq!(
        weights.w_x.shape().1,
        blocks * hidden,
        "w_x has G·H columns"
    );
    // One (B,) index tensor per gate block, shared by every step.
    let block_idx: Vec<_> = (0..blocks).map(|k| constant_index(dev, batch, k)).collect();
    let mut c_prev: Option<R2<E, D, T>> = None;
    move |z: R2<E, D, T>| {
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
    }
}
