//! Where the lexicon head starts: the logistic regression of the training labels on the
//! examples' lexicon features (fit on IMDb only), as the n-gram bag starts from naive-Bayes
//! ratios. From zero, the encoder and the bag fit IMDb before the head's three weights grow.

use crate::nn::valence::LEXICON_FEATURES;

/// Parameters: the features' coefficients, then the bias.
const PARAMS: usize = LEXICON_FEATURES + 1;

/// A small ridge on the coefficients (and the bias), so separable features stay finite.
const RIDGE: f64 = 1e-3;

/// Newton steps (the objective is convex and smooth: a handful converge).
const STEPS: usize = 20;

/// The coefficients of an L2-regularized logistic regression of `labels` (0/1) on
/// `features`, fit by Newton's method; the bias is fit too but not returned (the classifier's
/// own head has one).
pub(super) fn logistic_coefficients(
    features: &[[f64; LEXICON_FEATURES]],
    labels: &[usize],
) -> [f64; LEXICON_FEATURES] {
    let mut w = [0.0; PARAMS];
    for _ in 0..STEPS {
        let mut grad = [0.0; PARAMS];
        let mut hess = [[0.0; PARAMS]; PARAMS];
        for (f, &label) in features.iter().zip(labels) {
            let x: [f64; PARAMS] = std::array::from_fn(|k| f.get(k).copied().unwrap_or(1.0));
            let z: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
            let p = 1.0 / (1.0 + (-z).exp());
            let (r, s) = (p - label.min(1) as f64, p * (1.0 - p));
            for i in 0..PARAMS {
                grad[i] += r * x[i];
                for j in 0..PARAMS {
                    hess[i][j] += s * x[i] * x[j];
                }
            }
        }
        for i in 0..PARAMS {
            grad[i] += RIDGE * w[i];
            hess[i][i] += RIDGE;
        }
        let step = solve(hess, grad);
        w.iter_mut().zip(step).for_each(|(wi, si)| *wi -= si);
    }
    std::array::from_fn(|k| w[k])
}

/// `a⁻¹ b` by Gaussian elimination with partial pivoting (`a` symmetric positive definite).
fn solve(mut a: [[f64; PARAMS]; PARAMS], mut b: [f64; PARAMS]) -> [f64; PARAMS] {
    for col in 0..PARAMS {
        let pivot = (col..PARAMS)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..PARAMS {
            let factor = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (target, source) in a[row].iter_mut().zip(pivot_row).skip(col) {
                *target -= factor * source;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; PARAMS];
    for row in (0..PARAMS).rev() {
        let tail: f64 = (row + 1..PARAMS).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_the_coefficients_of_a_logistic_model() {
        // Labels drawn deterministically from p = σ(1.5·f0 − 0.5·f1 + 0.2): many copies of
        // each feature vector with the matching share of positives.
        let want = [1.5, -0.5, 0.0];
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        for a in -3..=3 {
            for b in -3..=3 {
                let f = [a as f64 * 0.5, b as f64 * 0.5, 0.0];
                let z = want[0] * f[0] + want[1] * f[1] + 0.2;
                let positives = (1000.0 / (1.0 + (-z).exp())).round() as usize;
                for k in 0..1000 {
                    features.push(f);
                    labels.push(usize::from(k < positives));
                }
            }
        }
        let got = logistic_coefficients(&features, &labels);
        assert!(
            (got[0] - 1.5).abs() < 0.02 && (got[1] + 0.5).abs() < 0.02,
            "{got:?}"
        );
        assert!(
            got[2].abs() < 1e-9,
            "a constant-zero feature keeps weight 0: {got:?}"
        );
    }

    #[test]
    fn solves_a_linear_system() {
        let a = [
            [4.0, 1.0, 0.0, 0.0],
            [1.0, 3.0, 1.0, 0.0],
            [0.0, 1.0, 2.0, 0.5],
            [0.0, 0.0, 0.5, 1.0],
        ];
        let x = [1.0, -2.0, 0.5, 3.0];
        let b: [f64; 4] = std::array::from_fn(|i| (0..4).map(|j| a[i][j] * x[j]).sum());
        let got = solve(a, b);
        assert!(
            got.iter().zip(x).all(|(g, w)| (g - w).abs() < 1e-12),
            "{got:?}"
        );
    }
}
