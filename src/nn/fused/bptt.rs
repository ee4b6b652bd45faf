//! The recurrence shared by the fused recurrent layers: forward and hand-written BPTT over a
//! padded batch, with the per-token gate math left to a [`Cell`].
//!
//! Forward: one matmul projects every token (`X·W_x`), then each step adds one fused recurrent
//! matmul `h_{t−1}·W_h` and applies the cell. Threads split the batch rows (interleaved by
//! length order), so each runs its rows' whole recurrence without synchronising, keeping its
//! rows' state in small contiguous buffers. Backward walks the steps in reverse the same way
//! and produces the pre-activation gradients `dP`; the parameter and input gradients are then
//! whole-sequence matmuls (see `grads`).

use super::activation::simd_fn;
use super::gemm::SharedMut;
use super::isa::Isa;
use super::kernel::{Rhs, matmul_rows, matmul_rows_par};
use super::packing::Packing;
use super::pool;
use rayon::prelude::*;

/// The per-token math of one recurrent layer; the driver owns threads, steps and matmuls.
///
/// Methods run inside the drivers' vectorized loops: implement them `#[inline(always)]`.
pub(crate) trait Cell: Sync {
    /// Hidden size `H`.
    fn hidden(&self) -> usize;
    /// Pre-activation columns per token, `G·H`.
    fn width(&self) -> usize;
    /// Per-row state carried between steps besides `h` (the LSTM's cell state).
    fn carry_width(&self) -> usize;
    /// Per-token values the forward keeps for the backward besides the activations.
    fn saved_width(&self) -> usize;
    /// One token forward. `act` holds the pre-activations `x_t·W_x + h_{t−1}·W_h + b` and is
    /// activated in place; `h` and `carry` go from step `t − 1` to `t`; `saved` is filled.
    fn forward_row(&self, act: &mut [f32], h: &mut [f32], carry: &mut [f32], saved: &mut [f32]);
    /// One token backward.
    fn backward_row(&self, row: RowBackward<'_>);
}

/// One token's buffers for [`Cell::backward_row`].
pub(crate) struct RowBackward<'a> {
    /// The token's activated pre-activations.
    pub act: &'a [f32],
    /// The token's saved values (see [`Cell::saved_width`]).
    pub saved: &'a [f32],
    /// `∂L/∂h_t`.
    pub dh: &'a [f32],
    /// `∂L/∂carry_t` on entry, `∂L/∂carry_{t−1}` on exit.
    pub dcarry: &'a mut [f32],
    /// Receives `∂L/∂` pre-activations.
    pub dpre: &'a mut [f32],
}

/// Number of threads the recurrences split rows and matmuls over (rayon's current pool).
pub(crate) fn threads() -> usize {
    rayon::current_num_threads().max(1)
}

/// Everything the forward keeps for the backward; per-token buffers are `(B·T, ·)`.
pub(crate) struct Recorded {
    pub packing: Packing,
    /// The instruction set the forward ran on (the backward uses it too).
    pub isa: Isa,
    /// Inputs `(B·T, E)`.
    pub x: Vec<f32>,
    /// Activated pre-activations `(B·T, G·H)`.
    pub act: Vec<f32>,
    /// The cell's saved values `(B·T, saved_width)`.
    pub saved: Vec<f32>,
    /// Previous hidden state `(B·T, H)`, 0 at padding.
    pub hp: Vec<f32>,
    /// Outputs `(B·T, H)`, 0 at padding (taken by the op for its output tensor).
    pub out: Vec<f32>,
}

impl Drop for Recorded {
    fn drop(&mut self) {
        for v in [
            &mut self.x,
            &mut self.act,
            &mut self.saved,
            &mut self.hp,
            &mut self.out,
        ] {
            pool::give(std::mem::take(v));
        }
    }
}

/// Shapes and options of one call (the hidden and gate widths come from the cell).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SequenceDims {
    pub batch: usize,
    pub seq_len: usize,
    pub embed: usize,
    pub threads: usize,
    pub isa: Isa,
}

