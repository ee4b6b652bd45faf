//! The LSTM cell of the fused recurrence: gate activations and their hand-written backward.
//!
//! `i, f, o = σ(·)`, `g = tanh(·)`, `C_t = f⊙C_{t−1} + i⊙g`, `h_t = o⊙tanh(C_t)`; a disabled
//! gate is the constant 1 and has no columns.

use super::activation::{sigmoid_slice, tanh, tanh_slice};
use super::bptt::{Cell, RowBackward};

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

/// The LSTM's per-token math; carries `C`, saves `[C_{t−1} | tanh(C_t)]` per token.
pub(crate) struct LstmCell {
    gates: GateLayout,
    /// The constant-1 row that stands in for a disabled gate (`H` wide).
    ones: Vec<f32>,
}

impl LstmCell {
    /// A cell of `hidden` units with the gates of `gates`.
    pub fn new(gates: GateLayout, hidden: usize) -> Self {
        Self {
            gates,
            ones: vec![1.0; hidden],
        }
    }

    /// Gate `k`'s H values, or the constant-1 row when the gate is disabled.
    #[inline(always)]
    fn gate<'a>(&'a self, act: &'a [f32], k: usize) -> &'a [f32] {
        let h = self.ones.len();
        match self.gates.block[k] {
            Some(blk) => &act[blk * h..(blk + 1) * h],
            None => &self.ones,
        }
    }

    /// The gates `(i, f, g, o)` of one activated row.
    #[inline(always)]
    fn gates<'a>(&'a self, act: &'a [f32]) -> [&'a [f32]; 4] {
        let h = self.ones.len();
        [INPUT, FORGET, CANDIDATE, OUTPUT].map(|k| &self.gate(act, k)[..h])
    }

    /// Applies σ to the input/forget/output blocks and tanh to the candidate block.
    #[inline(always)]
    fn activate(&self, act: &mut [f32]) {
        let h = self.ones.len();
        for (k, blk) in self.gates.block.iter().enumerate() {
            if let Some(blk) = *blk {
                let part = &mut act[blk * h..(blk + 1) * h];
                if k == CANDIDATE {
                    tanh_slice(part)
                } else {
                    sigmoid_slice(part)
                }
            }
        }
    }

    /// The columns of gate `k`'s block in `dpre`, if the gate is computed.
    #[inline(always)]
    fn block_mut<'a>(&self, dpre: &'a mut [f32], k: usize) -> Option<&'a mut [f32]> {
        let h = self.ones.len();
        self.gates.block[k].map(|blk| &mut dpre[blk * h..(blk + 1) * h])
    }
}

impl Cell for LstmCell {
    #[inline(always)]
    fn hidden(&self) -> usize {
        self.ones.len()
    }

    #[inline(always)]
    fn width(&self) -> usize {
        self.gates.count * self.ones.len()
    }

    #[inline(always)]
    fn carry_width(&self) -> usize {
        self.ones.len()
    }

    #[inline(always)]
    fn saved_width(&self) -> usize {
        2 * self.ones.len()
    }

    #[inline(always)]
    fn forward_row(&self, act: &mut [f32], h: &mut [f32], carry: &mut [f32], saved: &mut [f32]) {
        let n = self.ones.len();
        self.activate(act);
        let (cprev, tc) = saved.split_at_mut(n);
        cprev.copy_from_slice(carry);
        let [ig, fg, gg, og] = self.gates(act);
        let (cs, hs, tc) = (&mut carry[..n], &mut h[..n], &mut tc[..n]);
        for j in 0..n {
            let c = fg[j] * cs[j] + ig[j] * gg[j];
            let t = tanh(c);
            cs[j] = c;
            tc[j] = t;
            hs[j] = og[j] * t;
        }
    }

    #[inline(always)]
    fn backward_row(&self, row: RowBackward<'_>) {
        let RowBackward {
            act,
            saved,
            dh,
            dcarry,
            dpre,
        } = row;
        let n = self.ones.len();
        let (cprev, tc) = (&saved[..n], &saved[n..2 * n]);
        let [ig, fg, gg, og] = self.gates(act);
        let (dh, dc) = (&dh[..n], &mut dcarry[..n]);
        // dC_t: the carry from step t + 1 plus the path through h_t.
        for j in 0..n {
            dc[j] += dh[j] * og[j] * (1.0 - tc[j] * tc[j]);
        }
        if let Some(v) = self.block_mut(dpre, OUTPUT) {
            for j in 0..n {
                v[j] = dh[j] * tc[j] * og[j] * (1.0 - og[j]);
            }
        }
        if let Some(v) = self.block_mut(dpre, INPUT) {
            for j in 0..n {
                v[j] = dc[j] * gg[j] * ig[j] * (1.0 - ig[j]);
            }
        }
        if let Some(v) = self.block_mut(dpre, CANDIDATE) {
            for j in 0..n {
                v[j] = dc[j] * ig[j] * (1.0 - gg[j] * gg[j]);
            }
        }
        if let Some(v) = self.block_mut(dpre, FORGET) {
            for j in 0..n {
                v[j] = dc[j] * cprev[j] * fg[j] * (1.0 - fg[j]);
            }
        }
        // dC_{t−1} = dC_t ⊙ f.
        for j in 0..n {
            dc[j] *= fg[j];
        }
    }
}
