//! Limited-memory BFGS over a dense parameter vector.

/// `a · b` for dense vectors.
pub(super) fn dot_dense(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimizes `objective` (value and gradient at a point) over `n` parameters with L-BFGS
/// (memory 10, backtracking Armijo line search) from zero; returns the parameters and the
/// iterations used.
pub(super) fn lbfgs(
    n: usize,
    objective: impl Fn(&[f64]) -> (f64, Vec<f64>),
    max_iter: usize,
) -> (Vec<f64>, usize) {
    const MEMORY: usize = 10;
    let mut x = vec![0.0; n];
    let (mut f, mut g) = objective(&x);
    let g0 = dot_dense(&g, &g).sqrt();
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    for iter in 0..max_iter {
        let gnorm = dot_dense(&g, &g).sqrt();
        if gnorm <= 1e-6 * g0.max(1.0) {
            return (x, iter);
        }
        // Two-loop recursion: d = -H g.
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot_dense(s, &d);
            d.iter_mut().zip(y).for_each(|(di, yi)| *di -= a * yi);
            alphas.push(a);
        }
        let gamma = history
            .last()
            .map_or(1.0 / gnorm, |(s, y, _)| dot_dense(s, y) / dot_dense(y, y));
        d.iter_mut().for_each(|di| *di *= gamma);
        for ((s, y, rho), a) in history.iter().zip(alphas.into_iter().rev()) {
            let b = rho * dot_dense(y, &d);
            d.iter_mut().zip(s).for_each(|(di, si)| *di += (a - b) * si);
        }
        let slope = dot_dense(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            history.clear();
            d = g.iter().map(|v| -v / gnorm).collect();
        }
        let slope = dot_dense(&g, &d);
        let mut step = 1.0;
        let (x_new, f_new, g_new) = loop {
            let cand: Vec<f64> = x.iter().zip(&d).map(|(xi, di)| xi + step * di).collect();
            let (fc, gc) = objective(&cand);
            if fc <= f + 1e-4 * step * slope || step < 1e-12 {
                break (cand, fc, gc);
            }
            step *= 0.5;
        };
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot_dense(&s, &y);
        let converged = (f - f_new).abs() <= 1e-9 * f.abs().max(1.0);
        x = x_new;
        f = f_new;
        g = g_new;
        if converged {
            return (x, iter + 1);
        }
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.remove(0);
            }
            history.push((s, y, 1.0 / sy));
        }
    }
    (x, max_iter)
}