/// Runs the recurrence forward over `x` `(B·T, E)` (taken over, kept for the backward).
pub(crate) fn forward<C: Cell>(
    cell: &C,
    dims: SequenceDims,
    x: Vec<f32>,
    weights: [&[f32]; 3],
    lengths: &[usize],
    reverse: bool,
) -> Recorded {
    let SequenceDims {
        batch,
        seq_len,
        embed: e,
        threads,
        isa,
    } = dims;
    let [w_x, w_h, bias] = weights;
    let (h, gh) = (cell.hidden(), cell.width());
    let n = batch * seq_len;
    assert_eq!(x.len(), n * e);
    assert_eq!((w_x.len(), w_h.len(), bias.len()), (e * gh, h * gh, gh));
    assert_eq!(lengths.len(), batch, "one length per batch row");
    let packing = Packing::new(lengths, seq_len, reverse);
    let mut act = pool::take(n * gh);
    matmul_rows_par(&mut act, &x, &Rhs::new(w_x, e, gh, isa), n, false);
    let mut saved = pool::take(n * cell.saved_width());
    let mut hp = pool::take(n * h);
    let mut out = pool::take(n * h);
    packing.zero_padding(&mut hp, h);
    packing.zero_padding(&mut out, h);
    let w_h = Rhs::new(w_h, h, gh, isa);
    let p = threads.clamp(1, batch.max(1));
    let bufs = [&mut act, &mut saved, &mut hp, &mut out].map(|v| SharedMut(v.as_mut_ptr()));
    (0..p)
        .into_par_iter()
        .for_each(|k| forward_thread(isa, cell, k, p, &packing, bufs, &w_h, bias));
    Recorded {
        packing,
        isa,
        x,
        act,
        saved,
        hp,
        out,
    }
}

simd_fn! {
    /// Thread `k` of `p`: the whole recurrence of sorted rows `k, k + p, …`. `bufs` are the
    /// forward's `[act, saved, hp, out]` buffers; `act` already holds `X·W_x`.
    fn forward_thread<C: Cell>(
        isa: Isa,
        cell: &C,
        k: usize,
        p: usize,
        pk: &Packing,
        bufs: [SharedMut; 4],
        w_h: &Rhs,
        bias: &[f32],
    ) {
        let [act, saved, hp, out] = bufs;
        let (h, gh, cw, sw) = (cell.hidden(), cell.width(), cell.carry_width(), cell.saved_width());
        let bias = &bias[..gh];
        let rows = pk.rows_of_thread(0, k, p);
        let mut h_state = vec![0.0_f32; rows * h];
        let mut carry = vec![0.0_f32; rows * cw];
        let mut rec = vec![0.0_f32; rows * gh];
        for s in 0..pk.steps() {
            let m = pk.rows_of_thread(s, k, p);
            if m == 0 {
                break;
            }
            if s > 0 {
                matmul_rows(&mut rec, &h_state, w_h, m);
            }
            for i in 0..m {
                let row = pk.token(s, k + i * p);
                // SAFETY: token `row` belongs to sorted row k + i·p, which only this thread
                // handles.
                let (a, sv, hprev, o) = unsafe {
                    (
                        act.slice(row * gh, gh),
                        saved.slice(row * sw, sw),
                        hp.slice(row * h, h),
                        out.slice(row * h, h),
                    )
                };
                if s > 0 {
                    let r = &rec[i * gh..(i + 1) * gh];
                    for ((a, r), b) in a.iter_mut().zip(r).zip(bias) {
                        *a += r + b;
                    }
                } else {
                    for (a, b) in a.iter_mut().zip(bias) {
                        *a += b;
                    }
                }
                let hs = &mut h_state[i * h..(i + 1) * h];
                hprev.copy_from_slice(hs);
                cell.forward_row(a, hs, &mut carry[i * cw..(i + 1) * cw], sv);
                o.copy_from_slice(hs);
            }
        }
    }
}

