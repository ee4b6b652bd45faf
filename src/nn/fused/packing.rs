//! Which rows run at each step, and where each (step, row) token lives.
//!
//! The fused ops keep every per-token buffer in the batch-major `(B, T, ·)` layout of the
//! tensors, so the whole-sequence matmuls read `x` and write `dx` in place. The recurrence
//! visits rows sorted by length (longest first, stable): at step `s` the rows still running
//! are exactly the first `active[s]` sorted rows, so finished rows cost nothing. Step `s` of
//! sorted row `r` is position `s`, or `len − 1 − s` when running in reverse.

/// The step schedule of one batch.
#[derive(Clone, Debug)]
pub(crate) struct Packing {
    /// Sequence length `T` of the padded tensors.
    pub seq_len: usize,
    /// `order[r]`: the batch row of sorted row `r`.
    pub order: Vec<usize>,
    /// Lengths of the sorted rows (non-increasing).
    pub lens: Vec<usize>,
    /// `active[s]`: rows still running at step `s`.
    pub active: Vec<usize>,
    /// Whether step `s` reads position `len − 1 − s`.
    pub reverse: bool,
}

impl Packing {
    /// Builds the schedule for a batch with the given row lengths.
    ///
    /// # Panics
    /// If a length exceeds `seq_len`.
    pub fn new(lengths: &[usize], seq_len: usize, reverse: bool) -> Self {
        for (b, &len) in lengths.iter().enumerate() {
            assert!(
                len <= seq_len,
                "lengths[{b}] = {len} exceeds the sequence length {seq_len}"
            );
        }
        let mut order: Vec<usize> = (0..lengths.len()).collect();
        order.sort_by_key(|&b| std::cmp::Reverse(lengths[b]));
        let lens: Vec<usize> = order.iter().map(|&b| lengths[b]).collect();
        let steps = lens.first().copied().unwrap_or(0);
        let mut active = vec![0; steps];
        for &len in &lens {
            for a in &mut active[..len] {
                *a += 1;
            }
        }
        Self {
            seq_len,
            order,
            lens,
            active,
            reverse,
        }
    }

    /// Number of steps (the longest length).
    pub fn steps(&self) -> usize {
        self.active.len()
    }

    /// Rows running at step `s` (0 past the last step).
    pub fn active_at(&self, s: usize) -> usize {
        self.active.get(s).copied().unwrap_or(0)
    }

    /// Token index `b · T + position` for step `s` of sorted row `r`.
    pub fn token(&self, s: usize, r: usize) -> usize {
        let pos = if self.reverse {
            self.lens[r] - 1 - s
        } else {
            s
        };
        self.order[r] * self.seq_len + pos
    }

    /// Number of sorted rows handled by thread `k` of `threads` at step `s`: rows `k,
    /// k + threads, …` below `active[s]`. Interleaving balances ragged lengths.
    pub fn rows_of_thread(&self, s: usize, k: usize, threads: usize) -> usize {
        let n = self.active_at(s);
        if n > k { (n - k).div_ceil(threads) } else { 0 }
    }

    /// Sets the padded positions (`t ≥ len`) of a `(B, T, width)` buffer to 0.
    pub fn zero_padding(&self, buf: &mut [f32], width: usize) {
        for (&b, &len) in self.order.iter().zip(&self.lens) {
            buf[(b * self.seq_len + len) * width..(b + 1) * self.seq_len * width].fill(0.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_of_a_ragged_batch() {
        let p = Packing::new(&[2, 4, 1, 4], 5, false);
        assert_eq!(p.order, vec![1, 3, 0, 2]);
        assert_eq!(p.active, vec![4, 3, 2, 2]);
        assert_eq!(p.token(1, 2), 1);
        assert_eq!(p.token(3, 1), 3 * 5 + 3);
        let r = Packing::new(&[2, 4, 1, 4], 5, true);
        assert_eq!(r.token(0, 2), 1);
        assert_eq!(r.token(1, 2), 0);
        assert_eq!(r.token(0, 0), 5 + 3);
        assert_eq!(p.rows_of_thread(1, 0, 2), 2);
        assert_eq!(p.rows_of_thread(1, 1, 2), 1);
        assert_eq!(p.rows_of_thread(0, 3, 4), 1);
        assert_eq!(p.rows_of_thread(2, 3, 4), 0);
    }

    #[test]
    fn zero_padding_clears_exactly_the_padded_positions() {
        let p = Packing::new(&[3, 1, 0], 3, false);
        let mut buf = vec![1.0; 3 * 3 * 2];
        p.zero_padding(&mut buf, 2);
        let want: Vec<f32> = [[1.0; 6], [1.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0; 6]].concat();
        assert_eq!(buf, want);
    }
}
