//! The digamma function ψ(x) = d/dx ln Γ(x), for the Bayesian (variational) M-step.

/// ψ(x) for x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x lifts x above 7, where the
/// asymptotic series in 1/(x − ½) is accurate to about 1e-12.
pub fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 7.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    x -= 0.5;
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let inv4 = inv2 * inv2;
    result + x.ln() + inv2 / 24.0 - 7.0 / 960.0 * inv4 + 31.0 / 8064.0 * inv4 * inv2
        - 127.0 / 30720.0 * inv4 * inv4
}

#[cfg(test)]
mod tests {
    use super::digamma;

    #[test]
    fn matches_known_values() {
        // ψ(1) = −γ, ψ(½) = −γ − 2 ln 2, ψ(x + 1) = ψ(x) + 1/x.
        let gamma = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + gamma).abs() < 1e-10);
        assert!((digamma(0.5) + gamma + 2.0 * 2f64.ln()).abs() < 1e-10);
        for &x in &[0.01, 0.3, 2.5, 9.0, 123.4, 1e6] {
            assert!((digamma(x + 1.0) - digamma(x) - 1.0 / x).abs() < 1e-9 * (1.0 + 1.0 / x));
        }
    }
}
