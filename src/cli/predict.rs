//! `sentiment-rnn predict --model DIR [--input FILE] [--probabilities]`: one label (0/1) or
//! positive-class probability per input line, in input order.
//!
//! Every line gets an output line. A line that is empty after normalization (blank,
//! whitespace only, a lone `<br />`) gets the model's prediction for an empty review, the
//! single token `<unk>`, as empty texts are encoded in training.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::read_input_lines;
use crate::saved::SavedModel;
use crate::train::evaluate;

/// Arguments of `predict`.
#[derive(Args, Debug, Clone)]
pub struct PredictArgs {
    /// A model folder written by `train`.
    #[arg(long)]
    pub model: PathBuf,
    /// Read lines from this file instead of stdin.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Print P(positive) with 6 decimals instead of 0/1 labels.
    #[arg(long)]
    pub probabilities: bool,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
}

/// Runs `predict`.
pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.batch_size > 0,
        "--batch-size {}: expected an integer ≥ 1",
        args.batch_size
    );
    let saved = SavedModel::load(&args.model)?;
    let lines = read_input_lines(args.input.as_deref())?;
    let mut probabilities = vec![0.0f32; lines.len()];
    if !lines.is_empty() {
        let ids = saved.encode(&lines)?;
        let ev = evaluate(&saved.model, &saved.batches(&ids, None, args.batch_size)?);
        for (index, probability) in ev.probabilities {
            probabilities[index] = probability;
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for probability in probabilities {
        if args.probabilities {
            writeln!(out, "{probability:.6}")?;
        } else {
            writeln!(out, "{}", u8::from(probability > 0.5))?;
        }
    }
    out.flush()?;
    Ok(())
}
