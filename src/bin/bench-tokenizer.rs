//! Tokenizer benchmark: trains our Unigram on the IMDb course train split (30000 pieces in
//! all), then measures test-split bits/char and, through the `Tokenizer` API, encoding
//! throughput and round trips over train+test.
//!
//! `cargo run --release --bin bench-tokenizer -- --json [--data-dir D] [--threads N] [--out F]`
//! The last line printed is one JSON object, also written to `--out`
//! (default `figures/bench_tokenizer.json`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use sentiment_rnn::tokenizer::normalizer::{Normalizer, words};
use sentiment_rnn::tokenizer::unigram::trainer::{TrainerConfig, train};

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

/// Distinct normalized words with counts, sorted (deterministic).
fn word_counts(texts: &[String], norm: &Normalizer) -> Vec<(String, u64)> {
    let mut counts: HashMap<String, u64> = HashMap::new();
    for t in texts {
        let n = norm.normalize(t);
        for w in words(&n) {
            match counts.get_mut(w) {
                Some(c) => *c += 1,
                None => {
                    counts.insert(w.to_string(), 1);
                }
            }
        }
    }
    let mut v: Vec<_> = counts.into_iter().collect();
    v.sort_unstable();
    v
}

/// Bits per character of `texts` under the Viterbi segmentation with `pieces` (scores
/// renormalized to probabilities). Characters no piece covers are counted as unknown and
/// cost nothing here.
fn bits_per_char(texts: &[String], norm: &Normalizer, pieces: &[(String, f64)]) -> (f64, usize) {
    let log_z = {
        let m = pieces.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
        m + pieces.iter().map(|p| (p.1 - m).exp()).sum::<f64>().ln()
    };
    let max_len = pieces
        .iter()
        .map(|p| p.0.chars().count())
        .max()
        .unwrap_or(1);
    let map: HashMap<&str, f64> = pieces
        .iter()
        .map(|(p, s)| (p.as_str(), s - log_z))
        .collect();
    let (mut nats, mut chars, mut unknown) = (0.0, 0usize, 0usize);
    let mut bounds = Vec::new();
    let mut best = Vec::new();
    for t in texts {
        chars += t.chars().count();
        let n = norm.normalize(t);
        for w in words(&n) {
            bounds.clear();
            bounds.extend(w.char_indices().map(|(i, _)| i));
            bounds.push(w.len());
            let len = bounds.len() - 1;
            best.clear();
            best.resize(len + 1, f64::NEG_INFINITY);
            best[0] = 0.0;
            for s in 0..len {
                if best[s] == f64::NEG_INFINITY {
                    continue;
                }
                let mut matched = false;
                for e in s + 1..=len.min(s + max_len) {
                    if let Some(&lp) = map.get(&w[bounds[s]..bounds[e]]) {
                        matched |= e == s + 1;
                        best[e] = best[e].max(best[s] + lp);
                    }
                }
                if !matched {
                    unknown += 1;
                    best[s + 1] = best[s + 1].max(best[s]);
                }
            }
            nats -= best[len];
        }
    }
    (nats / std::f64::consts::LN_2 / chars as f64, unknown)
}

fn main() -> Result<()> {
    let args = Args::parse();
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build_global()?;
    let root = data_root(args.data_dir);
    let train_texts = read_split(&root, "train")?;
    let test_texts = read_split(&root, "test")?;
    let norm = Normalizer::default();

    let mut cfg = TrainerConfig {
        vocab_size: args.vocab_size - SPECIALS - BYTE_PIECES,
        ..TrainerConfig::default()
    };
    if let Some(v) = args.sub_iterations {
        cfg.num_sub_iterations = v;
    }
    if let Some(v) = args.final_em {
        cfg.final_em_iterations = v;
    }
    if let Some(v) = args.overshoot {
        cfg.overshoot = v;
    }
    let t0 = Instant::now();
    let counts = word_counts(&train_texts, &norm);
    let t_count = t0.elapsed().as_secs_f64();
    let pieces = train(&counts, &cfg, &|p| {
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
    })?;
    let train_seconds = t0.elapsed().as_secs_f64();
    eprintln!(
        "word counting {t_count:.3}s, {} distinct words",
        counts.len()
    );

    let (bpc, unknown) = bits_per_char(&test_texts, &norm, &pieces);
    let out = serde_json::json!({
        "train_seconds": (train_seconds * 1000.0).round() / 1000.0,
        "train_threads": threads,
        "vocab_size": pieces.len() + SPECIALS + BYTE_PIECES,
        "normal_pieces": pieces.len(),
        "bits_per_char_test": (bpc * 10000.0).round() / 10000.0,
        "unknown_chars_test": unknown,
    });
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, format!("{out}\n"))?;
    if args.json {
        println!("{out}");
    }
    Ok(())
}
