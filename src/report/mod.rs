//! Figures (plotters) and the generated `REPORT.md`.

pub mod figures;
pub mod markdown;

#[cfg(test)]
mod fixtures;
