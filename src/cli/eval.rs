//! `sentiment-rnn eval --model DIR`: accuracy and loss of a trained model on a labeled split.
//! Every review is scored; one that is empty after normalization is scored as the empty
//! review `[<unk>]` (see [`crate::saved::SavedModel::encode`]).

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::data::{Corpus, data_root};
use crate::saved::SavedModel;
use crate::train::evaluate;

/// Which labeled data to evaluate on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Split {
    /// The course IMDb test split.
    Test,
    /// The labeled Yelp/dev sentences.
    YelpDev,
}

/// Arguments of `eval`.
#[derive(Args, Debug, Clone)]
pub struct EvalArgs {
    /// A model folder written by `train`.
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long, value_enum, default_value_t = Split::Test)]
    pub split: Split,
    /// Data root (default: env SENTIMENT_RNN_DATA, else ./datasets); it must exist.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
}

/// Runs `eval`.
pub fn run(args: EvalArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.batch_size > 0,
        "--batch-size {}: expected an integer ≥ 1",
        args.batch_size
    );
    let saved = SavedModel::load(&args.model)?;
    let root = data_root(args.data_dir.as_deref());
    let corpus = match args.split {
        Split::Test => Corpus::ImdbTest,
        Split::YelpDev => Corpus::YelpDev,
    };
    let data = root.labeled(corpus)?;
    let ids = saved.encode(&data.texts)?;
    let ev = evaluate(
        &saved.model,
        &saved.batches(&ids, Some(&data.labels), args.batch_size)?,
    );
    writeln!(
        std::io::stdout().lock(),
        "{:?}: {} texts, accuracy {:.2}%, loss {:.4}",
        args.split,
        data.len(),
        ev.accuracy * 100.0,
        ev.loss
    )?;
    Ok(())
}
