//! The LSTM over a whole batch of sequences: forward and hand-written BPTT on packed buffers.
//!
//! Forward: one matmul projects every real token (`X·W_x + b`), then each step adds one fused
//! recurrent matmul `h_{t−1}·W_h` for all gates and applies the gate math. Threads split the
//! batch rows (interleaved), so each runs its rows' whole recurrence without synchronising.
//! Backward walks the steps in reverse per thread, producing the pre-activation gradients `dP`;
//! the parameter and input gradients are then whole-sequence matmuls (see `grads`).

use super::activation::{sigmoid_slice, tanh, tanh_slice, with_simd};
use super::gemm::{MatMut, MatRef, SharedMut, matmul};
use super::packing::Packing;
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

/// Everything the forward keeps for the backward (all packed, one row per real token).
pub(crate) struct LstmForward {
    pub packing: Packing,
    pub hidden: usize,
    pub gates: GateLayout,
    /// Inputs `(N, E)`.
    pub xp: Vec<f32>,
    /// Activated gates `(N, G·H)`.
    pub act: Vec<f32>,
    /// Previous cell state `(N, H)`.
    pub cp: Vec<f32>,
    /// `tanh(C_t)` `(N, H)`.
    pub tc: Vec<f32>,
    /// Previous hidden state `(N, H)`.
    pub hp: Vec<f32>,
    /// Outputs `(B, T, H)`, zero at padded positions.
    pub out: Vec<f32>,
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

/// Runs the LSTM forward over `x` `(B, T, E)`.
pub(crate) fn forward(
    dims: LstmDims,
    x: &[f32],
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
    assert_eq!(x.len(), batch * seq_len * e);
    assert_eq!((w_x.len(), w_h.len(), bias.len()), (e * gh, h * gh, gh));
    assert_eq!(lengths.len(), batch, "one length per batch row");
    let packing = Packing::new(lengths, seq_len, reverse);
    let n = packing.total();
    let xp = packing.gather(x, e);
    let mut act: Vec<f32> = bias.iter().copied().cycle().take(n * gh).collect();
    // SAFETY: views in bounds; `act` is distinct from the inputs.
    unsafe {
        matmul(
            MatMut::rows_of(&mut act, 0, n, gh),
            MatRef::rows_of(&xp, 0, n, e),
            MatRef::rows_of(w_x, 0, e, gh),
            true,
            threads,
        );
    }
    let mut cp = vec![0.0_f32; n * h];
    let mut tc = vec![0.0_f32; n * h];
    let mut hp = vec![0.0_f32; n * h];
    let mut out = vec![0.0_f32; batch * seq_len * h];
    let p = threads.clamp(1, batch.max(1));
    let ptrs = [&mut act, &mut cp, &mut tc, &mut hp, &mut out].map(|v| SharedMut(v.as_mut_ptr()));
    let pk = &packing;
    (0..p).into_par_iter().for_each(|k| {
        let [act, cp, tc, hp, out] = ptrs;
        with_simd(|| {
            let ones = vec![1.0_f32; h];
            let mut c = vec![0.0_f32; h];
            for s in 0..pk.steps() {
                let m = pk.rows_of_thread(s, k, p);
                if m == 0 {
                    break;
                }
                let first = pk.offset[s] + k;
                if s > 0 {
                    // SAFETY: rows k, k+p, … of step s belong to this thread alone; the
                    // views stay inside the packed buffers.
                    unsafe {
                        matmul(
                            MatMut {
                                ptr: act.0.add(first * gh),
                                rows: m,
                                cols: gh,
                                rs: (p * gh) as isize,
                                cs: 1,
                            },
                            MatRef {
                                ptr: hp.0.add(first * h),
                                rows: m,
                                cols: h,
                                rs: (p * h) as isize,
                                cs: 1,
                            },
                            MatRef::rows_of(w_h, 0, h, gh),
                            true,
                            1,
                        );
                    }
                }
                for i in 0..m {
                    let r = k + i * p;
                    let row = pk.offset[s] + r;
                    // SAFETY: row `row` of the packed buffers and the output row of token
                    // (s, r) are touched by this thread only.
                    let (a, cprev, tcr, o) = unsafe {
                        (
                            act.slice(row * gh, gh),
                            cp.slice(row * h, h),
                            tc.slice(row * h, h),
                            out.slice(pk.source_row(s, r) * h, h),
                        )
                    };
                    activate_row(a, &gates, h);
                    let (ig, fg, gg, og) = (
                        gate(a, &ones, &gates, INPUT),
                        gate(a, &ones, &gates, FORGET),
                        gate(a, &ones, &gates, CANDIDATE),
                        gate(a, &ones, &gates, OUTPUT),
                    );
                    for j in 0..h {
                        c[j] = fg[j] * cprev[j] + ig[j] * gg[j];
                        tcr[j] = tanh(c[j]);
                        o[j] = og[j] * tcr[j];
                    }
                    if r < pk.active_at(s + 1) {
                        let next = (pk.offset[s + 1] + r) * h;
                        // SAFETY: the next step's row r is also this thread's.
                        unsafe {
                            hp.slice(next, h).copy_from_slice(o);
                            cp.slice(next, h).copy_from_slice(&c);
                        }
                    }
                }
            }
        })
    });
    LstmForward {
        packing,
        hidden: h,
        gates,
        xp,
        act,
        cp,
        tc,
        hp,
        out,
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

/// The pre-activation gradients `dP` `(N, G·H)` for the output gradient `grad_out` `(B, T, H)`.
pub(crate) fn backward_gates(
    fwd: &LstmForward,
    grad_out: &[f32],
    w_h: &[f32],
    threads: usize,
) -> Vec<f32> {
    let pk = &fwd.packing;
    let h = fwd.hidden;
    let layout = fwd.gates;
    let gh = layout.count * h;
    let batch = pk.order.len();
    assert_eq!(grad_out.len(), batch * pk.seq_len * h);
    let n = pk.total();
    let mut dp = vec![0.0_f32; n * gh];
    // Carries from step s+1 into step s, indexed by sorted row.
    let mut dh_carry = vec![0.0_f32; batch * h];
    let mut dc_carry = vec![0.0_f32; batch * h];
    let p = threads.clamp(1, batch.max(1));
    let ptrs = [&mut dp, &mut dh_carry, &mut dc_carry].map(|v| SharedMut(v.as_mut_ptr()));
    (0..p).into_par_iter().for_each(|k| {
        let [dp, dh_carry, dc_carry] = ptrs;
        with_simd(|| {
            let ones = vec![1.0_f32; h];
            let mut dh = vec![0.0_f32; h];
            let mut dc = vec![0.0_f32; h];
            for s in (0..pk.steps()).rev() {
                let m = pk.rows_of_thread(s, k, p);
                if m == 0 {
                    continue;
                }
                for i in 0..m {
                    let r = k + i * p;
                    let row = pk.offset[s] + r;
                    let a = &fwd.act[row * gh..(row + 1) * gh];
                    let cprev = &fwd.cp[row * h..(row + 1) * h];
                    let tcr = &fwd.tc[row * h..(row + 1) * h];
                    let go = &grad_out[pk.source_row(s, r) * h..][..h];
                    // SAFETY: sorted row r and packed row `row` belong to this thread only.
                    let (d, dhc, dcc) = unsafe {
                        (
                            dp.slice(row * gh, gh),
                            dh_carry.slice(r * h, h),
                            dc_carry.slice(r * h, h),
                        )
                    };
                    let (ig, fg, gg, og) = (
                        gate(a, &ones, &layout, INPUT),
                        gate(a, &ones, &layout, FORGET),
                        gate(a, &ones, &layout, CANDIDATE),
                        gate(a, &ones, &layout, OUTPUT),
                    );
                    for j in 0..h {
                        dh[j] = go[j] + dhc[j];
                        dc[j] = dcc[j] + dh[j] * og[j] * (1.0 - tcr[j] * tcr[j]);
                        dcc[j] = dc[j] * fg[j];
                    }
                    if let Some(blk) = layout.block[OUTPUT] {
                        for (j, v) in d[blk * h..(blk + 1) * h].iter_mut().enumerate() {
                            *v = dh[j] * tcr[j] * og[j] * (1.0 - og[j]);
                        }
                    }
                    if let Some(blk) = layout.block[INPUT] {
                        for (j, v) in d[blk * h..(blk + 1) * h].iter_mut().enumerate() {
                            *v = dc[j] * gg[j] * ig[j] * (1.0 - ig[j]);
                        }
                    }
                    if let Some(blk) = layout.block[CANDIDATE] {
                        for (j, v) in d[blk * h..(blk + 1) * h].iter_mut().enumerate() {
                            *v = dc[j] * ig[j] * (1.0 - gg[j] * gg[j]);
                        }
                    }
                    if let Some(blk) = layout.block[FORGET] {
                        for (j, v) in d[blk * h..(blk + 1) * h].iter_mut().enumerate() {
                            *v = dc[j] * cprev[j] * fg[j] * (1.0 - fg[j]);
                        }
                    }
                }
                if s > 0 {
                    let first = pk.offset[s] + k;
                    // SAFETY: this thread's rows of step s in `dp` and its carry rows.
                    unsafe {
                        matmul(
                            MatMut {
                                ptr: dh_carry.0.add(k * h),
                                rows: m,
                                cols: h,
                                rs: (p * h) as isize,
                                cs: 1,
                            },
                            MatRef {
                                ptr: dp.0.add(first * gh),
                                rows: m,
                                cols: gh,
                                rs: (p * gh) as isize,
                                cs: 1,
                            },
                            MatRef::rows_of(w_h, 0, h, gh).t(),
                            false,
                            1,
                        );
                    }
                }
            }
        })
    });
    dp
}
