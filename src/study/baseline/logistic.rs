//! The fitted objective: L2-regularized logistic loss over sparse TF-IDF rows.

use rayon::prelude::*;

use super::lbfgs::dot_dense;
use super::tfidf::SparseRow;

/// The logistic function, without overflow for large `|z|`.
pub(super) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `w · row` for a sparse row.
pub(super) fn dot(w: &[f64], row: &[(u32, f64)]) -> f64 {
    row.iter().map(|&(i, v)| w[i as usize] * v).sum()
}

/// `C · Σ log-loss + ½‖w‖²` over parameters `[w, bias]`.
pub(super) struct Objective<'a> {
    /// The training texts' feature rows.
    pub rows: &'a [SparseRow],
    /// 1.0 for positive, 0.0 for negative, one per row.
    pub targets: &'a [f64],
    /// Weight of the summed log-loss against the regularizer.
    pub c: f64,
    /// Number of weights (the bias comes after them).
    pub dim: usize,
}

impl Objective<'_> {
    /// Value and gradient at `params`, summed over chunks of rows in parallel.
    pub fn eval(&self, params: &[f64]) -> (f64, Vec<f64>) {
        let (w, bias) = (&params[..self.dim], params[self.dim]);
        // A fixed chunk count (not the thread count) keeps the sums' order fixed.
        let chunk = self.rows.len().div_ceil(16).max(1);
        let (loss, mut grad) = self
            .rows
            .par_chunks(chunk)
            .zip(self.targets.par_chunks(chunk))
            .map(|(rows, targets)| {
                let mut grad = vec![0.0; self.dim + 1];
                let mut loss = 0.0;
                for (row, &t) in rows.iter().zip(targets) {
                    let z = bias + dot(w, row);
                    // log(1 + e^z) - t z, computed stably.
                    loss += z.max(0.0) + (-z.abs()).exp().ln_1p() - t * z;
                    let r = sigmoid(z) - t;
                    for &(i, v) in row {
                        grad[i as usize] += r * v;
                    }
                    grad[self.dim] += r;
                }
                (loss, grad)
            })
            .collect::<Vec<_>>()
            .into_iter()
            // Summed in chunk order, so the fit does not depend on thread scheduling.
            .fold((0.0, vec![0.0; self.dim + 1]), |(la, mut ga), (lb, gb)| {
                ga.iter_mut().zip(&gb).for_each(|(a, b)| *a += b);
                (la + lb, ga)
            });
        grad.iter_mut().for_each(|g| *g *= self.c);
        grad[..self.dim]
            .iter_mut()
            .zip(w)
            .for_each(|(g, wi)| *g += wi);
        let value = self.c * loss + 0.5 * dot_dense(w, w);
        (value, grad)
    }
}
