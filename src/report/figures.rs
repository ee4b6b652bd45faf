//! The study's figures as PNG and SVG, drawn with plotters and the embedded DejaVu font
//! (the machine has no system fonts, so the font is registered from the `dejavu` crate).

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::study::results::{MeanStd, StudyResults};

const SIZE: (u32, u32) = (1000, 600);
const FONT: &str = "sans-serif";

/// Registers DejaVu Sans as the `sans-serif` family once per process.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TTF; failure here would be a packaging bug.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {e:?}")
}

/// Something drawable on any plotters backend.
trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

/// Writes `<dir>/<name>.png` and `<dir>/<name>.svg`; returns the PNG path.
fn save<F: Figure>(fig: &F, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    register_fonts();
    std::fs::create_dir_all(dir)?;
    let png = dir.join(format!("{name}.png"));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        fig.draw(&root)?;
        root.present().map_err(err)?;
    }
    let svg = dir.join(format!("{name}.svg"));
    {
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        fig.draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(png)
}

fn color(i: usize) -> RGBColor {
    let c = Palette99::pick(i).to_rgba();
    RGBColor(c.0, c.1, c.2)
}

/// Padded `[min, max]` of values (a unit range around a single value).
fn span(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| {
            (l.min(v), h.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let d = ((hi - lo) * pad).max(1e-3);
    (lo - d, hi + d)
}

/// One line per model.
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
}

/// Train loss and validation accuracy by epoch, mean over seeds, one line per model.
struct LearningCurves {
    loss: Vec<Series>,
    accuracy: Vec<Series>,
}

fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    legend_at: SeriesLabelPosition,
) -> anyhow::Result<()> {
    let (x0, x1) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0)),
        0.02,
    );
    let (y0, y1) = span(
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1)),
        0.08,
    );
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    // Epochs and bucket midpoints read best as whole numbers.
    let x_ticks = series
        .iter()
        .map(|s| s.points.len())
        .max()
        .unwrap_or(2)
        .clamp(2, 12);
    chart
        .configure_mesh()
        .x_labels(x_ticks)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(s.points.clone(), c.stroke_width(2)))
            .map_err(err)?
            .label(s.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart
            .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, c.filled())))
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 13))
        .position(legend_at)
        .draw()
        .map_err(err)?;
    Ok(())
}

impl Figure for LearningCurves {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let (l, r) = root.split_horizontally(SIZE.0 / 2);
        line_panel(
            &l,
            "Training loss",
            "epoch",
            "cross-entropy (nats)",
            &self.loss,
            SeriesLabelPosition::UpperRight,
        )?;
        line_panel(
            &r,
            "Validation accuracy",
            "epoch",
            "accuracy (%)",
            &self.accuracy,
            SeriesLabelPosition::LowerRight,
        )?;
        Ok(())
    }
}

/// Horizontal bars of mean accuracy with ±1 std error bars, one per model.
struct AccuracyBars {
    title: String,
    items: Vec<(String, MeanStd)>,
}

impl Figure for AccuracyBars {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let n = self.items.len().max(1);
        let (lo, hi) = span(
            self.items
                .iter()
                .flat_map(|(_, m)| [(m.mean - m.std) * 100.0, (m.mean + m.std) * 100.0]),
            0.15,
        );
        let lo = lo.max(0.0);
        let hi = hi.min(100.0).max(lo + 1.0);
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(10)
            .build_cartesian_2d(lo..hi, -0.5..(n as f64 - 0.5))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_desc("test accuracy (%), mean ± 1 std over seeds")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err)?;
        for (i, (name, m)) in self.items.iter().enumerate() {
            // Top to bottom in the given order.
            let y = (n - 1 - i) as f64;
            let c = color(i);
            let mean = m.mean * 100.0;
            chart
                .draw_series([Rectangle::new(
                    [(lo, y - 0.35), (mean, y + 0.35)],
                    c.mix(0.55).filled(),
                )])
                .map_err(err)?;
            chart
                .draw_series([ErrorBar::new_horizontal(
                    y,
                    (mean - m.std * 100.0).max(lo),
                    mean,
                    (mean + m.std * 100.0).min(hi),
                    BLACK.stroke_width(2),
                    12,
                )])
                .map_err(err)?;
            let label = format!("{name}: {}", m.percent());
            chart
                .draw_series([Text::new(
                    label,
                    (lo + (hi - lo) * 0.01, y + 0.12),
                    (FONT, 15).into_font(),
                )])
                .map_err(err)?;
        }
        Ok(())
    }
}

