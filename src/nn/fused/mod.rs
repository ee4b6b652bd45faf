//! Whole-sequence CPU ops for the recurrent layers (hand-written BPTT).
//!
//! [`recurrent_sequence`] runs a recurrent layer (RNN or LSTM) over a padded batch `(B, T, E)`
//! as one dfdx op: the forward projects every token with one matmul, then walks the steps
//! with one fused recurrent matmul per step (rows sorted by length, so finished rows drop out;
//! batch rows split between threads); the backward is written by hand and ends in a few
//! whole-sequence matmuls. The tape rides on `x`; the parameters are untaped and get their
//! gradients accumulated into the tape's [`Gradients`](dfdx::tensor::Gradients), like dfdx's
//! own matmul does.
//!
//! [`embedding_lookup`] is the token embedding as one op (row copies forward, a scatter-add
//! straight into the table's gradient backward).
//!
//! [`conv1d_max_relu`] is the CNN branch (Conv1d → masked max over time → ReLU) as one op
//! whose backward only touches each channel's winning window.
//!
//! The kernels run on the instruction set that [`Isa::current`] names when an op starts
//! (AVX-512, AVX2+FMA or the baseline target; the best the CPU has unless `SENTIMENT_RNN_ISA`
//! or [`Isa::with`] picks another), and the op's backward uses the same one.
//!
//! Outputs at padded positions (`t ≥ lengths[b]`) are 0 and receive no gradient. With
//! `reverse`, row `b` runs from position `lengths[b] − 1` down to 0 and its outputs stay
//! aligned with the input positions.

mod activation;
mod bptt;
mod conv;
mod embedding;
mod gemm;
mod grads;
mod isa;
mod kernel;
mod lstm;
mod packing;
mod pool;
mod recurrent;
mod rnn;

use dfdx::prelude::*;
pub use isa::{ISA_ENV, Isa};
use lstm::{GateLayout, LstmCell};
use recurrent::Params;
use rnn::RnnCell;

use crate::nn::gates::GateSet;
use crate::nn::params::host_values;
use crate::nn::reference::{Recurrence, Weights};
use pool::split_input;

/// The enabled mask in column order [input, forget, candidate, output].
fn gate_mask(g: GateSet) -> [bool; 4] {
    [g.input, g.forget, true, g.output]
}

/// Runs a recurrent layer over `x` `(B, T, E)` and returns the hidden states `(B, T, H)`; the
/// equations and weight layouts are those of [`Recurrence`], with `h_0 = C_0 = 0`:
/// - RNN: `h_t = tanh(x_t W_x + h_{t−1} W_h + b)`; `w_x` `(E, H)`, `w_h` `(H, H)`, `b` `(H,)`.
/// - LSTM: `w_x` `(E, G·H)`, `w_h` `(H, G·H)`, `b` `(G·H,)` hold the enabled gates' column blocks
///   in the order [input, forget, candidate, output]; `i, f, o = σ(·)`, `g = tanh(·)`,
///   `C_t = f⊙C_{t−1} + i⊙g`, `h_t = o⊙tanh(C_t)`.
///
/// # Panics
/// If the shapes disagree, `lengths.len() != B`, or a length exceeds `T`.
pub fn recurrent_sequence<T: Tape<f32, Cpu>>(
    x: Tensor<(usize, usize, usize), f32, Cpu, T>,
    weights: Weights<'_, f32, Cpu>,
    recurrence: Recurrence,
    lengths: &[usize],
    reverse: bool,
) -> Tensor<(usize, usize, usize), f32, Cpu, T> {
    let Weights { w_x, w_h, b } = weights;
    let params = Params { w_x, w_h, b };
    let hidden = w_h.shape().0;
    match recurrence {
        Recurrence::Rnn => {
            recurrent::sequence_op(RnnCell { hidden }, "H", x, params, lengths, reverse)
        }
        Recurrence::Lstm(gates) => {
            let cell = LstmCell::new(GateLayout::new(gate_mask(gates)), hidden);
            recurrent::sequence_op(cell, "G·H", x, params, lengths, reverse)
        }
    }
}

