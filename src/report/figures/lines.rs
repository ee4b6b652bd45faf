//! Line charts: learning curves (two panels) and one-panel lines on a linear or log axis.

use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::canvas::{FONT, Figure, SIZE, color, draw_legend, err, span};

/// One line per model.
pub(super) struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    fn xs(series: &[Series]) -> impl Iterator<Item = f64> + '_ {
        series.iter().flat_map(|s| s.points.iter().map(|p| p.0))
    }

    fn ys(series: &[Series]) -> impl Iterator<Item = f64> + '_ {
        series.iter().flat_map(|s| s.points.iter().map(|p| p.1))
    }
}

/// Train loss and validation accuracy by epoch, mean over seeds, one line per model.
pub(super) struct LearningCurves {
    pub loss: Vec<Series>,
    pub accuracy: Vec<Series>,
}

impl Figure for LearningCurves {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let (left, right) = root.split_horizontally(SIZE.0 / 2);
        line_panel(
            &left,
            &Axes {
                title: "Training loss",
                x_desc: "epoch",
                y_desc: "cross-entropy (nats)",
            },
            &self.loss,
            SeriesLabelPosition::UpperRight,
        )?;
        line_panel(
            &right,
            &Axes {
                title: "Validation accuracy",
                x_desc: "epoch",
                y_desc: "accuracy (%)",
            },
            &self.accuracy,
            SeriesLabelPosition::LowerRight,
        )
    }
}

/// What a line chart says around its lines: title, axis descriptions and the y scale.
pub(super) struct LineFrame {
    pub title: &'static str,
    pub x_desc: &'static str,
    pub y_desc: &'static str,
    /// A log-10 y axis instead of a linear one.
    pub log_y: bool,
}

impl LineFrame {
    fn axes(&self) -> Axes<'_> {
        Axes {
            title: self.title,
            x_desc: self.x_desc,
            y_desc: self.y_desc,
        }
    }
}

/// A line chart on a linear or log-10 y axis.
pub(super) struct Lines {
    pub frame: LineFrame,
    pub series: Vec<Series>,
}

impl Figure for Lines {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let axes = self.frame.axes();
        if self.frame.log_y {
            log_panel(root, &axes, &self.series)
        } else {
            line_panel(root, &axes, &self.series, SeriesLabelPosition::LowerLeft)
        }
    }
}

/// A panel's caption and axis descriptions.
struct Axes<'a> {
    title: &'a str,
    x_desc: &'a str,
    y_desc: &'a str,
}

impl Axes<'_> {
    /// Draws `mesh` with these descriptions in the shared label fonts.
    fn draw_mesh<X, Y, DB>(&self, mesh: &mut MeshStyle<'_, '_, X, Y, DB>) -> anyhow::Result<()>
    where
        X: Ranged + ValueFormatter<X::ValueType>,
        Y: Ranged + ValueFormatter<Y::ValueType>,
        DB: DrawingBackend,
    {
        mesh.x_desc(self.x_desc)
            .y_desc(self.y_desc)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err)
    }
}

/// Lines with point markers on linear axes, x ticks as whole numbers.
fn line_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axes: &Axes,
    series: &[Series],
    legend_at: SeriesLabelPosition,
) -> anyhow::Result<()> {
    let (x0, x1) = span(Series::xs(series), 0.02);
    let (y0, y1) = span(Series::ys(series), 0.08);
    let mut chart = ChartBuilder::on(area)
        .caption(axes.title, (FONT, 22))
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
    let mut mesh = chart.configure_mesh();
    mesh.x_labels(x_ticks)
        .x_label_formatter(&|v| format!("{v:.0}"));
    axes.draw_mesh(&mut mesh)?;
    for (i, line) in series.iter().enumerate() {
        let c = draw_line(&mut chart, line.points.clone(), &line.name, i)?;
        chart
            .draw_series(line.points.iter().map(|&p| Circle::new(p, 3, c.filled())))
            .map_err(err)?;
    }
    draw_legend(&mut chart, 13, Some(legend_at))
}

/// Lines on a log-10 y axis; points at or below zero are left out.
fn log_panel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    axes: &Axes,
    series: &[Series],
) -> anyhow::Result<()> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let (x0, x1) = span(Series::xs(series), 0.02);
    let (y0, y1) = Series::ys(series)
        .filter(|&v| positive(v))
        .fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let (y0, y1) = if y0.is_finite() && y1 > 0.0 {
        (y0 / 2.0, y1 * 2.0)
    } else {
        (1e-6, 1.0)
    };
    let mut chart = ChartBuilder::on(root)
        .caption(axes.title, (FONT, 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, (y0..y1).log_scale())
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    mesh.y_label_formatter(&|v| format!("{v:.0e}"));
    axes.draw_mesh(&mut mesh)?;
    for (i, line) in series.iter().enumerate() {
        let points: Vec<_> = line
            .points
            .iter()
            .copied()
            .filter(|p| positive(p.1))
            .collect();
        draw_line(&mut chart, points, &line.name, i)?;
    }
    draw_legend(&mut chart, 14, None)
}

/// Draws `points` as line `index` (its colour) with a legend entry; returns the colour.
fn draw_line<DB: DrawingBackend, Y: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<RangedCoordf64, Y>>,
    points: Vec<(f64, f64)>,
    name: &str,
    index: usize,
) -> anyhow::Result<RGBColor> {
    let c = color(index);
    chart
        .draw_series(LineSeries::new(points, c.stroke_width(2)))
        .map_err(err)?
        .label(name)
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    Ok(c)
}
