//! The LSTM over a whole batch of sequences: forward and hand-written BPTT.
//!
//! Forward: one matmul projects every token (`X·W_x`), then each step adds one fused recurrent
//! matmul `h_{t−1}·W_h` for all gates and applies the gate math. Threads split the batch rows
//! (interleaved by length order), so each runs its rows' whole recurrence without
//! synchronising, keeping its rows' `h`/`C` in small contiguous state buffers. Backward walks
//! the steps in reverse the same way and produces the pre-activation gradients `dP`; the
//! parameter and input gradients are then whole-sequence matmuls (see `grads`).

use super::activation::{sigmoid_slice, simd_fn, tanh, tanh_slice};
use super::gemm::SharedMut;
use super::grads;
use super::kernel::{Rhs, matmul_rows, matmul_rows_par};
use super::packing::Packing;
use super::pool;
use rayon::prelude::*;

/// Which of the gates [input, forget, candidate, output] are computed, and their column block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct GateLayout {
    /// `block[k]`: column block of gate `k` in `W_x`/`W_h`/`b`, `None` when it is the constant 1.
    pub block: [Option<usize>; 4],
    /// Number of computed gates `G`.
    pub count: usize,
}

impl GateLayout {
    /// The layout for the enabled gates, in the order [input, forget, candidate, output].
    pub fn new(enabled: [bool; 4]) -> Self {
        let mut block = [None; 4];
        let mut count = 0;
        for (k, &on) in enabled.iter().enumerate() {
            if on {
                block[k] = Some(count);
                count += 1;
            }
        }
        Self { block, count }
    }
}

const INPUT: usize = 0;
const FORGET: usize = 1;
const CANDIDATE: usize = 2;
const OUTPUT: usize = 3;

/// Everything the forward keeps for the backward; per-token buffers are `(B·T, ·)`.
pub(crate) struct LstmForward {
    pub packing: Packing,
    pub hidden: usize,
    pub gates: GateLayout,
    /// Inputs `(B·T, E)`.
    pub x: Vec<f32>,
    /// Activated gates `(B·T, G·H)`.
    pub act: Vec<f32>,
    /// Previous cell state `(B·T, H)`.
    pub cp: Vec<f32>,
    /// `tanh(C_t)` `(B·T, H)`.
    pub tc: Vec<f32>,
    /// Previous hidden state `(B·T, H)`, 0 at padding.
    pub hp: Vec<f32>,
    /// Outputs `(B·T, H)`, 0 at padding.
    pub out: Vec<f32>,
}

impl Drop for LstmForward {
    fn drop(&mut self) {
        for v in [
            &mut self.x,
            &mut self.act,
            &mut self.cp,
            &mut self.tc,
            &mut self.hp,
            &mut self.out,
        ] {
            pool::give(std::mem::take(v));
        }
    }
}

/// Shapes and options of one call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LstmDims {
    pub batch: usize,
    pub seq_len: usize,
    pub embed: usize,
    pub hidden: usize,
    pub gates: GateLayout,
    pub threads: usize,
}

/// A gate's H values, or the constant-1 row when the gate is disabled.
#[inline(always)]
fn gate<'a>(act: &'a [f32], ones: &'a [f32], layout: &GateLayout, k: usize) -> &'a [f32] {
    let h = ones.len();
    match layout.block[k] {
        Some(blk) => &act[blk * h..(blk + 1) * h],
        None => ones,
    }
}