/// A line chart on a linear or log-10 y axis.
struct Lines {
    title: String,
    x_desc: String,
    y_desc: String,
    series: Vec<Series>,
    log_y: bool,
}

impl Figure for Lines {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        if !self.log_y {
            return line_panel(
                root,
                &self.title,
                &self.x_desc,
                &self.y_desc,
                &self.series,
                SeriesLabelPosition::LowerLeft,
            );
        }
        let pos = |v: f64| v.is_finite() && v > 0.0;
        let (x0, x1) = span(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0)),
            0.02,
        );
        let ys = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|&v| pos(v));
        let (y0, y1) = ys.fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
        let (y0, y1) = if y0.is_finite() && y1 > 0.0 {
            (y0 / 2.0, y1 * 2.0)
        } else {
            (1e-6, 1.0)
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(self.x_desc.as_str())
            .y_desc(self.y_desc.as_str())
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err)?;
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i);
            let pts: Vec<_> = s.points.iter().copied().filter(|p| pos(p.1)).collect();
            chart
                .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                .map_err(err)?
                .label(s.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 14))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// A histogram of token counts.
struct Histogram {
    title: String,
    x_desc: String,
    values: Vec<usize>,
    bins: usize,
    marker: Option<(usize, String)>,
}

impl Figure for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let max = self.values.iter().copied().max().unwrap_or(1).max(1);
        let width = (max as f64 / self.bins as f64).ceil().max(1.0);
        let mut counts = vec![0usize; self.bins];
        for &v in &self.values {
            counts[((v as f64 / width) as usize).min(self.bins - 1)] += 1;
        }
        let top = counts.iter().copied().max().unwrap_or(1) as f64 * 1.1;
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(0.0..width * self.bins as f64, 0.0..top.max(1.0))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(self.x_desc.as_str())
            .y_desc("reviews")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &c)| {
                let x = i as f64 * width;
                Rectangle::new(
                    [(x, 0.0), (x + width, c as f64)],
                    color(0).mix(0.6).filled(),
                )
            }))
            .map_err(err)?
            .label("training reviews")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], color(0).filled()));
        if let Some((x, name)) = &self.marker {
            let x = *x as f64;
            chart
                .draw_series([PathElement::new(
                    vec![(x, 0.0), (x, top)],
                    RED.stroke_width(2),
                )])
                .map_err(err)?
                .label(name.clone())
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font((FONT, 14))
            .draw()
            .map_err(err)?;
        Ok(())
    }
}

/// A figure file written for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureFile {
    /// File stem, e.g. `learning_curves`.
    pub name: String,
    /// What it shows, used as the image's alt text.
    pub caption: String,
    pub png: PathBuf,
}

/// Mean of each epoch's value over the seeds of one model.
fn mean_curve(
    results: &StudyResults,
    model: &str,
    f: fn(&crate::train::metrics::EpochRecord) -> f64,
) -> Vec<(f64, f64)> {
    let mut sums: Vec<(f64, usize)> = Vec::new();
    for r in results.runs.iter().filter(|r| r.model == model) {
        for e in &r.epochs {
            let i = e.epoch.saturating_sub(1);
            if sums.len() <= i {
                sums.resize(i + 1, (0.0, 0));
            }
            sums[i].0 += f(e);
            sums[i].1 += 1;
        }
    }
    sums.iter()
        .enumerate()
        .filter(|(_, (_, n))| *n > 0)
        .map(|(i, (s, n))| ((i + 1) as f64, s / *n as f64))
        .collect()
}