/// The pre-activation gradients `dP` `(B·T, G·H)` (0 at padding) for `grad_out` `(B·T, H)`,
/// and their sum over tokens (the bias gradient). Each thread sums its own rows; the sums are
/// added in thread order, so the result does not depend on scheduling. The `dP` buffer comes
/// from the pool; hand it back with `pool::give`.
pub(crate) fn backward_gates<C: Cell>(
    cell: &C,
    fwd: &Recorded,
    grad_out: &[f32],
    w_h: &[f32],
    threads: usize,
) -> (Vec<f32>, Vec<f32>) {
    let pk = &fwd.packing;
    let (h, gh) = (cell.hidden(), cell.width());
    let batch = pk.order.len();
    assert_eq!(grad_out.len(), batch * pk.seq_len * h);
    let w_h_t = Rhs::transposed(w_h, h, gh, fwd.isa);
    let mut dp = pool::take(batch * pk.seq_len * gh);
    pk.zero_padding(&mut dp, gh);
    let p = threads.clamp(1, batch.max(1));
    let dp_ptr = SharedMut(dp.as_mut_ptr());
    let sums: Vec<Vec<f32>> = (0..p)
        .into_par_iter()
        .map(|k| {
            let mut db = vec![0.0_f32; gh];
            backward_thread(fwd.isa, cell, k, p, fwd, grad_out, &w_h_t, dp_ptr, &mut db);
            db
        })
        .collect();
    let mut db = vec![0.0_f32; gh];
    for part in &sums {
        db.iter_mut().zip(part).for_each(|(a, b)| *a += b);
    }
    (dp, db)
}

simd_fn! {
    /// Thread `k` of `p`: BPTT over sorted rows `k, k + p, …`, writing their `dP` rows and
    /// adding them into `db`.
    fn backward_thread<C: Cell>(
        isa: Isa,
        cell: &C,
        k: usize,
        p: usize,
        fwd: &Recorded,
        grad_out: &[f32],
        w_h_t: &Rhs,
        dp: SharedMut,
        db: &mut [f32],
    ) {
        let pk = &fwd.packing;
        let (h, gh, cw, sw) = (cell.hidden(), cell.width(), cell.carry_width(), cell.saved_width());
        let db = &mut db[..gh];
        let rows = pk.rows_of_thread(0, k, p);
        let mut dh = vec![0.0_f32; h];
        // Carries from step s+1 into step s for this thread's rows.
        let mut dh_state = vec![0.0_f32; rows * h];
        let mut dcarry = vec![0.0_f32; rows * cw];
        let mut dps = vec![0.0_f32; rows * gh];
        for s in (0..pk.steps()).rev() {
            let m = pk.rows_of_thread(s, k, p);
            if m == 0 {
                continue;
            }
            for i in 0..m {
                let row = pk.token(s, k + i * p);
                let go = &grad_out[row * h..(row + 1) * h];
                let dhc = &dh_state[i * h..(i + 1) * h];
                for ((d, g), c) in dh.iter_mut().zip(go).zip(dhc) {
                    *d = g + c;
                }
                let d = &mut dps[i * gh..(i + 1) * gh];
                cell.backward_row(RowBackward {
                    act: &fwd.act[row * gh..(row + 1) * gh],
                    saved: &fwd.saved[row * sw..(row + 1) * sw],
                    dh: &dh,
                    dcarry: &mut dcarry[i * cw..(i + 1) * cw],
                    dpre: d,
                });
                for (b, v) in db.iter_mut().zip(d.iter()) {
                    *b += v;
                }
                // SAFETY: token `row` belongs to a sorted row only this thread handles.
                unsafe { dp.slice(row * gh, gh).copy_from_slice(d) };
            }
            if s > 0 {
                matmul_rows(&mut dh_state, &dps, w_h_t, m);
            }
        }
    }
}