/// Runs the LSTM forward over `x` `(B·T, E)` (taken over, kept for the backward).
pub(crate) fn forward(
    dims: LstmDims,
    x: Vec<f32>,
    w_x: &[f32],
    w_h: &[f32],
    bias: &[f32],
    lengths: &[usize],
    reverse: bool,
) -> LstmForward {
    let LstmDims {
        batch,
        seq_len,
        embed: e,
        hidden: h,
        gates,
        threads,
    } = dims;
    let gh = gates.count * h;
    let n = batch * seq_len;
    assert_eq!(x.len(), n * e);
    assert_eq!((w_x.len(), w_h.len(), bias.len()), (e * gh, h * gh, gh));
    assert_eq!(lengths.len(), batch, "one length per batch row");
    let packing = Packing::new(lengths, seq_len, reverse);
    let mut act = pool::take(n * gh);
    matmul_rows_par(&mut act, &x, &Rhs::new(w_x, e, gh), n, false);
    let mut cp = pool::take(n * h);
    let mut tc = pool::take(n * h);
    let mut hp = pool::take(n * h);
    let mut out = pool::take(n * h);
    packing.zero_padding(&mut hp, h);
    packing.zero_padding(&mut out, h);
    let w_h = Rhs::new(w_h, h, gh);
    let p = threads.clamp(1, batch.max(1));
    let bufs = [&mut act, &mut cp, &mut tc, &mut hp, &mut out].map(|v| SharedMut(v.as_mut_ptr()));
    (0..p)
        .into_par_iter()
        .for_each(|k| forward_thread(k, p, &packing, bufs, &w_h, bias, &gates, h));
    LstmForward {
        packing,
        hidden: h,
        gates,
        x,
        act,
        cp,
        tc,
        hp,
        out,
    }
}

simd_fn! {
    /// Thread `k` of `p`: the whole recurrence of sorted rows `k, k + p, …`. `bufs` are the
    /// forward's `[act, cp, tc, hp, out]` buffers; `act` already holds `X·W_x`.
    fn forward_thread(
        k: usize,
        p: usize,
        pk: &Packing,
        bufs: [SharedMut; 5],
        w_h: &Rhs,
        bias: &[f32],
        gates: &GateLayout,
        h: usize,
    ) {
        let [act, cp, tc, hp, out] = bufs;
        let gh = gates.count * h;
        let bias = &bias[..gh];
        let rows = pk.rows_of_thread(0, k, p);
        let ones = vec![1.0_f32; h];
        let mut h_state = vec![0.0_f32; rows * h];
        let mut c_state = vec![0.0_f32; rows * h];
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
                let (a, cprev, tcr, hprev, o) = unsafe {
                    (
                        act.slice(row * gh, gh),
                        cp.slice(row * h, h),
                        tc.slice(row * h, h),
                        hp.slice(row * h, h),
                        out.slice(row * h, h),
                    )
                };
                let r = &rec[i * gh..(i + 1) * gh];
                if s > 0 {
                    for ((a, r), b) in a.iter_mut().zip(r).zip(bias) {
                        *a += r + b;
                    }
                } else {
                    for (a, b) in a.iter_mut().zip(bias) {
                        *a += b;
                    }
                }
                activate_row(a, gates, h);
                let hs = &mut h_state[i * h..(i + 1) * h];
                let cs = &mut c_state[i * h..(i + 1) * h];
                hprev.copy_from_slice(hs);
                cprev.copy_from_slice(cs);
                let (ig, fg, gg, og) = (
                    gate(a, &ones, gates, INPUT),
                    gate(a, &ones, gates, FORGET),
                    gate(a, &ones, gates, CANDIDATE),
                    gate(a, &ones, gates, OUTPUT),
                );
                let (ig, fg, gg, og, tcr) = (&ig[..h], &fg[..h], &gg[..h], &og[..h], &mut tcr[..h]);
                for j in 0..h {
                    let c = fg[j] * cs[j] + ig[j] * gg[j];
                    let t = tanh(c);
                    cs[j] = c;
                    tcr[j] = t;
                    hs[j] = og[j] * t;
                }
                o.copy_from_slice(hs);
            }
        }
    }
}

/// Applies σ to the input/forget/output blocks and tanh to the candidate block of one row.
#[inline(always)]
fn activate_row(a: &mut [f32], layout: &GateLayout, h: usize) {
    for (k, blk) in layout.block.iter().enumerate() {
        if let Some(blk) = *blk {
            let part = &mut a[blk * h..(blk + 1) * h];
            if k == CANDIDATE {
                tanh_slice(part)
            } else {
                sigmoid_slice(part)
            }
        }
    }
}

