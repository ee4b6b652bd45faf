//! `sentiment-rnn`: the command-line entry point, a thin dispatcher to `sentiment_rnn::cli`.

use clap::{Parser, Subcommand};
use sentiment_rnn::cli::is_broken_pipe;
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
    /// Train one classifier from a JSON config and save it as a model folder.
    Train(sentiment_rnn::cli::train::TrainArgs),
    /// Accuracy of a saved model on a labeled split.
    Eval(sentiment_rnn::cli::eval::EvalArgs),
    /// Labels or probabilities for lines on stdin or in a file.
    Predict(sentiment_rnn::cli::predict::PredictArgs),
}

/// Runs the command; a closed output pipe (`| head`) ends it quietly with status 0, any other
/// error is printed with its causes and gives status 1.
fn main() -> std::process::ExitCode {
    sentiment_rnn::cpu::configure();
    let result = match Cli::parse().command {
        Command::Tokenizer(cmd) => sentiment_rnn::cli::tokenizer::run(cmd),
        Command::Train(args) => sentiment_rnn::cli::train::run(args),
        Command::Eval(args) => sentiment_rnn::cli::eval::run(args),
        Command::Predict(args) => sentiment_rnn::cli::predict::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("Error: {err:?}");
            std::process::ExitCode::FAILURE
        }
    }
}
