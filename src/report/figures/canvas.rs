//! The drawing ground every chart shares: size, font, palette, axis ranges and the PNG + SVG
//! writer.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::{CoordTranslate, Shift};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Pixel size of every figure.
pub(super) const SIZE: (u32, u32) = (1000, 600);
/// The one font family; registered from the embedded DejaVu font.
pub(super) const FONT: &str = "sans-serif";

/// Registers DejaVu Sans as the `sans-serif` family once per process.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TTF; failure here would be a packaging bug.
        let _ = register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

/// A plotters error (its types differ per backend) as an `anyhow` error.
pub(super) fn err<E: std::fmt::Debug>(error: E) -> anyhow::Error {
    anyhow::anyhow!("drawing failed: {error:?}")
}

/// Something drawable on any plotters backend.
pub(super) trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> anyhow::Result<()>;
}

/// Writes `<dir>/<name>.png` and `<dir>/<name>.svg`; returns the PNG path.
pub(super) fn save<F: Figure>(figure: &F, dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    register_fonts();
    std::fs::create_dir_all(dir)?;
    let png = dir.join(format!("{name}.png"));
    {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        figure.draw(&root)?;
        root.present().map_err(err)?;
    }
    let svg = dir.join(format!("{name}.svg"));
    {
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        figure.draw(&root)?;
        root.present().map_err(err)?;
    }
    Ok(png)
}

/// The `index`-th colour of the palette, one per series.
pub(super) fn color(index: usize) -> RGBColor {
    let rgba = Palette99::pick(index).to_rgba();
    RGBColor(rgba.0, rgba.1, rgba.2)
}

/// Padded `[min, max]` of values (a unit range around a single value).
pub(super) fn span(values: impl Iterator<Item = f64>, pad: f64) -> (f64, f64) {
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

/// The legend box every chart draws the same way.
pub(super) fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    font_size: u32,
    position: Option<SeriesLabelPosition>,
) -> anyhow::Result<()> {
    let mut labels = chart.configure_series_labels();
    labels
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, font_size));
    if let Some(position) = position {
        labels.position(position);
    }
    labels.draw().map_err(err)
}
