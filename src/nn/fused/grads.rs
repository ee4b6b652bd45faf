//! The whole-sequence matmuls of backprop-through-time, shared by the RNN and the LSTM.
//!
//! Once the per-step backward has produced the pre-activation gradients `dP` (one row per
//! token of the `(B, T)` grid, zero at padding), every parameter gradient and the input
//! gradient is one large matmul over all tokens, accumulated straight into dfdx's buffers.

use super::gemm::{MatMut, MatRef, matmul};
use rayon::prelude::*;

/// What a layer's backward needs besides `dP`.
pub(crate) struct Saved<'a> {
    /// Number of tokens `B·T`.
    pub tokens: usize,
    /// Inputs `(B·T, E)`.
    pub x: &'a [f32],
    /// Previous hidden state of every token `(B·T, H)` (0 at a row's first step and padding).
    pub hp: &'a [f32],
    /// `W_x` `(E, G·H)`.
    pub w_x: &'a [f32],
    pub e: usize,
    pub h: usize,
    pub gh: usize,
}

/// `grad += lhsᵀ·dP` for a `(B·T, width)` matrix `lhs`.
fn accumulate_t(
    saved: &Saved<'_>,
    lhs: &[f32],
    width: usize,
    dp: &[f32],
    grad: &mut [f32],
    threads: usize,
) {
    let n = saved.tokens;
    // SAFETY: views in bounds (checked by `rows_of`); `grad` is distinct from the inputs.
    unsafe {
        matmul(
            MatMut::rows_of(grad, 0, width, saved.gh),
            MatRef::rows_of(lhs, 0, n, width).t(),
            MatRef::rows_of(dp, 0, n, saved.gh),
            true,
            threads,
        );
    }
}

/// `dW_x += Xᵀ·dP` into `grad` `(E, G·H)`.
pub(crate) fn accumulate_w_x(saved: &Saved<'_>, dp: &[f32], grad: &mut [f32], threads: usize) {
    accumulate_t(saved, saved.x, saved.e, dp, grad, threads);
}

/// `dW_h += H_prevᵀ·dP` into `grad` `(H, G·H)`.
pub(crate) fn accumulate_w_h(saved: &Saved<'_>, dp: &[f32], grad: &mut [f32], threads: usize) {
    accumulate_t(saved, saved.hp, saved.h, dp, grad, threads);
}

/// `db += Σ_tokens dP` into `grad` `(G·H,)`; threads own column blocks.
pub(crate) fn accumulate_b(saved: &Saved<'_>, dp: &[f32], grad: &mut [f32]) {
    const COLS: usize = 64;
    grad.par_chunks_mut(COLS).enumerate().for_each(|(blk, g)| {
        let start = blk * COLS;
        for row in dp.chunks_exact(saved.gh) {
            for (g, d) in g.iter_mut().zip(&row[start..]) {
                *g += d;
            }
        }
    });
}

/// `dX += dP·W_xᵀ` into `grad` `(B·T, E)`.
pub(crate) fn accumulate_input(saved: &Saved<'_>, dp: &[f32], grad: &mut [f32], threads: usize) {
    // SAFETY: views in bounds; `grad` is dfdx's gradient buffer, distinct from the inputs.
    unsafe {
        matmul(
            MatMut::rows_of(grad, 0, saved.tokens, saved.e),
            MatRef::rows_of(dp, 0, saved.tokens, saved.gh),
            MatRef::rows_of(saved.w_x, 0, saved.e, saved.gh).t(),
            true,
            threads,
        );
    }
}
