//! Tokenizer benchmark: trains our Unigram on the IMDb course train split (30000 pieces in
//! all), then measures test-split bits/char and, through the `Tokenizer` API, encoding
//! throughput and round trips over train+test.
//!
//! `cargo run --release --bin bench-tokenizer -- --json [--data-dir D] [--threads N] [--out F]`
//! The last line printed is one JSON object, also written to `--out`
//! (default `figures/bench_tokenizer.json`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use sentiment_rnn::tokenizer::unigram::piece_trainer::{PieceTrainerConfig, TrainProgress};
use sentiment_rnn::tokenizer::{
    EncodeOptions, Normalizer, PieceKind, ScoreAccumulation, SpecialTokens, Tokenizer,
    TokenizerTrainConfig,
};

/// Specials (`<unk>`, `<s>`, `</s>`, `<pad>`) and byte-fallback pieces the model adds.
const SPECIALS: usize = 4;
const BYTE_PIECES: usize = 256;

#[derive(Parser)]
#[command(about = "Benchmark our Unigram tokenizer on IMDb")]
struct Args {
    /// Print the result as one JSON object (always the last line).
    #[arg(long)]
    json: bool,
    /// Data root (else $SENTIMENT_RNN_DATA, else ./datasets).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Total vocabulary size, specials and byte pieces included.
    #[arg(long, default_value_t = 30000)]
    vocab_size: usize,
    /// EM steps before each pruning round.
    #[arg(long)]
    sub_iterations: Option<usize>,
    /// EM steps on the final vocabulary.
    #[arg(long)]
    final_em: Option<usize>,
    /// Pruning stops at vocab × overshoot.
    #[arg(long)]
    overshoot: Option<f64>,
    /// Fraction of pieces each pruning round keeps.
    #[arg(long)]
    shrinking_factor: Option<f64>,
    /// Stop after training (for profiling the trainer); prints the training time only.
    #[arg(long)]
    train_only: bool,
    /// Instead of training, take the normal pieces of a SentencePiece vocabulary in the
    /// oracle's JSONL format (`[id, piece, score, type]` per line), to compare bits/char.
    #[arg(long)]
    pieces_jsonl: Option<PathBuf>,
    /// Where to write the JSON object.
    #[arg(long, default_value = "figures/bench_tokenizer.json")]
    out: PathBuf,
}

fn data_root(flag: Option<PathBuf>) -> PathBuf {
    flag.or_else(|| std::env::var_os("SENTIMENT_RNN_DATA").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("datasets"))
}

/// Reads one text per line; a line starting with `"` is CSV-quoted (inner quotes doubled).
fn read_texts(path: &Path) -> Result<Vec<String>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in raw.split('\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix('"') {
            let Some(inner) = rest.strip_suffix('"') else {
                bail!(
                    "{}:{}: quoted text without a closing quote",
                    path.display(),
                    i + 1
                );
            };
            out.push(inner.replace("\"\"", "\""));
        } else {
            out.push(line.to_string());
        }
    }
    Ok(out)
}

fn read_split(root: &Path, split: &str) -> Result<Vec<String>> {
    let mut texts = read_texts(&root.join("IMDb").join(split).join("positive"))?;
    texts.extend(read_texts(&root.join("IMDb").join(split).join("negative"))?);
    Ok(texts)
}

/// Bits per character of `texts` given their encodings: −Σ log2 p(piece) / characters,
/// with normal-piece scores renormalized to probabilities. A byte-fallback piece (for a
/// character no piece covers) is charged like the rarest normal piece: its model score is
/// only a "last resort" penalty, not a probability.
fn bits_per_char(tok: &Tokenizer, texts: &[String], encodings: &[Vec<u32>]) -> f64 {
    let normal: Vec<f64> = tok
        .model()
        .pieces()
        .iter()
        .filter(|p| p.kind == PieceKind::Normal)
        .map(|p| p.score)
        .collect();
    let max = normal.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = normal.iter().copied().fold(f64::INFINITY, f64::min);
    let log_z = max + normal.iter().map(|s| (s - max).exp()).sum::<f64>().ln();
    let mut nats = 0.0;
    for ids in encodings {
        for &id in ids {
            let p = tok
                .model()
                .piece(id)
                .expect("encoded id is in the vocabulary");
            let score = if p.kind == PieceKind::Normal {
                p.score
            } else {
                min
            };
            nats -= score - log_z;
        }
    }
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    nats / std::f64::consts::LN_2 / chars as f64
}

/// The normal pieces of a vocabulary in SentencePiece oracle JSONL format.
fn read_pieces_jsonl(path: &Path) -> Result<Vec<(String, f64)>> {
    let raw =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in raw.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let (_, piece, score, kind): (u32, String, f64, String) = serde_json::from_str(line)
            .with_context(|| {
                format!(
                    "{}:{}: expected [id, piece, score, type]",
                    path.display(),
                    i + 1
                )
            })?;
        if kind == "normal" {
            out.push((piece, score));
        }
    }
    Ok(out)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    sentiment_rnn::cpu::configure_with_threads(threads)?;
    let root = data_root(args.data_dir.clone());
    let train_texts = read_split(&root, "train")?;
    let test_texts = read_split(&root, "test")?;
    let (tok, train_seconds) = tokenizer(&args, &train_texts)?;
    if args.train_only {
        println!("{}", serde_json::json!({ "train_seconds": train_seconds }));
        return Ok(());
    }
    let mut out = encoding_measures(&tok, &train_texts, &test_texts, threads)?;
    out["train_seconds"] = round(train_seconds, 3).into();
    out["train_threads"] = threads.into();
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, format!("{out}\n"))?;
    if args.json {
        println!("{out}");
    }
    Ok(())
}