/// Per-model mean over seeds of a per-run vector (bucket accuracies, gradient norms).
fn mean_vector(
    results: &StudyResults,
    model: &str,
    f: impl Fn(&crate::study::results::RunResult) -> Vec<(f64, f64)>,
) -> Vec<(f64, f64)> {
    let runs: Vec<Vec<(f64, f64)>> = results
        .runs
        .iter()
        .filter(|r| r.model == model)
        .map(f)
        .filter(|v| !v.is_empty())
        .collect();
    let Some(first) = runs.first() else {
        return Vec::new();
    };
    let len = runs.iter().map(Vec::len).min().unwrap_or(0);
    (0..len)
        .map(|i| {
            (
                first[i].0,
                runs.iter().map(|v| v[i].1).sum::<f64>() / runs.len() as f64,
            )
        })
        .collect()
}

/// Model names that appear in the results, in first-seen order.
pub fn models_in(results: &StudyResults) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in &results.runs {
        if !out.contains(&r.model) {
            out.push(r.model.clone());
        }
    }
    out
}

/// Which models go into which figure.
#[derive(Clone, Debug, Default)]
pub struct FigurePlan {
    /// Models in the learning-curve and overall accuracy figures (all when empty).
    pub main: Vec<String>,
    /// Models of the gate-ablation figure (the full LSTM first).
    pub gates: Vec<String>,
    /// Models of the length-bucket figure.
    pub length: Vec<String>,
    /// Models of the gradient-flow figure.
    pub grad_flow: Vec<String>,
}

/// Every figure this module can draw.
pub const FIGURE_NAMES: [&str; 6] = [
    "token_lengths",
    "learning_curves",
    "test_accuracy",
    "gate_ablation",
    "length_buckets",
    "grad_flow",
];

/// Draws every figure the results support into `dir`, removing older figures of these
/// names that the results no longer support (so the folder never shows stale results).
pub fn write_figures(
    results: &StudyResults,
    plan: &FigurePlan,
    dir: &Path,
) -> anyhow::Result<Vec<FigureFile>> {
    let out = draw_figures(results, plan, dir)?;
    for name in FIGURE_NAMES
        .iter()
        .filter(|n| !out.iter().any(|f| f.name == **n))
    {
        for ext in ["png", "svg"] {
            let p = dir.join(format!("{name}.{ext}"));
            if p.is_file() {
                std::fs::remove_file(&p)?;
            }
        }
    }
    Ok(out)
}

