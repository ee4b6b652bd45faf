//! Which figures the study gets: each one a short declaration of its data, chart and caption,
//! or `None` when the results cannot support it.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::bars::{AccuracyBars, Histogram};
use super::canvas::{Figure, save};
use super::lines::{LearningCurves, LineFrame, Lines};
use super::series::{
    ACCURACY_BY_LENGTH, GRAD_FLOW_BY_DISTANCE, RunCurve, epoch_series, run_series, test_accuracies,
};
use super::{FigureFile, FigurePlan, models_in};
use crate::study::results::{ModelSummary, StudyResults};

/// Draws the declared figures that the results support, in the report's order.
pub(super) fn draw_figures(
    results: &StudyResults,
    plan: &FigurePlan,
    dir: &Path,
) -> anyhow::Result<Vec<FigureFile>> {
    let selection = Selection::new(results, plan);
    [
        token_lengths(&selection),
        learning_curves(&selection),
        test_accuracy(&selection),
        gate_ablation(&selection),
        length_buckets(&selection),
        grad_flow(&selection),
    ]
    .into_iter()
    .flatten()
    .map(|planned| planned.draw(dir))
    .collect()
}

fn token_lengths(selection: &Selection) -> Option<Planned> {
    let stats = selection.results.tokenizer.as_ref()?;
    Some(Planned {
        name: "token_lengths",
        caption: "Histogram of tokens per training review",
        chart: Chart::Histogram(Histogram {
            title: format!("Tokens per training review ({} pieces)", stats.vocab_size),
            x_desc: "tokens per review",
            values: stats.lengths.clone(),
            bins: 40,
            marker: Some((stats.max_len, format!("max_len = {}", stats.max_len))),
        }),
    })
}

fn learning_curves(selection: &Selection) -> Option<Planned> {
    let (results, main) = (selection.results, &selection.main);
    (!main.is_empty()).then(|| Planned {
        name: "learning_curves",
        caption: "Training loss and validation accuracy by epoch (mean over seeds)",
        chart: Chart::Curves(LearningCurves {
            loss: epoch_series(results, main, |e| e.train_loss as f64),
            accuracy: epoch_series(results, main, |e| e.val_accuracy as f64 * 100.0),
        }),
    })
}

fn test_accuracy(selection: &Selection) -> Option<Planned> {
    if selection.main.is_empty() {
        return None;
    }
    let mut items = test_accuracies(&selection.summaries, &selection.main);
    if let Some((test, _, _)) = selection.results.baseline_summary() {
        items.push(("TF-IDF + LR".into(), test));
    }
    Some(Planned {
        name: "test_accuracy",
        caption: "Test accuracy of every model, mean ± std over seeds",
        chart: Chart::Bars(AccuracyBars {
            title: "IMDb test accuracy",
            items,
        }),
    })
}

fn gate_ablation(selection: &Selection) -> Option<Planned> {
    let gates = selection.present(&selection.plan.gates);
    (gates.len() > 1).then(|| Planned {
        name: "gate_ablation",
        caption: "Test accuracy of the LSTM with one gate fixed to 1",
        chart: Chart::Bars(AccuracyBars {
            title: "LSTM gate ablation: test accuracy",
            items: test_accuracies(&selection.summaries, &gates),
        }),
    })
}

fn length_buckets(selection: &Selection) -> Option<Planned> {
    selection.line_figure(&LENGTH_BUCKETS, &selection.plan.length)
}

fn grad_flow(selection: &Selection) -> Option<Planned> {
    selection.line_figure(&GRAD_FLOW, &selection.plan.grad_flow)
}

/// A figure with one line per planned model: the mean over seeds of a per-run curve.
struct LineFigure {
    /// File stem.
    name: &'static str,
    /// The image's alt text.
    caption: &'static str,
    /// The chart's own title.
    title: &'static str,
    curve: RunCurve,
}

const LENGTH_BUCKETS: LineFigure = LineFigure {
    name: "length_buckets",
    caption: "Test accuracy by review-length quartile",
    title: "Test accuracy by review length",
    curve: ACCURACY_BY_LENGTH,
};

const GRAD_FLOW: LineFigure = LineFigure {
    name: "grad_flow",
    caption: "Norm of the loss gradient with respect to the hidden state by distance from the last token",
    title: "Gradient flow: ‖∂L/∂h_t‖ by distance from the last token",
    curve: GRAD_FLOW_BY_DISTANCE,
};

/// What the declarations read: the results, their per-model summaries and the plan.
struct Selection<'a> {
    results: &'a StudyResults,
    plan: &'a FigurePlan,
    summaries: Vec<ModelSummary>,
    /// Models of the learning-curve and overall accuracy figures.
    main: Vec<String>,
}

impl<'a> Selection<'a> {
    fn new(results: &'a StudyResults, plan: &'a FigurePlan) -> Self {
        let mut selection = Self {
            results,
            plan,
            summaries: results.summaries(),
            main: Vec::new(),
        };
        selection.main = if plan.main.is_empty() {
            models_in(results)
        } else {
            selection.present(&plan.main)
        };
        selection
    }

    /// `figure` over those of `models` that have results, or `None` when none has.
    fn line_figure(&self, figure: &LineFigure, models: &[String]) -> Option<Planned> {
        let curve = &figure.curve;
        let series = run_series(self.results, &self.present(models), curve.points);
        let frame = LineFrame {
            title: figure.title,
            x_desc: curve.x_desc,
            y_desc: curve.y_desc,
            log_y: curve.log_y,
        };
        (!series.is_empty()).then_some(Planned {
            name: figure.name,
            caption: figure.caption,
            chart: Chart::Lines(Lines { frame, series }),
        })
    }

    /// The named models that have results, in the given order.
    fn present(&self, names: &[String]) -> Vec<String> {
        names
            .iter()
            .filter(|name| self.summaries.iter().any(|s| &s.model == *name))
            .cloned()
            .collect()
    }
}

/// A declared figure: its file stem, its caption (the image's alt text) and its chart.
struct Planned {
    name: &'static str,
    caption: &'static str,
    chart: Chart,
}

impl Planned {
    fn draw(self, dir: &Path) -> anyhow::Result<FigureFile> {
        Ok(FigureFile {
            name: self.name.into(),
            caption: self.caption.into(),
            png: save(&self.chart, dir, self.name)?,
        })
    }
}

/// Every kind of chart a declaration can pick.
enum Chart {
    Histogram(Histogram),
    Curves(LearningCurves),
    Bars(AccuracyBars),
    Lines(Lines),
}

impl Figure for Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        match self {
            Chart::Histogram(chart) => chart.draw(root),
            Chart::Curves(chart) => chart.draw(root),
            Chart::Bars(chart) => chart.draw(root),
            Chart::Lines(chart) => chart.draw(root),
        }
    }
}
