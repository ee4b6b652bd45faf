//! Conv1d → masked max over time → ReLU as one op, with a sparse hand-written backward.
//!
//! Forward: per batch row, the sliding windows of the zero-padded row are rows of one strided
//! matrix (window `j` starts `j·E` floats in), so a branch is one `(L_out, k·E)·(k·E, C)`
//! matmul per row, followed by a running max per channel. Backward: the max passes the
//! gradient to one window per (row, channel) only, so `dW`, `db` and `dx` cost `O(B·C·k·E)`
//! instead of the dense `O(B·L·k·E·C)` of the unfold + matmul formulation.

use super::isa::Isa;
use super::kernel::{Rhs, matmul_strided, transpose};
use rayon::prelude::*;

/// Shapes and options of one call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConvDims {
    pub batch: usize,
    pub seq_len: usize,
    pub embed: usize,
    pub channels: usize,
    pub kernel: usize,
    pub padding: usize,
    /// The instruction set of the matmul kernel.
    pub isa: Isa,
}

impl ConvDims {
    /// `[B, T, E, C, k, p]`: the sizes both passes index with.
    fn sizes(&self) -> [usize; 6] {
        [
            self.batch,
            self.seq_len,
            self.embed,
            self.channels,
            self.kernel,
            self.padding,
        ]
    }

    /// Valid output positions of a row with `len` real tokens: `max(len + 2p − k + 1, 0)`.
    fn out_len(&self, len: usize) -> usize {
        (len + 2 * self.padding + 1).saturating_sub(self.kernel)
    }
}

/// What the forward keeps for the backward. The op takes `out` for its output tensor and
/// returns `x` to the buffer pool; the rest only the backward reads.
pub(crate) struct ConvForward {
    dims: ConvDims,
    /// Real tokens per row.
    lengths: Vec<usize>,
    /// Inputs `(B·T, E)`.
    pub x: Vec<f32>,
    /// Window index of each (row, channel)'s max, `usize::MAX` when the row has no window.
    argmax: Vec<usize>,
    /// The pooled pre-activation `max_j y + b` `(B, C)`.
    pre: Vec<f32>,
    /// Outputs `relu(pre)` `(B, C)`.
    pub out: Vec<f32>,
}

/// Runs the forward over `x` `(B·T, E)` with `weight` `(k·E, C)` and `bias` `(C,)`.
pub(crate) fn forward(
    dims: ConvDims,
    x: Vec<f32>,
    weight: &[f32],
    bias: &[f32],
    lengths: &[usize],
) -> ConvForward {
    let [batch, seq_len, e, c, k, p] = dims.sizes();
    assert_eq!(x.len(), batch * seq_len * e);
    assert_eq!((weight.len(), bias.len()), (k * e * c, c));
    assert_eq!(lengths.len(), batch, "one length per batch row");
    for (b, &len) in lengths.iter().enumerate() {
        assert!(
            len <= seq_len,
            "lengths[{b}] = {len} exceeds the sequence length {seq_len}"
        );
    }
    let w_rhs = Rhs::new(weight, k * e, c, dims.isa);
    let mut argmax = vec![usize::MAX; batch * c];
    let mut pre = vec![0.0_f32; batch * c];
    argmax
        .par_chunks_mut(c)
        .zip(pre.par_chunks_mut(c))
        .enumerate()
        .for_each(|(b, (arg, pre))| {
            let len = lengths[b];
            let windows = dims.out_len(len);
            if windows == 0 {
                return;
            }
            // The row's real tokens with `p` zero rows on each end.
            let mut padded = vec![0.0_f32; (len + 2 * p) * e];
            padded[p * e..(p + len) * e]
                .copy_from_slice(&x[b * seq_len * e..(b * seq_len + len) * e]);
            let mut y = vec![0.0_f32; windows * c];
            matmul_strided(&mut y, &padded, e, &w_rhs, windows, false);
            pre.copy_from_slice(&y[..c]);
            arg.fill(0);
            for (j, row) in y.chunks_exact(c).enumerate().skip(1) {
                for ((m, a), &v) in pre.iter_mut().zip(arg.iter_mut()).zip(row) {
                    // A NaN wins so that broken weights surface as a NaN loss, never vanish.
                    if v > *m || (v.is_nan() && !m.is_nan()) {
                        *m = v;
                        *a = j;
                    }
                }
            }
            for (m, bi) in pre.iter_mut().zip(bias) {
                *m += bi;
            }
        });
    let out = pre
        .iter()
        .zip(&argmax)
        .map(|(&v, &a)| match a {
            usize::MAX => 0.0,
            // `f32::max` would turn NaN into 0; keep it (see the running max above).
            _ if v.is_nan() => v,
            _ => v.max(0.0),
        })
        .collect();
    ConvForward {
        dims,
        lengths: lengths.to_vec(),
        x,
        argmax,
        pre,
        out,
    }
}

/// Gradients for `grad_out` `(B, C)`: adds into `grad_w` `(k·E, C)`, `grad_b` `(C,)` and
/// `grad_x` `(B·T, E)`.
pub(crate) fn backward(
    fwd: &ConvForward,
    weight: &[f32],
    grad_out: &[f32],
    grad_w: &mut [f32],
    grad_b: &mut [f32],
    grad_x: &mut [f32],
) {
    let [batch, seq_len, e, c, k, p] = fwd.dims.sizes();
    assert_eq!(grad_out.len(), batch * c);
    // The gradient reaching each (row, channel)'s max: ReLU passes it where the max is > 0.
    let g: Vec<f32> = (0..batch * c)
        .map(|i| {
            if fwd.argmax[i] != usize::MAX && fwd.pre[i] > 0.0 {
                grad_out[i]
            } else {
                0.0
            }
        })
        .collect();
    for row in g.chunks_exact(c) {
        for (gb, v) in grad_b.iter_mut().zip(row) {
            *gb += v;
        }
    }
    // Source token of tap q of the max window of (b, ch), if it is a real token.
    let source = |b: usize, ch: usize, q: usize| -> Option<usize> {
        let s = (fwd.argmax[b * c + ch] + q).checked_sub(p)?;
        (s < fwd.lengths[b]).then_some(b * seq_len + s)
    };
    // dW[q·E + i, ch] += g[b, ch] · x[source, i]; threads own disjoint taps.
    grad_w
        .par_chunks_mut(e * c)
        .enumerate()
        .for_each(|(q, gw)| {
            for b in 0..batch {
                for ch in 0..c {
                    let gv = g[b * c + ch];
                    if gv == 0.0 {
                        continue;
                    }
                    if let Some(src) = source(b, ch, q) {
                        let xs = &fwd.x[src * e..(src + 1) * e];
                        for (i, xv) in xs.iter().enumerate() {
                            gw[i * c + ch] += gv * xv;
                        }
                    }
                }
            }
        });
    // dx[source] += g[b, ch] · W[q·E .., ch]; threads own disjoint batch rows.
    let wt = transpose(weight, k * e, c);
    grad_x
        .par_chunks_mut(seq_len * e)
        .enumerate()
        .for_each(|(b, gx)| {
            for ch in 0..c {
                let gv = g[b * c + ch];
                if gv == 0.0 {
                    continue;
                }
                for q in 0..k {
                    if let Some(src) = source(b, ch, q) {
                        let s = src - b * seq_len;
                        let w = &wt[ch * k * e + q * e..ch * k * e + (q + 1) * e];
                        for (d, wv) in gx[s * e..(s + 1) * e].iter_mut().zip(w) {
                            *d += gv * wv;
                        }
                    }
                }
            }
        });
}
