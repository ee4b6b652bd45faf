//! The whole-sequence matmuls of backprop-through-time, shared by the RNN and the LSTM.
//!
//! Once the per-step backward has produced the pre-activation gradients `dP` (one row per
//! token of the `(B, T)` grid, zero at padding), every parameter gradient and the input
//! gradient is one large matmul over all tokens.

use super::gemm::{MatMut, MatRef, matmul};
use super::isa::Isa;
use super::kernel::{Rhs, matmul_rows_par};
use super::pool;

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
    /// The instruction set of the op's kernels.
    pub isa: Isa,
}

/// `grad = lhsᵀ·dP` `(width, G·H)` for a `(B·T, width)` matrix `lhs`.
fn product_t(saved: &Saved<'_>, lhs: &[f32], width: usize, dp: &[f32], threads: usize) -> Vec<f32> {
    let mut grad = pool::take(width * saved.gh);
    // SAFETY: views in bounds (checked by `rows_of`); `grad` is distinct from the inputs.
    unsafe {
        matmul(
            MatMut::rows_of(&mut grad, 0, width, saved.gh),
            MatRef::rows_of(lhs, 0, saved.tokens, width).t(),
            MatRef::rows_of(dp, 0, saved.tokens, saved.gh),
            false,
            threads,
        );
    }
    grad
}

/// The three whole-sequence products of the backward: returns `(dW_x, dW_h)` =
/// `(Xᵀ·dP, H_prevᵀ·dP)` (pooled buffers) and adds `dP·W_xᵀ` into `grad_x` `(B·T, E)`.
///
/// The two weight gradients (K = B·T, small outputs) scale poorly inside one sgemm (measured
/// here: 25 ms on 2 threads against 43 ms on 1), so with two or more threads they run side
/// by side, each on half the threads. `dX` streams the tokens through the packed kernel.
pub(crate) fn backward_products(
    saved: &Saved<'_>,
    dp: &[f32],
    grad_x: &mut [f32],
    threads: usize,
) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(
        grad_x.len(),
        saved.tokens * saved.e,
        "input gradient length"
    );
    let half = (threads / 2).max(1);
    let grads = if threads < 2 {
        (
            product_t(saved, saved.x, saved.e, dp, 1),
            product_t(saved, saved.hp, saved.h, dp, 1),
        )
    } else {
        rayon::join(
            || product_t(saved, saved.x, saved.e, dp, half),
            || product_t(saved, saved.hp, saved.h, dp, threads - half),
        )
    };
    let w_x_t = Rhs::transposed(saved.w_x, saved.e, saved.gh, saved.isa);
    matmul_rows_par(grad_x, dp, &w_x_t, saved.tokens, true);
    grads
}

/// `grad += part`, then hands `part` back to the pool.
pub(crate) fn add_into(grad: &mut [f32], part: Vec<f32>) {
    assert_eq!(grad.len(), part.len(), "gradient length");
    for (g, p) in grad.iter_mut().zip(&part) {
        *g += p;
    }
    pool::give(part);
}
