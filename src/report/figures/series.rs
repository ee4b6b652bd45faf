//! The numbers behind the figures: per-model means over seeds, as plottable series.

use super::lines::Series;
use crate::study::results::{MeanStd, ModelSummary, RunResult, StudyResults};
use crate::train::metrics::EpochRecord;

/// One line per model: an epoch measure (e.g. train loss) averaged over the model's seeds.
pub(super) fn epoch_series(
    results: &StudyResults,
    models: &[String],
    measure: fn(&EpochRecord) -> f64,
) -> Vec<Series> {
    models
        .iter()
        .map(|model| Series {
            name: model.clone(),
            points: mean_curve(results, model, measure),
        })
        .collect()
}

/// One line per model that has any: a per-run curve (e.g. accuracy by length bucket)
/// averaged over the model's seeds.
pub(super) fn run_series(
    results: &StudyResults,
    models: &[String],
    curve: impl Fn(&RunResult) -> Vec<(f64, f64)>,
) -> Vec<Series> {
    models
        .iter()
        .map(|model| Series {
            name: model.clone(),
            points: mean_vector(results, model, &curve),
        })
        .filter(|series| !series.points.is_empty())
        .collect()
}

/// Each model's test accuracy (mean ± std over seeds), in the given order.
pub(super) fn test_accuracies(
    summaries: &[ModelSummary],
    models: &[String],
) -> Vec<(String, MeanStd)> {
    models
        .iter()
        .filter_map(|model| summaries.iter().find(|s| &s.model == model))
        .map(|summary| (summary.model.clone(), summary.test))
        .collect()
}

/// A per-run curve and the axes its points are measured on.
pub(super) struct RunCurve {
    pub x_desc: &'static str,
    pub y_desc: &'static str,
    /// Whether the values span orders of magnitude (drawn on a log-10 y axis).
    pub log_y: bool,
    pub points: fn(&RunResult) -> Vec<(f64, f64)>,
}

/// Accuracy (%) by review-length bucket, at each bucket's midpoint.
pub(super) const ACCURACY_BY_LENGTH: RunCurve = RunCurve {
    x_desc: "review length (tokens, bucket midpoint)",
    y_desc: "accuracy (%)",
    log_y: false,
    points: length_bucket_curve,
};

/// ‖∂L/∂h_t‖ by distance from the last token.
pub(super) const GRAD_FLOW_BY_DISTANCE: RunCurve = RunCurve {
    x_desc: "distance from the last token (tokens)",
    y_desc: "mean ‖∂L/∂h_t‖ (log scale)",
    log_y: true,
    points: grad_flow_curve,
};

/// The points of [`ACCURACY_BY_LENGTH`] for one run.
fn length_bucket_curve(run: &RunResult) -> Vec<(f64, f64)> {
    run.length_buckets
        .iter()
        .map(|bucket| {
            (
                (bucket.min_tokens + bucket.max_tokens) as f64 / 2.0,
                bucket.accuracy as f64 * 100.0,
            )
        })
        .collect()
}

/// The points of [`GRAD_FLOW_BY_DISTANCE`] for one run.
fn grad_flow_curve(run: &RunResult) -> Vec<(f64, f64)> {
    run.grad_flow
        .iter()
        .enumerate()
        .map(|(distance, norm)| (distance as f64, *norm as f64))
        .collect()
}

/// Mean of each epoch's value over the seeds of one model.
fn mean_curve(
    results: &StudyResults,
    model: &str,
    measure: fn(&EpochRecord) -> f64,
) -> Vec<(f64, f64)> {
    let mut sums: Vec<(f64, usize)> = Vec::new();
    for run in results.runs.iter().filter(|run| run.model == model) {
        for epoch in &run.epochs {
            let i = epoch.epoch.saturating_sub(1);
            if sums.len() <= i {
                sums.resize(i + 1, (0.0, 0));
            }
            sums[i].0 += measure(epoch);
            sums[i].1 += 1;
        }
    }
    sums.iter()
        .enumerate()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(i, (sum, n))| ((i + 1) as f64, sum / *n as f64))
        .collect()
}

/// Per-model mean over seeds of a per-run curve, cut to the shortest run; x from the first.
fn mean_vector(
    results: &StudyResults,
    model: &str,
    curve: impl Fn(&RunResult) -> Vec<(f64, f64)>,
) -> Vec<(f64, f64)> {
    let runs: Vec<Vec<(f64, f64)>> = results
        .runs
        .iter()
        .filter(|run| run.model == model)
        .map(curve)
        .filter(|points| !points.is_empty())
        .collect();
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    let len = runs.iter().map(Vec::len).min().unwrap_or(0);
    (0..len)
        .map(|i| {
            (
                first[i].0,
                runs.iter().map(|points| points[i].1).sum::<f64>() / runs.len() as f64,
            )
        })
        .collect()
}