/// One CNN branch over `x` `(B, T, E)`: `relu(max_j (windows_j · weight) + bias)` `(B, C)`.
///
/// Window `j` of row `b` covers positions `j − padding .. j − padding + kernel` (zeros outside
/// the row's real tokens); `weight` is `(kernel·E, C)` with row `q·E + e` for tap `q`, channel
/// `e`. Only the `max(len + 2·padding − kernel + 1, 0)` windows of each row compete; a row
/// without any gives 0. Ties pass the gradient to the first maximal window.
///
/// # Panics
/// If the shapes disagree, `lengths.len() != B`, or a length exceeds `T`.
pub fn conv1d_max_relu<T: Tape<f32, Cpu>>(
    x: Tensor<(usize, usize, usize), f32, Cpu, T>,
    weight: &Tensor<(usize, usize), f32, Cpu>,
    bias: &Tensor<(usize,), f32, Cpu>,
    lengths: &[usize],
    kernel: usize,
    padding: usize,
) -> Tensor<(usize, usize), f32, Cpu, T> {
    let (batch, seq_len, embed) = *x.shape();
    let channels = weight.shape().1;
    assert_eq!(
        weight.shape().0,
        kernel * embed,
        "weight must be (kernel·E, C) = ({}, {channels})",
        kernel * embed
    );
    assert_eq!(
        bias.shape().0,
        channels,
        "bias must be (C,) = ({channels},)"
    );
    let dims = conv::ConvDims {
        batch,
        seq_len,
        embed,
        channels,
        kernel,
        padding,
        isa: Isa::current(),
    };
    let mut input = split_input(x);
    let w = host_values(weight);
    let mut fwd = conv::forward(dims, input.values, &w, &host_values(bias), lengths);
    let out = input
        .dev
        .tensor_from_vec(std::mem::take(&mut fwd.out), (batch, channels));
    if T::OWNS_TAPE {
        let (xg, wg, bg, og) = (
            input.untaped.ghost(),
            weight.ghost(),
            bias.ghost(),
            out.ghost(),
        );
        input.tape.add_backward_op(move |grads| {
            let go = grads.get_or_alloc_mut(&og)?.to_vec();
            let mut gw = vec![0.0_f32; w.len()];
            let mut gb = vec![0.0_f32; channels];
            conv::backward(
                &fwd,
                &w,
                &go,
                &mut gw,
                &mut gb,
                grads.get_or_alloc_mut(&xg)?,
            );
            for (d, v) in grads.get_or_alloc_mut(&wg)?.iter_mut().zip(&gw) {
                *d += v;
            }
            for (d, v) in grads.get_or_alloc_mut(&bg)?.iter_mut().zip(&gb) {
                *d += v;
            }
            pool::give(std::mem::take(&mut fwd.x));
            Ok(())
        });
    } else {
        pool::give(std::mem::take(&mut fwd.x));
    }
    out.put_tape(input.tape)
}

/// The rows of `weight` `(V, E)` for `ids` (row-major `(B, T)`), as `(B, T, E)`. The tape rides
/// on `weight`; the backward adds each token's output gradient into its row of the table.
///
/// # Panics
/// If `ids.len() != batch · seq_len` or an id is `≥ V`.
pub fn embedding_lookup<T: Tape<f32, Cpu>>(
    weight: Tensor<(usize, usize), f32, Cpu, T>,
    ids: &[usize],
    batch: usize,
    seq_len: usize,
) -> Tensor<(usize, usize, usize), f32, Cpu, T> {
    let (vocab, dim) = *weight.shape();
    assert_eq!(
        ids.len(),
        batch * seq_len,
        "ids must be (B, T) = ({batch}, {seq_len})"
    );
    if let Some((i, id)) = ids.iter().enumerate().find(|&(_, &id)| id >= vocab) {
        panic!("token id {id} at position {i} is outside the vocabulary of {vocab}");
    }
    let dev = weight.device().clone();
    let (weight, mut tape) = weight.contiguous().split_tape();
    let mut table = pool::take(vocab * dim);
    weight.copy_into(&mut table);
    let rows = embedding::gather(&table, ids, dim);
    pool::give(table);
    let out = dev.tensor_from_vec(rows, (batch, seq_len, dim));
    if T::OWNS_TAPE {
        let (wg, og) = (weight.ghost(), out.ghost());
        let ids = ids.to_vec();
        tape.add_backward_op(move |grads| {
            let mut go = pool::take(ids.len() * dim);
            go.copy_from_slice(grads.get_or_alloc_mut(&og)?);
            embedding::scatter_add(grads.get_or_alloc_mut(&wg)?, &ids, &go, dim);
            pool::give(go);
            Ok(())
        });
    }
    out.put_tape(tape)
}
