//! `sentiment-rnn predict --model DIR [--input FILE] [--probabilities]`: one label (0/1) or
//! positive-class probability per input line, in input order.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

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
    anyhow::ensure!(args.batch_size > 0, "--batch-size: expected an integer ≥ 1");
    let saved = SavedModel::load(&args.model)?;
    let lines: Vec<String> = match &args.input {
        Some(p) => std::fs::read_to_string(p)
            .with_context(|| format!("cannot read {}", p.display()))?
            .lines()
            .map(str::to_string)
            .collect(),
        None => std::io::stdin()
            .lock()
            .lines()
            .collect::<Result<_, _>>()
            .context("reading stdin")?,
    };
    let ids = saved.encode(&lines)?;
    let ev = evaluate(&saved.model, &saved.batches(&ids, None, args.batch_size)?);
    let mut prob = vec![0.0f32; lines.len()];
    for (i, p) in ev.probabilities {
        prob[i] = p;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for p in prob {
        if args.probabilities {
            writeln!(out, "{p:.6}")?;
        } else {
            writeln!(out, "{}", u8::from(p > 0.5))?;
        }
    }
    Ok(())
}
