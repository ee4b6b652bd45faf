//! Bar charts: accuracy bars with error bars, and the token-count histogram.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{FONT, Figure, color, draw_legend, err, span};
use crate::study::results::MeanStd;

/// Horizontal bars of mean accuracy with ±1 std error bars, one per model.
pub(super) struct AccuracyBars {
    pub title: &'static str,
    pub items: Vec<(String, MeanStd)>,
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
            .caption(self.title, (FONT, 24))
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
        for (i, (name, accuracy)) in self.items.iter().enumerate() {
            // Top to bottom in the given order.
            let y = (n - 1 - i) as f64;
            let mean = accuracy.mean * 100.0;
            let std = accuracy.std * 100.0;
            chart
                .draw_series([Rectangle::new(
                    [(lo, y - 0.35), (mean, y + 0.35)],
                    color(i).mix(0.55).filled(),
                )])
                .map_err(err)?;
            chart
                .draw_series([ErrorBar::new_horizontal(
                    y,
                    (mean - std).max(lo),
                    mean,
                    (mean + std).min(hi),
                    BLACK.stroke_width(2),
                    12,
                )])
                .map_err(err)?;
            chart
                .draw_series([Text::new(
                    format!("{name}: {}", accuracy.percent()),
                    (lo + (hi - lo) * 0.01, y + 0.12),
                    (FONT, 15).into_font(),
                )])
                .map_err(err)?;
        }
        Ok(())
    }
}

/// A histogram of token counts, with an optional vertical marker (e.g. the truncation length).
pub(super) struct Histogram {
    pub title: String,
    pub x_desc: &'static str,
    pub values: Vec<usize>,
    pub bins: usize,
    pub marker: Option<(usize, String)>,
}

impl Histogram {
    /// Bin width and the count in each bin; the last bin takes everything beyond.
    fn counts(&self) -> (f64, Vec<usize>) {
        let max = self.values.iter().copied().max().unwrap_or(1).max(1);
        let width = (max as f64 / self.bins as f64).ceil().max(1.0);
        let mut counts = vec![0usize; self.bins];
        for &value in &self.values {
            counts[((value as f64 / width) as usize).min(self.bins - 1)] += 1;
        }
        (width, counts)
    }
}

impl Figure for Histogram {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()> {
        let (width, counts) = self.counts();
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
            .x_desc(self.x_desc)
            .y_desc("reviews")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(i, &count)| {
                let x = i as f64 * width;
                Rectangle::new(
                    [(x, 0.0), (x + width, count as f64)],
                    color(0).mix(0.6).filled(),
                )
            }))
            .map_err(err)?
            .label("training reviews")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], color(0).filled()));
        if let Some((at, name)) = &self.marker {
            let x = *at as f64;
            chart
                .draw_series([PathElement::new(
                    vec![(x, 0.0), (x, top)],
                    RED.stroke_width(2),
                )])
                .map_err(err)?
                .label(name.clone())
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        }
        draw_legend(&mut chart, 14, None)
    }
}
