//! The tanh RNN over a whole batch of sequences: forward and hand-written BPTT, organised
//! like the LSTM (one input-projection matmul, one recurrent matmul per step, batch rows
//! split between threads).

use super::activation::{simd_fn, tanh_slice};
use super::gemm::SharedMut;
use super::grads;
use super::kernel::{Rhs, matmul_rows, matmul_rows_par};
use super::packing::Packing;
use super::pool;
use rayon::prelude::*;

/// Everything the forward keeps for the backward; per-token buffers are `(B·T, ·)`.
pub(crate) struct RnnForward {
    pub packing: Packing,
    pub hidden: usize,
    /// Inputs `(B·T, E)`.
    pub x: Vec<f32>,
    /// Previous hidden state `(B·T, H)`, 0 at padding.
    pub hp: Vec<f32>,
    /// Outputs `h_t` `(B·T, H)`, 0 at padding.
    pub out: Vec<f32>,
}

impl Drop for RnnForward {
    fn drop(&mut self) {
        for v in [&mut self.x, &mut self.hp, &mut self.out] {
            pool::give(std::mem::take(v));
        }
    }
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

/// Runs the RNN forward over `x` `(B·T, E)` (taken over, kept for the backward).
pub(crate) fn forward(
    dims: RnnDims,
    x: Vec<f32>,
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
    let n = batch * seq_len;
    assert_eq!(x.len(), n * e);
    assert_eq!((w_x.len(), w_h.len(), bias.len()), (e * h, h * h, h));
    assert_eq!(lengths.len(), batch, "one length per batch row");
    let packing = Packing::new(lengths, seq_len, reverse);
    let mut out = pool::take(n * h);
    matmul_rows_par(&mut out, &x, &Rhs::new(w_x, e, h), n, false);
    packing.zero_padding(&mut out, h);
    let mut hp = pool::take(n * h);
    packing.zero_padding(&mut hp, h);
    let w_h = Rhs::new(w_h, h, h);
    let p = threads.clamp(1, batch.max(1));
    let bufs = [&mut out, &mut hp].map(|v| SharedMut(v.as_mut_ptr()));
    (0..p)
        .into_par_iter()
        .for_each(|k| forward_thread(k, p, &packing, bufs, &w_h, bias, h));
    RnnForward {
        packing,
        hidden: h,
        x,
        hp,
        out,
    }
}

simd_fn! {
    /// Thread `k` of `p`: the recurrence of sorted rows `k, k + p, …`; `bufs` are the
    /// forward's `[out, hp]`, `out` already holding `X·W_x`.
    fn forward_thread(
        k: usize,
        p: usize,
        pk: &Packing,
        bufs: [SharedMut; 2],
        w_h: &Rhs,
        bias: &[f32],
        h: usize,
    ) {
        let [out, hp] = bufs;
        let bias = &bias[..h];
        let rows = pk.rows_of_thread(0, k, p);
        let mut h_state = vec![0.0_f32; rows * h];
        let mut rec = vec![0.0_f32; rows * h];
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
                // SAFETY: token `row` belongs to a sorted row only this thread handles.
                let (o, hprev) = unsafe { (out.slice(row * h, h), hp.slice(row * h, h)) };
                let hs = &mut h_state[i * h..(i + 1) * h];
                hprev.copy_from_slice(hs);
                for ((o, r), b) in o.iter_mut().zip(&rec[i * h..(i + 1) * h]).zip(bias) {
                    *o += r + b;
                }
                tanh_slice(o);
                hs.copy_from_slice(o);
            }
        }
    }
}

/// The pre-activation gradients `dP` `(B·T, H)` (0 at padding) for `grad_out` `(B·T, H)`,
/// and their sum over tokens (the bias gradient). The `dP` buffer comes from the pool.
pub(crate) fn backward_gates(
    fwd: &RnnForward,
    grad_out: &[f32],
    w_h: &[f32],
    threads: usize,
) -> (Vec<f32>, Vec<f32>) {
    let pk = &fwd.packing;
    let h = fwd.hidden;
    let n = pk.order.len() * pk.seq_len;
    assert_eq!((grad_out.len(), fwd.out.len()), (n * h, n * h));
    let w_h_t = Rhs::transposed(w_h, h, h);
    grads::per_thread_backward(pk, h, threads, |k, p, dp, db| {
        backward_thread(k, p, fwd, grad_out, &w_h_t, dp, db)
    })
}

simd_fn! {
    /// Thread `k` of `p`: BPTT over sorted rows `k, k + p, …`, writing their `dP` rows and
    /// adding them into `db`.
    fn backward_thread(
        k: usize,
        p: usize,
        fwd: &RnnForward,
        grad_out: &[f32],
        w_h_t: &Rhs,
        dp: SharedMut,
        db: &mut [f32],
    ) {
        let hs = &fwd.out;
        let pk = &fwd.packing;
        let h = fwd.hidden;
        let db = &mut db[..h];
        let rows = pk.rows_of_thread(0, k, p);
        let mut dh_state = vec![0.0_f32; rows * h];
        let mut dps = vec![0.0_f32; rows * h];
        for s in (0..pk.steps()).rev() {
            let m = pk.rows_of_thread(s, k, p);
            if m == 0 {
                continue;
            }
            for i in 0..m {
                let row = pk.token(s, k + i * p);
                let hr = &hs[row * h..(row + 1) * h];
                let go = &grad_out[row * h..(row + 1) * h];
                let dhc = &dh_state[i * h..(i + 1) * h];
                let d = &mut dps[i * h..(i + 1) * h];
                for j in 0..h {
                    d[j] = (go[j] + dhc[j]) * (1.0 - hr[j] * hr[j]);
                    db[j] += d[j];
                }
                // SAFETY: token `row` belongs to a sorted row only this thread handles.
                unsafe { dp.slice(row * h, h).copy_from_slice(d) };
            }
            if s > 0 {
                matmul_rows(&mut dh_state, &dps, w_h_t, m);
            }
        }
    }
}
