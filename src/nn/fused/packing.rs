//! The packed, time-major layout the fused ops work in.
//!
//! Rows are sorted by length (longest first, stable), so at step `s` the rows still running are
//! exactly the first `n_s` sorted rows. Step `s` occupies packed rows `offset[s] .. offset[s] +
//! n_s`; the packed matrices therefore hold only real tokens, and one matmul over all of them
//! covers every step. Step `s` of sorted row `r` reads input position `s`, or `len − 1 − s`
//! when running in reverse.

/// Where each (step, sorted row) lives in the packed buffers and in the (B, T, ·) tensors.
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
    /// `offset[s]`: first packed row of step `s`; `offset[steps]` is the total.
    pub offset: Vec<usize>,
    /// Whether step `s` reads position `len − 1 − s`.
    pub reverse: bool,
}

impl Packing {
    /// Builds the layout for a batch with the given row lengths.
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
        let mut offset = Vec::with_capacity(steps + 1);
        let mut total = 0;
        for &n in &active {
            offset.push(total);
            total += n;
        }
        offset.push(total);
        Self {
            seq_len,
            order,
            lens,
            active,
            offset,
            reverse,
        }
    }

    /// Number of steps (the longest length).
    pub fn steps(&self) -> usize {
        self.active.len()
    }

    /// Total packed rows (the number of real tokens).
    pub fn total(&self) -> usize {
        *self.offset.last().unwrap_or(&0)
    }

    /// Rows running at step `s` (0 past the last step).
    pub fn active_at(&self, s: usize) -> usize {
        self.active.get(s).copied().unwrap_or(0)
    }

    /// Row index `b · T + position` into a (B, T, ·) tensor for step `s` of sorted row `r`.
    pub fn source_row(&self, s: usize, r: usize) -> usize {
        let pos = if self.reverse {
            self.lens[r] - 1 - s
        } else {
            s
        };
        self.order[r] * self.seq_len + pos
    }

    /// Copies the real tokens of a (B, T, width) buffer into a packed (total, width) one.
    pub fn gather(&self, src: &[f32], width: usize) -> Vec<f32> {
        let mut out = vec![0.0; self.total() * width];
        for s in 0..self.steps() {
            for r in 0..self.active[s] {
                let dst = (self.offset[s] + r) * width;
                let from = self.source_row(s, r) * width;
                out[dst..dst + width].copy_from_slice(&src[from..from + width]);
            }
        }
        out
    }

    /// Adds a packed (total, width) buffer into a (B, T, width) one at the tokens' positions.
    pub fn scatter_add(&self, packed: &[f32], dst: &mut [f32], width: usize) {
        for s in 0..self.steps() {
            for r in 0..self.active[s] {
                let from = (self.offset[s] + r) * width;
                let to = self.source_row(s, r) * width;
                for (d, p) in dst[to..to + width]
                    .iter_mut()
                    .zip(&packed[from..from + width])
                {
                    *d += p;
                }
            }
        }
    }

    /// The sorted rows handled by thread `k` of `threads` at step `s`: rows `k, k + threads, …`
    /// below `active[s]`. Interleaving keeps the threads balanced when lengths are ragged.
    pub fn rows_of_thread(&self, s: usize, k: usize, threads: usize) -> usize {
        let n = self.active_at(s);
        if n > k { (n - k).div_ceil(threads) } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_of_a_ragged_batch() {
        let p = Packing::new(&[2, 4, 1, 4], 5, false);
        assert_eq!(p.order, vec![1, 3, 0, 2]);
        assert_eq!(p.active, vec![4, 3, 2, 2]);
        assert_eq!(p.offset, vec![0, 4, 7, 9, 11]);
        assert_eq!(p.source_row(1, 2), 1);
        let r = Packing::new(&[2, 4, 1, 4], 5, true);
        assert_eq!(r.source_row(0, 2), 1);
        assert_eq!(r.source_row(1, 2), 0);
        assert_eq!(p.rows_of_thread(1, 0, 2), 2);
        assert_eq!(p.rows_of_thread(1, 1, 2), 1);
    }

    #[test]
    fn gather_then_scatter_restores_real_tokens() {
        let lens = [3, 1, 0, 2];
        let src: Vec<f32> = (0..4 * 3 * 2).map(|v| v as f32).collect();
        for reverse in [false, true] {
            let p = Packing::new(&lens, 3, reverse);
            let packed = p.gather(&src, 2);
            let mut back = vec![0.0; src.len()];
            p.scatter_add(&packed, &mut back, 2);
            for b in 0..4 {
                for t in 0..3 {
                    for e in 0..2 {
                        let i = (b * 3 + t) * 2 + e;
                        let want = if t < lens[b] { src[i] } else { 0.0 };
                        assert_eq!(back[i], want);
                    }
                }
            }
        }
    }
}
