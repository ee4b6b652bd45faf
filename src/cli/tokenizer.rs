//! `tokenizer train | encode | decode` subcommands.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::data::files::{Corpus, read_lines};
use crate::data::root::data_root;
use crate::tokenizer::unigram::piece_trainer::TrainProgress;
use crate::tokenizer::{Tokenizer, TokenizerTrainConfig};

/// The tokenizer subcommands.
#[derive(clap::Subcommand, Debug, Clone, PartialEq)]
pub enum TokenizerCommand {
    /// Train a Unigram tokenizer and save it as HuggingFace `tokenizer.json`.
    Train {
        /// Text files, one text per line (CSV-quoted when it contains `"`); default: IMDb/train/
        /// positive and negative under the data directory.
        files: Vec<PathBuf>,
        /// Data directory (default: env SENTIMENT_RNN_DATA, else `datasets/`).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Total vocabulary size: 4 specials + 256 byte pieces + learned pieces.
        #[arg(long, default_value_t = 30_000)]
        vocab_size: usize,
        /// Where to write the tokenizer.
        #[arg(long, short, default_value = "tokenizer.json")]
        output: PathBuf,
    },
    /// Encode text given as arguments (one text), or else each line of stdin.
    Encode {
        /// The tokenizer file.
        #[arg(long, short)]
        tokenizer: PathBuf,
        /// The text (joined with spaces); read stdin line by line when absent.
        text: Vec<String>,
        /// Print ids (the default).
        #[arg(long)]
        ids: bool,
        /// Print tokens (with --ids too: ids first, then tokens).
        #[arg(long)]
        tokens: bool,
    },
    /// Decode ids given as arguments (one sequence), or else each line of stdin.
    Decode {
        /// The tokenizer file.
        #[arg(long, short)]
        tokenizer: PathBuf,
        /// Token ids; read stdin (one whitespace-separated sequence per line) when absent.
        ids: Vec<u32>,
        /// Leave out special tokens.
        #[arg(long)]
        skip_special_tokens: bool,
    },
}

/// Runs one tokenizer subcommand.
pub fn run(cmd: TokenizerCommand) -> anyhow::Result<()> {
    match cmd {
        TokenizerCommand::Train {
            files,
            data_dir,
            vocab_size,
            output,
        } => train(files, data_dir, vocab_size, &output),
        TokenizerCommand::Encode {
            tokenizer,
            text,
            ids,
            tokens,
        } => {
            let tok = load(&tokenizer)?;
            let (show_ids, show_tokens) = (ids || !tokens, tokens);
            let mut out = std::io::stdout().lock();
            let mut emit = |t: &str| -> anyhow::Result<()> {
                if t.is_empty() {
                    return Ok(writeln!(out)?);
                }
                let enc = tok.encode(t)?;
                if show_ids {
                    let ids: Vec<String> = enc.input_ids.iter().map(u32::to_string).collect();
                    writeln!(out, "{}", ids.join(" "))?;
                }
                if show_tokens {
                    let toks: Vec<String> = enc
                        .tokens
                        .iter()
                        .map(|t| t.escape_debug().to_string())
                        .collect();
                    writeln!(out, "{}", toks.join(" "))?;
                }
                Ok(())
            };
            if text.is_empty() {
                super::for_each_stdin_line(|number, line| {
                    emit(line).with_context(|| format!("stdin line {number}"))
                })?;
            } else {
                emit(&text.join(" "))?;
            }
            Ok(())
        }
        TokenizerCommand::Decode {
            tokenizer,
            ids,
            skip_special_tokens,
        } => {
            let tok = load(&tokenizer)?;
            let mut out = std::io::stdout().lock();
            if !ids.is_empty() {
                writeln!(out, "{}", tok.decode(&ids, skip_special_tokens)?)?;
                return Ok(());
            }
            super::for_each_stdin_line(|number, line| {
                let ids = line
                    .split_whitespace()
                    .map(|w| w.parse::<u32>())
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(|| format!("stdin line {number}: expected token ids"))?;
                let text = tok
                    .decode(&ids, skip_special_tokens)
                    .with_context(|| format!("stdin line {number}"))?;
                Ok(writeln!(out, "{text}")?)
            })?;
            Ok(())
        }
    }
}

fn load(path: &Path) -> anyhow::Result<Tokenizer> {
    Ok(Tokenizer::from_file(path)?)
}

fn train(
    files: Vec<PathBuf>,
    data_dir: Option<PathBuf>,
    vocab_size: usize,
    output: &Path,
) -> anyhow::Result<()> {
    let texts = if files.is_empty() {
        data_root(data_dir.as_deref())
            .labeled(Corpus::ImdbTrain)?
            .texts
    } else {
        let mut texts = Vec::new();
        for f in &files {
            texts.extend(read_lines(f)?.texts);
        }
        texts
    };
    if texts.is_empty() {
        bail!("no texts in {files:?}");
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {msg}",
    )?);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar.set_message(format!("counting words of {} texts", texts.len()));
    let cfg = TokenizerTrainConfig {
        vocab_size,
        ..Default::default()
    };
    let progress = |p: TrainProgress| {
        bar.set_message(format!(
            "{:?} round {} step {}: {} pieces (target {}), objective {:.4}",
            p.stage, p.round, p.sub_iteration, p.pieces, p.target, p.objective
        ));
    };
    let tok = Tokenizer::train(&texts, &cfg, &progress)?;
    bar.finish_and_clear();
    tok.save(output)?;
    eprintln!(
        "trained {} ids on {} texts → {}",
        tok.vocab_size(),
        texts.len(),
        output.display()
    );
    Ok(())
}
