//! The tanh RNN over a whole batch of sequences: forward and hand-written BPTT on packed
//! buffers, organised like the LSTM (one input-projection matmul, one recurrent matmul per
//! step, batch rows split between threads).

use super::activation::{tanh_slice, with_simd};
use super::gemm::{MatMut, MatRef, SharedMut, matmul};
use super::packing::Packing;
use rayon::prelude::*;

/// Everything the forward keeps for the backward.
pub(crate) struct RnnForward {
    pub packing: Packing,
    pub hidden: usize,
    /// Inputs `(N, E)`.
    pub xp: Vec<f32>,
    /// Hidden states `h_t` `(N, H)`.
    pub hs: Vec<f32>,
    /// Previous hidden states `(N, H)`.
    pub hp: Vec<f32>,
    /// Outputs `(B, T, H)`, zero at padded positions.
    pub out: Vec<f32>,
}

/// Shapes and options of one call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RnnDims {
    pub batch: usize,
    pub seq_len: usize,
    pub embed: usize,
    pub hidden: usize,
    pub threads: usize,
}

/// Runs the RNN forward over `x` `(B, T, E)`.
pub(crate) fn forward(
    dims: RnnDims,
    x: &[f32],
    w_x: &[f32],
    w_h: &[f32],
    bias: &[f32],
    lengths: &[usize],
    reverse: bool,
) -> RnnForward {
    let RnnDims {
        batch,
        seq_len,
        embed: e,
        hidden: h,
        threads,
    } = dims;
    assert_eq!(x.len(), batch * seq_len * e);
    assert_eq!((w_x.len(), w_h.len(), bias.len()), (e * h, h * h, h));
    assert_eq!(lengths.len(), batch, "one length per batch row");
    let packing = Packing::new(lengths, seq_len, reverse);
    let n = packing.total();
    let xp = packing.gather(x, e);
    let mut hs: Vec<f32> = bias.iter().copied().cycle().take(n * h).collect();
    // SAFETY: views in bounds; `hs` is distinct from the inputs.
    unsafe {
        matmul(
            MatMut::rows_of(&mut hs, 0, n, h),
            MatRef::rows_of(&xp, 0, n, e),
            MatRef::rows_of(w_x, 0, e, h),
            true,
            threads,
        );
    }
    let mut hp = vec![0.0_f32; n * h];
    let mut out = vec![0.0_f32; batch * seq_len * h];
    let p = threads.clamp(1, batch.max(1));
    let ptrs = [&mut hs, &mut hp, &mut out].map(|v| SharedMut(v.as_mut_ptr()));
    let pk = &packing;
    (0..p).into_par_iter().for_each(|k| {
        let [hs, hp, out] = ptrs;
        with_simd(|| {
            for s in 0..pk.steps() {
                let m = pk.rows_of_thread(s, k, p);
                if m == 0 {
                    break;
                }
                let first = pk.offset[s] + k;
                if s > 0 {
                    // SAFETY: rows k, k+p, … of step s belong to this thread alone.
                    unsafe {
                        matmul(
                            MatMut {
                                ptr: hs.0.add(first * h),
                                rows: m,
                                cols: h,
                                rs: (p * h) as isize,
                                cs: 1,
                            },
                            MatRef {
                                ptr: hp.0.add(first * h),
                                rows: m,
                                cols: h,
                                rs: (p * h) as isize,
                                cs: 1,
                            },
                            MatRef::rows_of(w_h, 0, h, h),
                            true,
                            1,
                        );
                    }
                }
                for i in 0..m {
                    let r = k + i * p;
                    let row = pk.offset[s] + r;
                    // SAFETY: this token's rows are touched by this thread only.
                    let hr = unsafe { hs.slice(row * h, h) };
                    tanh_slice(hr);
                    // SAFETY: as above (the output row of token (s, r)).
                    unsafe { out.slice(pk.source_row(s, r) * h, h).copy_from_slice(hr) };
                    if r < pk.active_at(s + 1) {
                        // SAFETY: the next step's row r is also this thread's.
                        unsafe { hp.slice((pk.offset[s + 1] + r) * h, h).copy_from_slice(hr) };
                    }
                }
            }
        })
    });
    RnnForward {
        packing,
        hidden: h,
        xp,
        hs,
        hp,
        out,
    }
}

/// The pre-activation gradients `dP` `(N, H)` for the output gradient `grad_out` `(B, T, H)`.
pub(crate) fn backward_gates(
    fwd: &RnnForward,
    grad_out: &[f32],
    w_h: &[f32],
    threads: usize,
) -> Vec<f32> {
    let pk = &fwd.packing;
    let h = fwd.hidden;
    let batch = pk.order.len();
    assert_eq!(grad_out.len(), batch * pk.seq_len * h);
    let mut dp = vec![0.0_f32; pk.total() * h];
    let mut dh_carry = vec![0.0_f32; batch * h];
    let p = threads.clamp(1, batch.max(1));
    let ptrs = [&mut dp, &mut dh_carry].map(|v| SharedMut(v.as_mut_ptr()));
    (0..p).into_par_iter().for_each(|k| {
        let [dp, dh_carry] = ptrs;
        with_simd(|| {
            for s in (0..pk.steps()).rev() {
                let m = pk.rows_of_thread(s, k, p);
                if m == 0 {
                    continue;
                }
                for i in 0..m {
                    let r = k + i * p;
                    let row = pk.offset[s] + r;
                    let hr = &fwd.hs[row * h..(row + 1) * h];
                    let go = &grad_out[pk.source_row(s, r) * h..][..h];
                    // SAFETY: sorted row r and packed row `row` belong to this thread only.
                    let (d, dhc) = unsafe { (dp.slice(row * h, h), dh_carry.slice(r * h, h)) };
                    for j in 0..h {
                        d[j] = (go[j] + dhc[j]) * (1.0 - hr[j] * hr[j]);
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
                                ptr: dp.0.add(first * h),
                                rows: m,
                                cols: h,
                                rs: (p * h) as isize,
                                cs: 1,
                            },
                            MatRef::rows_of(w_h, 0, h, h).t(),
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