/// The pre-activation gradients `dP` `(B·T, G·H)` (0 at padding) for `grad_out` `(B·T, H)`,
/// and their sum over tokens (the bias gradient), summed per thread as the rows are produced.
/// The `dP` buffer comes from the pool; hand it back with `pool::give`.
pub(crate) fn backward_gates(
    fwd: &LstmForward,
    grad_out: &[f32],
    w_h: &[f32],
    threads: usize,
) -> (Vec<f32>, Vec<f32>) {
    let pk = &fwd.packing;
    let h = fwd.hidden;
    let gh = fwd.gates.count * h;
    assert_eq!(grad_out.len(), pk.order.len() * pk.seq_len * h);
    let w_h_t = Rhs::transposed(w_h, h, gh);
    grads::per_thread_backward(pk, gh, threads, |k, p, dp, db| {
        backward_thread(k, p, fwd, grad_out, &w_h_t, dp, db)
    })
}

simd_fn! {
    /// Thread `k` of `p`: BPTT over sorted rows `k, k + p, …`, writing their `dP` rows and
    /// adding them into `db`.
    fn backward_thread(
        k: usize,
        p: usize,
        fwd: &LstmForward,
        grad_out: &[f32],
        w_h_t: &Rhs,
        dp: SharedMut,
        db: &mut [f32],
    ) {
        let pk = &fwd.packing;
        let h = fwd.hidden;
        let layout = &fwd.gates;
        let gh = layout.count * h;
        let db = &mut db[..gh];
        let rows = pk.rows_of_thread(0, k, p);
        let ones = vec![1.0_f32; h];
        let mut dh = vec![0.0_f32; h];
        let mut dc = vec![0.0_f32; h];
        // Carries from step s+1 into step s for this thread's rows.
        let mut dh_state = vec![0.0_f32; rows * h];
        let mut dc_state = vec![0.0_f32; rows * h];
        let mut dps = vec![0.0_f32; rows * gh];
        for s in (0..pk.steps()).rev() {
            let m = pk.rows_of_thread(s, k, p);
            if m == 0 {
                continue;
            }
            for i in 0..m {
                let row = pk.token(s, k + i * p);
                let a = &fwd.act[row * gh..(row + 1) * gh];
                let cprev = &fwd.cp[row * h..(row + 1) * h];
                let tcr = &fwd.tc[row * h..(row + 1) * h];
                let go = &grad_out[row * h..(row + 1) * h];
                let dhc = &dh_state[i * h..(i + 1) * h];
                let dcc = &mut dc_state[i * h..(i + 1) * h];
                let d = &mut dps[i * gh..(i + 1) * gh];
                let (ig, fg, gg, og) = (
                    gate(a, &ones, layout, INPUT),
                    gate(a, &ones, layout, FORGET),
                    gate(a, &ones, layout, CANDIDATE),
                    gate(a, &ones, layout, OUTPUT),
                );
                let (ig, fg, gg, og) = (&ig[..h], &fg[..h], &gg[..h], &og[..h]);
                let (dh, dc) = (&mut dh[..h], &mut dc[..h]);
                for j in 0..h {
                    dh[j] = go[j] + dhc[j];
                    dc[j] = dcc[j] + dh[j] * og[j] * (1.0 - tcr[j] * tcr[j]);
                    dcc[j] = dc[j] * fg[j];
                }
                if let Some(blk) = layout.block[OUTPUT] {
                    let v = &mut d[blk * h..(blk + 1) * h];
                    for j in 0..h {
                        v[j] = dh[j] * tcr[j] * og[j] * (1.0 - og[j]);
                    }
                }
                if let Some(blk) = layout.block[INPUT] {
                    let v = &mut d[blk * h..(blk + 1) * h];
                    for j in 0..h {
                        v[j] = dc[j] * gg[j] * ig[j] * (1.0 - ig[j]);
                    }
                }
                if let Some(blk) = layout.block[CANDIDATE] {
                    let v = &mut d[blk * h..(blk + 1) * h];
                    for j in 0..h {
                        v[j] = dc[j] * ig[j] * (1.0 - gg[j] * gg[j]);
                    }
                }
                if let Some(blk) = layout.block[FORGET] {
                    let v = &mut d[blk * h..(blk + 1) * h];
                    for j in 0..h {
                        v[j] = dc[j] * cprev[j] * fg[j] * (1.0 - fg[j]);
                    }
                }
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
