//! Number formats and the model-versus-model comparison sentence every section reuses.

use crate::study::format::pct;
use crate::study::results::{MeanStd, ModelSummary};

/// A difference of two fractions as unsigned percentage points: `1.20 points`.
pub(super) fn points(difference: f64) -> String {
    format!("{:.2} points", difference.abs() * 100.0)
}

/// A count with thousands separators: `102,000`.
pub(super) fn thousands(count: usize) -> String {
    let digits = count.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A mean ± std in percent, or `–` when it was not measured.
pub(super) fn percent_or_dash(measured: &MeanStd) -> String {
    if measured.mean.is_finite() {
        measured.percent()
    } else {
        "–".to_string()
    }
}

/// "higher than B by 1.20 points, more than the seed spread" style comparison of test accuracy.
pub(super) fn compare(model: &ModelSummary, other: &ModelSummary) -> String {
    let difference = model.test.mean - other.test.mean;
    let noise = model.test.std.max(other.test.std);
    let direction = if difference > 0.0 {
        "higher"
    } else if difference < 0.0 {
        "lower"
    } else {
        return format!("equal to {}", other.model);
    };
    let spread = if model.test.n < 2 || other.test.n < 2 {
        "with one seed each, so seed noise is not measured".to_string()
    } else if difference.abs() > 2.0 * noise {
        format!("more than twice the larger seed std ({:.2})", noise * 100.0)
    } else {
        format!(
            "within twice the larger seed std ({:.2}), so not a clear difference",
            noise * 100.0
        )
    };
    format!(
        "{direction} than {} ({}%) by {}, {spread}",
        other.model,
        pct(other.test.mean, 2),
        points(difference)
    )
}
