//! `cargo run --release --bin figures`: runs the study (every model, the baseline and the Yelp
//! hand-in, see `study::runner`), then the report: `figures/` (PNG + SVG, CSVs,
//! `results.json`, `yelp_predictions.txt`) and `REPORT.md`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Parser;
use sentiment_rnn::report::figures::{FigurePlan, write_figures};
use sentiment_rnn::report::markdown::{ReportInputs, write_report};
use sentiment_rnn::study::jobs::default_jobs;
use sentiment_rnn::study::results::StudyResults;
use sentiment_rnn::study::runner::{StudyOptions, run_study};

/// Run the study's experiments and regenerate the figures and REPORT.md.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Seeds per configuration (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0u64, 1, 2])]
    seeds: Vec<u64>,
    /// Epochs per model (overrides the profile's budget).
    #[arg(long)]
    epochs: Option<usize>,
    /// Only these experiments: tokenizer, cnn, rnn, lstm, gates, layers, bidirectional, yelp,
    /// baseline, or their numbers 1–9 (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Train only these models of the selected experiments, by their run-folder names
    /// (e.g. `--models lstm,bilstm-max`; comma-separated).
    #[arg(long, value_delimiter = ',')]
    models: Vec<String>,
    /// A small subset, small models and few epochs: finishes in a few minutes (one seed
    /// unless --seeds is given).
    #[arg(long)]
    quick: bool,
    /// Output folder; REPORT.md goes inside it. Default: figures/ with REPORT.md at the root.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// The run cache (finished runs are reused).
    #[arg(long, default_value = "runs")]
    runs_dir: PathBuf,
    /// Data root (default: env SENTIMENT_RNN_DATA, else ./datasets).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A JSON object merged over the profile's settings (any subset of the fields of
    /// `StudySettings`, e.g. `{"augment": {"sentence_pieces": true}}`).
    #[arg(long)]
    settings: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
    /// Training runs at once (default: 2 where there are 2 cores or more). One run keeps about
    /// 1.5 cores busy; results do not depend on this.
    #[arg(long)]
    jobs: Option<usize>,
    /// Train nothing: redraw the figures and REPORT.md from the `results.json` of an earlier
    /// run in the output folder (picking up newer benchmark files); the run's numbers, command
    /// and wall time are kept.
    #[arg(long)]
    report_only: bool,
}

/// Writes `results.json` and the CSVs into `out_dir`, then the figures and the report.
fn write_outputs(results: &StudyResults, out_dir: &Path, report_path: &Path) -> anyhow::Result<()> {
    results.save(out_dir)?;
    let plan = FigurePlan::study();
    let figures = write_figures(results, &plan, out_dir)?;
    let inputs = ReportInputs {
        figures,
        ..Default::default()
    }
    .with_side_files(out_dir);
    write_report(results, &inputs, report_path)?;
    eprintln!(
        "[figures] wrote {} and {}",
        out_dir.display(),
        report_path.display()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    sentiment_rnn::cpu::configure();
    let args = Args::parse();
    let seeds_given = std::env::args().any(|a| a == "--seeds" || a.starts_with("--seeds="));
    let seeds = if args.quick && !seeds_given {
        vec![0]
    } else {
        args.seeds
    };
    let (out_dir, report_path) = match args.out_dir {
        Some(d) => (d.clone(), d.join("REPORT.md")),
        None => (PathBuf::from("figures"), PathBuf::from("REPORT.md")),
    };
    let command = std::iter::once("cargo run --release --bin figures --".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let command = command.trim_end_matches(" --").to_string();
    if args.report_only {
        let results = StudyResults::load(&out_dir)?;
        return write_outputs(&results, &out_dir, &report_path);
    }
    let options = StudyOptions {
        seeds,
        epochs: args.epochs,
        only: args.only,
        models: args.models,
        quick: args.quick,
        out_dir: out_dir.clone(),
        runs_dir: args.runs_dir,
        data_dir: args.data_dir,
        quiet: args.quiet,
        jobs: args.jobs.unwrap_or_else(default_jobs),
        settings: args.settings,
        command,
    };
    let start = Instant::now();
    let mut results = run_study(&options)?;
    let report_start = Instant::now();
    write_outputs(&results, &out_dir, &report_path)?;
    // The report cannot contain its own time: results.json gets it afterwards.
    if let Some(mut timing) = results.meta.timing.take() {
        timing.report_seconds = report_start.elapsed().as_secs_f64();
        timing.total_seconds = start.elapsed().as_secs_f64();
        eprintln!(
            "[figures] where the time went (seconds):\n{}",
            timing.table()
        );
        results.meta.timing = Some(timing);
        results.save_json(&out_dir)?;
    }
    eprintln!(
        "[figures] done in {:.1} min",
        results.meta.wall_seconds / 60.0
    );
    Ok(())
}
