//! The whole-sequence matmuls of backprop-through-time, shared by the RNN and the LSTM.
//!
//! Once the per-step backward has produced the pre-activation gradients `dP` (packed, one row
//! per real token), every parameter gradient is one large matmul over all tokens.

use super::gemm::{MatMut, MatRef, matmul};
use super::packing::Packing;

/// Packed inputs a layer's backward needs besides `dP`.
pub(crate) struct Saved<'a> {
    pub packing: &'a Packing,
    /// Packed inputs `(N, E)`.
    pub xp: &'a [f32],
    /// Packed previous hidden states `(N, H)` (zeros at each row's first step).
    pub hp: &'a [f32],
    /// `W_x` `(E, G·H)`.
    pub w_x: &'a [f32],
    pub e: usize,
    pub h: usize,
    pub gh: usize,
}

/// `dW_x += Xᵀ·dP` into `grad` `(E, G·H)`.
pub(crate) fn accumulate_w_x(saved: &Saved<'_>, dp: &[f32], grad: &mut [f32], threads: usize) {
    let n = saved.packing.total();
    // SAFETY: views in bounds (checked by `rows_of`); `grad` is distinct from the inputs.
    unsafe {
        matmul(
            MatMut::rows_of(grad, 0, saved.e, saved.gh),
            MatRef::rows_of(saved.xp, 0, n, saved.e).t(),
            MatRef::rows_of(dp, 0, n, saved.gh),
            true,
            threads,
        );
    }
}

/// `dW_h += H_prevᵀ·dP` into `grad` `(H, G·H)`.
pub(crate) fn accumulate_w_h(saved: &Saved<'_>, dp: &[f32], grad: &mut [f32], threads: usize) {
    let n = saved.packing.total();
    // SAFETY: as in `accumulate_w_x`.
    unsafe {
        matmul(
            MatMut::rows_of(grad, 0, saved.h, saved.gh),
            MatRef::rows_of(saved.hp, 0, n, saved.h).t(),
            MatRef::rows_of(dp, 0, n, saved.gh),
            true,
            threads,
        );
    }
}

/// `db += Σ_rows dP` into `grad` `(G·H,)` (as a ones-vector matmul, so it is threaded too).
pub(crate) fn accumulate_b(saved: &Saved<'_>, dp: &[f32], grad: &mut [f32], threads: usize) {
    let n = saved.packing.total();
    let ones = vec![1.0_f32; n];
    // SAFETY: as in `accumulate_w_x`.
    unsafe {
        matmul(
            MatMut::rows_of(grad, 0, 1, saved.gh),
            MatRef::rows_of(&ones, 0, 1, n),
            MatRef::rows_of(dp, 0, n, saved.gh),
            true,
            threads,
        );
    }
}

/// `dX += dP·W_xᵀ`, scattered back to the tokens' (B, T, E) positions.
pub(crate) fn accumulate_input(saved: &Saved<'_>, dp: &[f32], grad_x: &mut [f32], threads: usize) {
    let n = saved.packing.total();
    let (e, gh) = (saved.e, saved.gh);
    let mut dxp = vec![0.0_f32; n * e];
    // SAFETY: views in bounds; `dxp` is a fresh buffer.
    unsafe {
        matmul(
            MatMut::rows_of(&mut dxp, 0, n, e),
            MatRef::rows_of(dp, 0, n, gh),
            MatRef::rows_of(saved.w_x, 0, e, gh).t(),
            false,
            threads,
        );
    }
    saved.packing.scatter_add(&dxp, grad_x, e);
}