/// The piece trainer's defaults, with the flags given and the normal-piece budget that
/// `--vocab-size` leaves.
fn piece_trainer_config(args: &Args) -> PieceTrainerConfig {
    let mut cfg = PieceTrainerConfig {
        vocab_size: args.vocab_size - SPECIALS - BYTE_PIECES,
        ..PieceTrainerConfig::default()
    };
    if let Some(v) = args.sub_iterations {
        cfg.num_sub_iterations = v;
    }
    if let Some(v) = args.final_em {
        cfg.final_em_iterations = v;
    }
    if let Some(v) = args.shrinking_factor {
        cfg.shrinking_factor = v;
    }
    if let Some(v) = args.overshoot {
        cfg.overshoot = v;
    }
    cfg
}

/// Our tokenizer trained on `train_texts` through the public pipeline (word counting, the
/// trainer, the vocabulary layout; progress on stderr), or built from `--pieces-jsonl`; and
/// the seconds it took.
fn tokenizer(args: &Args, train_texts: &[String]) -> Result<(Tokenizer, f64)> {
    let cfg = piece_trainer_config(args);
    let t0 = Instant::now();
    let progress = |p: TrainProgress| {
        eprintln!(
            "[{:7.3}s] {:?} round {} iter {}: {} pieces (target {}), obj {:.4}",
            t0.elapsed().as_secs_f64(),
            p.stage,
            p.round,
            p.sub_iteration,
            p.pieces,
            p.target,
            p.objective
        )
    };
    let tok = match &args.pieces_jsonl {
        None => Tokenizer::train(
            train_texts,
            &TokenizerTrainConfig {
                vocab_size: args.vocab_size,
                piece_trainer: cfg,
                ..TokenizerTrainConfig::default()
            },
            &progress,
        )?,
        Some(path) => Tokenizer::from_pieces(
            read_pieces_jsonl(path)?,
            SpecialTokens::default(),
            Normalizer::default(),
            ScoreAccumulation::default(),
        )?,
    };
    Ok((tok, t0.elapsed().as_secs_f64()))
}

/// `x` rounded to `digits` decimals.
fn round(x: f64, digits: i32) -> f64 {
    (x * 10f64.powi(digits)).round() / 10f64.powi(digits)
}

/// Encoding throughput over train+test with a fresh tokenizer (empty word cache), on all
/// threads and on one; unknown and byte-fallback tokens, exact round trips, and the test
/// split's bits per character.
fn encoding_measures(
    tok: &Tokenizer,
    train_texts: &[String],
    test_texts: &[String],
    threads: usize,
) -> Result<serde_json::Value> {
    let all: Vec<String> = train_texts.iter().chain(test_texts).cloned().collect();
    let mb = all.iter().map(String::len).sum::<usize>() as f64 / 1e6;
    let opts = EncodeOptions::default();
    // `Clone` gives a tokenizer with an empty word cache.
    let fresh = || tok.clone();
    let enc_tok = fresh();
    let t1 = Instant::now();
    let encodings = enc_tok.encode_batch_ids(&all, &opts)?;
    let encode_seconds = t1.elapsed().as_secs_f64();
    let single = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let one_tok = fresh();
    let t2 = Instant::now();
    single.install(|| one_tok.encode_batch_ids(&all, &opts))?;
    let encode_seconds_1 = t2.elapsed().as_secs_f64();

    let unk = tok.unk_id();
    let unknown_tokens = encodings.iter().flatten().filter(|&&id| id == unk).count();
    let byte_tokens = encodings
        .iter()
        .flatten()
        .filter(|&&id| {
            tok.model()
                .piece(id)
                .is_some_and(|p| p.kind == PieceKind::Byte)
        })
        .count();
    let mut roundtrip_exact = 0;
    for (text, ids) in all.iter().zip(&encodings) {
        if tok.decode(ids, false)? == *text {
            roundtrip_exact += 1;
        }
    }
    let bpc = bits_per_char(tok, test_texts, &encodings[train_texts.len()..]);
    let tokens: usize = encodings.iter().map(Vec::len).sum();
    Ok(serde_json::json!({
        "vocab_size": tok.vocab_size(),
        "normal_pieces": tok.vocab_size() - SPECIALS - BYTE_PIECES,
        "corpus_mb": round(mb, 3),
        "encode_mb_per_s": round(mb / encode_seconds, 3),
        "encode_threads": threads,
        "encode_mb_per_s_1thread": round(mb / encode_seconds_1, 3),
        "tokens": tokens,
        "bits_per_char_test": round(bpc, 4),
        "unknown_tokens": unknown_tokens,
        "byte_fallback_tokens": byte_tokens,
        "roundtrip_exact": roundtrip_exact,
        "roundtrip_total": all.len(),
    }))
}
