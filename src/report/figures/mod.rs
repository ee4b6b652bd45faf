//! The study's figures as PNG and SVG, drawn with plotters and the embedded DejaVu font
//! (the machine has no system fonts, so the font is registered from the `dejavu` crate).

mod bars;
mod canvas;
mod catalog;
mod lines;
mod series;

use std::path::{Path, PathBuf};

use crate::study::experiments::{self, Question, names};
use crate::study::results::StudyResults;

pub use canvas::register_fonts;

/// A figure file written for the report.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureFile {
    /// File stem, e.g. `learning_curves`.
    pub name: String,
    /// What it shows, used as the image's alt text.
    pub caption: String,
    /// The PNG (an SVG of the same stem lies beside it).
    pub png: PathBuf,
}

/// Which models go into which figure ([`FigurePlan::study`] for the study's).
#[derive(Clone, Debug)]
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

impl FigurePlan {
    /// The study's plan: every model in the main figures, the gate question's models in the
    /// gate ablation, the RNN question's models by review length, and the gradient flow of
    /// the plain recurrent models.
    pub fn study() -> Self {
        let models_of = |id: Question| -> Vec<String> {
            experiments::questions()
                .iter()
                .find(|question| question.id == id)
                .map(|question| question.models.iter().map(|m| m.to_string()).collect())
                .unwrap_or_default()
        };
        Self {
            main: Vec::new(),
            gates: models_of(Question::Gates),
            length: models_of(Question::Rnn),
            grad_flow: vec![names::RNN.into(), names::LSTM.into()],
        }
    }
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

/// Model names that appear in the results, in first-seen order.
pub fn models_in(results: &StudyResults) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for run in &results.runs {
        if !out.contains(&run.model) {
            out.push(run.model.clone());
        }
    }
    out
}

/// Draws every figure the results support into `dir`, removing older figures of these
/// names that the results no longer support (so the folder never shows stale results).
pub fn write_figures(
    results: &StudyResults,
    plan: &FigurePlan,
    dir: &Path,
) -> anyhow::Result<Vec<FigureFile>> {
    let out = catalog::draw_figures(results, plan, dir)?;
    for name in FIGURE_NAMES
        .iter()
        .filter(|name| !out.iter().any(|f| f.name == **name))
    {
        for ext in ["png", "svg"] {
            let path = dir.join(format!("{name}.{ext}"));
            if path.is_file() {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::canvas::SIZE;
    use super::*;
    use crate::report::fixtures::synthetic;

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
        let plan = FigurePlan::study();
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
