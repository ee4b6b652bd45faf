//! `sentiment-rnn`: the command-line entry point, a thin dispatcher to `sentiment_rnn::cli`.

use clap::{Parser, Subcommand};
use sentiment_rnn::cli::tokenizer::TokenizerCommand;

/// Tokenization and sentiment classification with CNNs, RNNs and LSTMs.
#[derive(Parser, Debug)]
#[command(name = "sentiment-rnn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train, apply and invert the Unigram tokenizer.
    #[command(subcommand)]
    Tokenizer(TokenizerCommand),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Tokenizer(cmd) => sentiment_rnn::cli::tokenizer::run(cmd),
    }
}
