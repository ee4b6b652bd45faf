//! 1-D convolution over time as unfold + matmul.
//!
//! dfdx 0.13 has no stable-Rust convolution. Output position `j` of a width-`k` kernel with
//! `p` zero padding reads input positions `j − p .. j − p + k`; those windows are gathered into
//! `(B, L_out, k·C_in)` (for the first layer straight from the embedding table by token id) and
//! multiplied by the `(k·C_in, C_out)` weight. Gathers add their gradients, unlike `slice`.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;
use rand::rngs::StdRng;

use super::embedding::Embedding;
use super::params::{R1, R2, R3, UNSET, from_f64, uniform};

/// A convolution over time: `kernel` taps, `in_channels → out_channels`, `padding` zero steps on
/// both ends of each sequence's real tokens.
#[derive(Clone, Debug)]
pub struct Conv1d<E: Dtype, D: Device<E>> {
    /// `(kernel·in_channels, out_channels)`; row `q·in_channels + c` is tap `q`, channel `c`.
    pub weight: R2<E, D>,
    /// `(out_channels,)`.
    pub bias: R1<E, D>,
    pub kernel: usize,
    pub padding: usize,
}

/// Where each output position's window reads from, for one batch. The output's layout is
/// public; the taps are the layer's own business.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowPlan {
    /// Output positions per row, `max(seq_len + 2p − k + 1, 1)`.
    pub out_len: usize,
    /// Valid output positions per row, `max(len + 2p − k + 1, 0)`.
    pub out_lengths: Vec<usize>,
    /// Rows.
    batch: usize,
    /// Taps per window.
    kernel: usize,
    /// `(B, out_len·k)` source positions (0 where the tap falls outside the real tokens).
    positions: Vec<usize>,
    /// `(B, out_len·k)`: whether the tap reads a real token (else it reads zero padding).
    valid: Vec<bool>,
}

impl WindowPlan {
    /// The plan for rows with `lengths` real tokens padded to `seq_len`.
    pub fn new(lengths: &[usize], seq_len: usize, kernel: usize, padding: usize) -> Self {
        let out_len = (seq_len + 2 * padding + 1).saturating_sub(kernel).max(1);
        let mut positions = Vec::with_capacity(lengths.len() * out_len * kernel);
        let mut valid = Vec::with_capacity(positions.capacity());
        for &len in lengths {
            for j in 0..out_len {
                for q in 0..kernel {
                    let src = (j + q).checked_sub(padding).filter(|&s| s < len);
                    positions.push(src.unwrap_or(0));
                    valid.push(src.is_some());
                }
            }
        }
        let out_lengths = lengths
            .iter()
            .map(|&len| (len + 2 * padding + 1).saturating_sub(kernel).min(out_len))
            .collect();
        Self {
            out_len,
            out_lengths,
            batch: lengths.len(),
            kernel,
            positions,
            valid,
        }
    }

    /// Taps gathered per row: `out_len·k`.
    fn taps_per_row(&self) -> usize {
        self.out_len * self.kernel
    }

    /// Zeroes taps outside the real tokens of `(B, out_len·k, C)` gathered rows.
    fn mask_taps<E: Dtype, D: Device<E>, T: Tape<E, D>>(&self, taps: R3<E, D, T>) -> R3<E, D, T> {
        if self.valid.iter().all(|&v| v) {
            return taps;
        }
        let shape = *taps.shape();
        let data = self
            .valid
            .iter()
            .map(|&v| from_f64(v as u8 as f64))
            .collect();
        let m: R2<E, D> = taps.device().tensor_from_vec(data, (shape.0, shape.1));
        taps * m.broadcast_like::<_, Axis<2>>(&shape)
    }

    /// `(B, out_len·k, C)` → `(B, out_len, k·C)`.
    fn fold<E: Dtype, D: Device<E>, T: Tape<E, D>>(&self, taps: R3<E, D, T>) -> R3<E, D, T> {
        let c = taps.shape().2;
        taps.reshape_like(&(self.batch, self.out_len, self.kernel * c))
    }
}

impl<E: Dtype, D: Device<E>> Conv1d<E, D> {
    /// Weights and bias uniform in ±1/√(kernel·in_channels) (PyTorch's default).
    pub fn new(
        dev: &D,
        kernel: usize,
        in_channels: usize,
        out_channels: usize,
        padding: usize,
        rng: &mut StdRng,
    ) -> Self {
        let bound = 1.0 / ((kernel * in_channels) as f64).sqrt();
        Self {
            weight: uniform(dev, (kernel * in_channels, out_channels), bound, rng),
            bias: uniform(dev, (out_channels,), bound, rng),
            kernel,
            padding,
        }
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        self.weight.shape().0 / self.kernel
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.shape().1
    }

    /// The window plan of this layer for a batch.
    pub fn plan(&self, lengths: &[usize], seq_len: usize) -> WindowPlan {
        WindowPlan::new(lengths, seq_len, self.kernel, self.padding)
    }

    /// Convolves `x: (B, L, C_in)` whose rows hold `lengths` real tokens →
    /// `((B, L_out, C_out), out_lengths)`. Positions past a row's `out_lengths` are garbage
    /// (computed from zero padding only partially) and must be masked by the consumer.
    pub fn forward<T: Tape<E, D>>(
        &self,
        x: R3<E, D, T>,
        lengths: &[usize],
    ) -> (R3<E, D, T>, Vec<usize>) {
        let plan = self.plan(lengths, x.shape().1);
        let idx = x
            .device()
            .tensor_from_vec(plan.positions.clone(), (plan.batch, plan.taps_per_row()));
        let windows = plan.fold(plan.mask_taps(x.gather(idx)));
        (self.apply(windows), plan.out_lengths)
    }

    /// Convolves the embeddings of `ids` (row-major `(B, seq_len)`) without materialising the
    /// embedded sequence: windows are gathered from the table by token id.
    pub fn forward_tokens<T: Tape<E, D>>(
        &self,
        embedding: &Embedding<E, D>,
        ids: &[usize],
        plan: &WindowPlan,
        seq_len: usize,
        tape: T,
    ) -> R3<E, D, T> {
        let window_ids: Vec<usize> = plan
            .positions
            .chunks(plan.taps_per_row())
            .enumerate()
            .flat_map(|(r, row)| row.iter().map(move |&p| ids[r * seq_len + p]))
            .collect();
        let taps = embedding.forward(&window_ids, plan.batch, plan.taps_per_row(), tape);
        self.apply(plan.fold(plan.mask_taps(taps)))
    }

    /// `(B, L_out, k·C_in)` windows → `(B, L_out, C_out)`.
    fn apply<T: Tape<E, D>>(&self, windows: R3<E, D, T>) -> R3<E, D, T> {
        let (b, l, _) = *windows.shape();
        windows.matmul(self.weight.clone())
            + self
                .bias
                .clone()
                .broadcast_like::<_, Axes2<0, 1>>(&(b, l, self.out_channels()))
    }
}

crate::tensor_collection!(Conv1d<E, D> {
    tensor weight,
    tensor bias,
    setting kernel = UNSET,
    setting padding = UNSET,
});
