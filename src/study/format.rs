//! Number formatting shared by the study's own tables and the report, so a score reads the
//! same wherever it is printed.

use std::fmt::Display;
use std::ops::Mul;

/// A fraction as a percentage with `decimals` digits and no sign: `pct(0.8734, 2)` is `87.34`.
///
/// The multiplication by 100 runs in the caller's float type, so an `f32` score rounds
/// exactly as `100.0 * score` always did rather than after widening to `f64`.
pub fn pct<F>(fraction: F, decimals: usize) -> String
where
    F: Mul<Output = F> + From<u8> + Display,
{
    format!("{:.decimals$}", F::from(100) * fraction)
}

#[cfg(test)]
mod tests {
    use super::pct;

    #[test]
    fn fractions_print_as_percentages() {
        assert_eq!(pct(0.8734_f64, 2), "87.34");
        assert_eq!(pct(0.5_f64, 0), "50");
        assert_eq!(pct(0.8125_f32, 1), "81.2");
        assert_eq!(pct(1.0_f64, 2), "100.00");
    }
}