fn draw_figures(
    results: &StudyResults,
    plan: &FigurePlan,
    dir: &Path,
) -> anyhow::Result<Vec<FigureFile>> {
    let mut out = Vec::new();
    let summaries = results.summaries();
    let present = |names: &[String]| -> Vec<String> {
        names
            .iter()
            .filter(|n| summaries.iter().any(|s| &s.model == *n))
            .cloned()
            .collect()
    };
    let main = if plan.main.is_empty() {
        models_in(results)
    } else {
        present(&plan.main)
    };

    if let Some(t) = &results.tokenizer {
        let fig = Histogram {
            title: format!("Tokens per training review ({} pieces)", t.vocab_size),
            x_desc: "tokens per review".into(),
            values: t.lengths.clone(),
            bins: 40,
            marker: Some((t.max_len, format!("max_len = {}", t.max_len))),
        };
        out.push(FigureFile {
            name: "token_lengths".into(),
            caption: "Histogram of tokens per training review".into(),
            png: save(&fig, dir, "token_lengths")?,
        });
    }
    if !main.is_empty() {
        let fig = LearningCurves {
            loss: main
                .iter()
                .map(|m| Series {
                    name: m.clone(),
                    points: mean_curve(results, m, |e| e.train_loss as f64),
                })
                .collect(),
            accuracy: main
                .iter()
                .map(|m| Series {
                    name: m.clone(),
                    points: mean_curve(results, m, |e| e.val_accuracy as f64 * 100.0),
                })
                .collect(),
        };
        out.push(FigureFile {
            name: "learning_curves".into(),
            caption: "Training loss and validation accuracy by epoch (mean over seeds)".into(),
            png: save(&fig, dir, "learning_curves")?,
        });
        let mut items: Vec<(String, MeanStd)> = main
            .iter()
            .filter_map(|m| summaries.iter().find(|s| &s.model == m))
            .map(|s| (s.model.clone(), s.test))
            .collect();
        if let Some((t, _, _)) = results.baseline_summary() {
            items.push(("TF-IDF + LR".into(), t));
        }
        let fig = AccuracyBars {
            title: "IMDb test accuracy".into(),
            items,
        };
        out.push(FigureFile {
            name: "test_accuracy".into(),
            caption: "Test accuracy of every model, mean ± std over seeds".into(),
            png: save(&fig, dir, "test_accuracy")?,
        });
    }
    let gates = present(&plan.gates);
    if gates.len() > 1 {
        let items = gates
            .iter()
            .filter_map(|m| summaries.iter().find(|s| &s.model == m))
            .map(|s| (s.model.clone(), s.test))
            .collect();
        let fig = AccuracyBars {
            title: "LSTM gate ablation: test accuracy".into(),
            items,
        };
        out.push(FigureFile {
            name: "gate_ablation".into(),
            caption: "Test accuracy of the LSTM with one gate fixed to 1".into(),
            png: save(&fig, dir, "gate_ablation")?,
        });
    }
    let length: Vec<Series> = present(&plan.length)
        .iter()
        .map(|m| Series {
            name: m.clone(),
            points: mean_vector(results, m, |r| {
                r.length_buckets
                    .iter()
                    .map(|b| {
                        (
                            (b.min_tokens + b.max_tokens) as f64 / 2.0,
                            b.accuracy as f64 * 100.0,
                        )
                    })
                    .collect()
            }),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    if !length.is_empty() {
        let fig = Lines {
            title: "Test accuracy by review length".into(),
            x_desc: "review length (tokens, bucket midpoint)".into(),
            y_desc: "accuracy (%)".into(),
            series: length,
            log_y: false,
        };
        out.push(FigureFile {
            name: "length_buckets".into(),
            caption: "Test accuracy by review-length quartile".into(),
            png: save(&fig, dir, "length_buckets")?,
        });
    }
    let flow: Vec<Series> = present(&plan.grad_flow)
        .iter()
        .map(|m| Series {
            name: m.clone(),
            points: mean_vector(results, m, |r| {
                r.grad_flow
                    .iter()
                    .enumerate()
                    .map(|(d, g)| (d as f64, *g as f64))
                    .collect()
            }),
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    if !flow.is_empty() {
        let fig = Lines {
            title: "Gradient flow: ‖∂L/∂h_t‖ by distance from the last token".into(),
            x_desc: "distance from the last token (tokens)".into(),
            y_desc: "mean ‖∂L/∂h_t‖ (log scale)".into(),
            series: flow,
            log_y: true,
        };
        out.push(FigureFile {
            name: "grad_flow".into(),
            caption: "Norm of the loss gradient with respect to the hidden state by distance from the last token".into(),
            png: save(&fig, dir, "grad_flow")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::study::experiments::names;
    use crate::study::results::{
        BaselineResult, BucketAccuracy, RunMeta, RunResult, TokenizerStats,
    };
    use crate::train::metrics::EpochRecord;

    /// Plausible fake results covering every section.
    pub(crate) fn synthetic() -> StudyResults {
        let mut runs = Vec::new();
        let models = [
            (names::CNN, "cnn", 0.86),
            (names::RNN, "rnn", 0.70),
            (names::LSTM, "lstm", 0.87),
            (names::LSTM_NO_FORGET, "lstm", 0.84),
            (names::LSTM_NO_INPUT, "lstm", 0.86),
            (names::LSTM_NO_OUTPUT, "lstm", 0.865),
        ];
        for (mi, (m, k, acc)) in models.iter().enumerate() {
            for seed in 0..3u64 {
                let a = acc + seed as f32 * 0.004;
                runs.push(RunResult {
                    model: m.to_string(),
                    kind: k.to_string(),
                    seed,
                    params: 100_000 + mi * 1000,
                    best_epoch: 3,
                    val_accuracy: a + 0.01,
                    test_accuracy: a,
                    yelp_dev_accuracy: a - 0.05,
                    train_seconds: 30.0,
                    epochs: (1..=3)
                        .map(|e| EpochRecord {
                            epoch: e,
                            train_loss: 0.7 / e as f32,
                            train_accuracy: a - 0.1 / e as f32,
                            val_loss: 0.5,
                            val_accuracy: a - 0.05 / e as f32,
                            seconds: 10.0,
                        })
                        .collect(),
                    length_buckets: (0..4)
                        .map(|b| BucketAccuracy {
                            min_tokens: b * 60,
                            max_tokens: b * 60 + 59,
                            count: 100,
                            accuracy: a - b as f32 * 0.02,
                        })
                        .collect(),
                    grad_flow: if *k == "cnn" {
                        vec![]
                    } else {
                        (0..50)
                            .map(|d| (if *k == "rnn" { 0.8f32 } else { 0.97 }).powi(d))
                            .collect()
                    },
                });
            }
        }
        StudyResults {
            meta: RunMeta {
                command: "figures --quick".into(),
                seeds: vec![0, 1, 2],
                epochs: 3,
                augment: crate::data::augment::Augmentation {
                    sentence_pieces: true,
                    piece_words: 40,
                    subword_alpha: Some(0.2),
                    token_dropout: 0.1,
                },
                train_examples: 1234,
                ..Default::default()
            },
            tokenizer: Some(TokenizerStats {
                vocab_size: 30000,
                reviews: 100,
                mean_tokens: 150.0,
                median_tokens: 140,
                p95_tokens: 280,
                max_tokens: 300,
                unknown_rate: 0.0,
                reviews_with_unknown: 0.0,
                truncated_fraction: 0.01,
                max_len: 256,
                train_seconds: 3.0,
                lengths: (0..100).map(|i| i * 3).collect(),
            }),
            runs,
            baseline: vec![BaselineResult {
                seed: 0,
                params: 20001,
                val_accuracy: 0.85,
                test_accuracy: 0.845,
                yelp_dev_accuracy: 0.80,
                train_seconds: 2.0,
            }],
            yelp: None,
        }
    }

    fn png_size(path: &Path) -> (u32, u32) {
        let b = std::fs::read(path).unwrap();
        assert_eq!(
            &b[..8],
            b"\x89PNG\r\n\x1a\n",
            "{} is not a PNG",
            path.display()
        );
        assert_eq!(&b[12..16], b"IHDR");
        (
            u32::from_be_bytes(b[16..20].try_into().unwrap()),
            u32::from_be_bytes(b[20..24].try_into().unwrap()),
        )
    }

    #[test]
    fn every_figure_is_written_as_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let plan = FigurePlan {
            main: vec![],
            gates: vec![
                names::LSTM.into(),
                names::LSTM_NO_FORGET.into(),
                names::LSTM_NO_INPUT.into(),
                names::LSTM_NO_OUTPUT.into(),
            ],
            length: vec![names::RNN.into(), names::LSTM.into(), names::CNN.into()],
            grad_flow: vec![names::RNN.into(), names::LSTM.into()],
        };
        let figs = write_figures(&synthetic(), &plan, dir.path()).unwrap();
        let got: Vec<_> = figs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            got,
            [
                "token_lengths",
                "learning_curves",
                "test_accuracy",
                "gate_ablation",
                "length_buckets",
                "grad_flow"
            ]
        );
        for f in &figs {
            assert_eq!(png_size(&f.png), SIZE);
            let svg = std::fs::read_to_string(f.png.with_extension("svg")).unwrap();
            assert!(
                svg.starts_with("<svg") && svg.contains("<text"),
                "{}",
                f.name
            );
        }
        if let Ok(keep) = std::env::var("KEEP_FIGURES") {
            for f in &figs {
                std::fs::copy(&f.png, Path::new(&keep).join(f.png.file_name().unwrap())).unwrap();
            }
        }
    }
}
