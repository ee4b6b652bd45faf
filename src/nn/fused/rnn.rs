//! The tanh RNN cell of the fused recurrence: `h_t = tanh(x_t W_x + h_{t−1} W_h + b)`.

use super::activation::tanh_slice;
use super::bptt::{Cell, RowBackward};

/// The RNN's per-token math: no carry besides `h`, nothing saved besides `h_t` itself (the
/// activated pre-activations).
pub(crate) struct RnnCell {
    pub hidden: usize,
}

impl Cell for RnnCell {
    #[inline(always)]
    fn hidden(&self) -> usize {
        self.hidden
    }

    #[inline(always)]
    fn width(&self) -> usize {
        self.hidden
    }

    #[inline(always)]
    fn carry_width(&self) -> usize {
        0
    }

    #[inline(always)]
    fn saved_width(&self) -> usize {
        0
    }

    #[inline(always)]
    fn forward_row(&self, act: &mut [f32], h: &mut [f32], _carry: &mut [f32], _saved: &mut [f32]) {
        tanh_slice(act);
        h.copy_from_slice(act);
    }

    #[inline(always)]
    fn backward_row(&self, row: RowBackward<'_>) {
        for ((d, g), a) in row.dpre.iter_mut().zip(row.dh).zip(row.act) {
            *d = g * (1.0 - a * a);
        }
    }
}
