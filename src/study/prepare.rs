//! Data for a study: load, normalize, split, train (or reuse) the tokenizer, encode.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use sha2::{Digest, Sha256};

use super::results::TokenizerStats;
use super::settings::StudySettings;
use crate::data::augment::{Pieces, grouped_sentence_pieces};
use crate::data::{Corpus, DataRoot, YelpStyleNormalizer, stratified_split};
use crate::tokenizer::{Tokenizer, TokenizerTrainConfig};

/// Encoded reviews of one split with their labels (empty labels for unlabeled text).
#[derive(Clone, Debug, Default)]
pub struct Encoded {
    pub ids: Vec<Vec<u32>>,
    pub labels: Vec<usize>,
    /// The normalized texts (for the TF-IDF baseline).
    pub texts: Vec<String>,
}

/// Everything the runs share.
pub struct Prepared {
    pub tokenizer: Tokenizer,
    /// Whole training reviews (tokenizer statistics, the TF-IDF baseline).
    pub train: Encoded,
    /// What the models are fit on: `train` itself, or its sentence pieces when
    /// [`StudySettings::augment`] asks for them.
    pub fit: Encoded,
    pub val: Encoded,
    pub test: Encoded,
    pub yelp_dev: Encoded,
    /// Every line of `Yelp/reviews.txt`, in order.
    pub yelp_reviews: Encoded,
    pub tokenizer_stats: TokenizerStats,
    /// Seconds this run spent training the tokenizer, or loading it when `tokenizer_cached`.
    pub tokenizer_seconds: f64,
    pub tokenizer_cached: bool,
}

/// A short stable hash of any serializable value, for cache keys.
pub fn short_hash(value: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(value).expect("serializable");
    let d = Sha256::digest(json.as_bytes());
    d.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

/// A stratified random subset of at most `limit` indices (all when `None`), sorted.
fn subset(labels: &[usize], limit: Option<usize>, seed: u64) -> Vec<usize> {
    match limit {
        Some(n) if n < labels.len() => {
            stratified_split(labels, n as f64 / labels.len() as f64, seed).valid
        }
        _ => (0..labels.len()).collect(),
    }
}

/// Trains a Unigram tokenizer of `vocab_size` entries on `texts`.
pub fn train_tokenizer(texts: &[String], vocab_size: usize) -> anyhow::Result<Tokenizer> {
    let cfg = TokenizerTrainConfig {
        vocab_size,
        ..TokenizerTrainConfig::default()
    };
    Ok(Tokenizer::train(texts, &cfg, &|_| {})?)
}

fn encode(tok: &Tokenizer, texts: Vec<String>, labels: Vec<usize>) -> anyhow::Result<Encoded> {
    let ids = tok.encode_batch_for_model(&texts, None)?;
    Ok(Encoded { ids, labels, texts })
}

/// One split's normalized texts and their labels (empty for unlabeled text).
type Labeled = (Vec<String>, Vec<usize>);

/// The study's texts after the shared normalizer, before encoding.
struct Texts {
    train: Labeled,
    /// The training reviews' sentence pieces, when the settings train on them.
    pieces: Option<Pieces>,
    val: Labeled,
    test: Labeled,
    yelp_dev: Labeled,
    yelp_reviews: Vec<String>,
}

/// Loads every split the settings ask for, subsets and splits it, and normalizes it.
fn load_texts(root: &DataRoot, s: &StudySettings) -> anyhow::Result<Texts> {
    let norm = YelpStyleNormalizer::yelp_style();
    let course = root.labeled(Corpus::ImdbTrain)?;
    let keep = subset(&course.labels, s.train_limit, s.split_seed);
    let course = course.subset(&keep);
    let split = stratified_split(&course.labels, s.val_fraction, s.split_seed);
    let pick = |idx: &[usize], texts: &[String], labels: &[usize]| -> Labeled {
        (
            idx.iter().map(|&i| norm.normalize(&texts[i])).collect(),
            idx.iter().map(|&i| labels[i]).collect(),
        )
    };
    let train = pick(&split.train, &course.texts, &course.labels);
    let pieces = s.augment.sentence_pieces.then(|| {
        let raw: Vec<String> = split
            .train
            .iter()
            .map(|&i| course.texts[i].clone())
            .collect();
        grouped_sentence_pieces(&raw, &train.1, &norm, s.augment.piece_words)
    });
    let test = root.labeled(Corpus::ImdbTest)?;
    let dev = root.labeled(Corpus::YelpDev)?;
    let yelp = root.yelp_reviews()?;
    Ok(Texts {
        val: pick(&split.valid, &course.texts, &course.labels),
        test: pick(
            &subset(&test.labels, s.test_limit, s.split_seed),
            &test.texts,
            &test.labels,
        ),
        yelp_dev: pick(
            &subset(&dev.labels, s.yelp_dev_limit, s.split_seed),
            &dev.texts,
            &dev.labels,
        ),
        yelp_reviews: yelp.texts.iter().map(|t| norm.normalize(t)).collect(),
        train,
        pieces,
    })
}

/// The tokenizer trained on the training reviews, from `cache_dir` when an earlier run of
/// the same data and vocabulary saved it; with its training seconds (as first measured) and
/// whether it came from the cache.
fn cached_tokenizer(
    train_texts: &[String],
    s: &StudySettings,
    cache_dir: &Path,
    log: &dyn Fn(&str),
) -> anyhow::Result<(Tokenizer, f64, bool)> {
    let key = short_hash(&(
        s.train_limit,
        s.val_fraction,
        s.split_seed,
        s.vocab_size,
        "tokenizer-v1",
    ));
    let path = cache_dir.join(format!("tokenizer-{key}.json"));
    let seconds_path = cache_dir.join(format!("tokenizer-{key}.seconds"));
    if path.is_file() {
        let secs = std::fs::read_to_string(&seconds_path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0.0);
        let tok = Tokenizer::from_file(&path)
            .with_context(|| format!("cached tokenizer {}", path.display()))?;
        return Ok((tok, secs, true));
    }
    log(&format!(
        "training a {}-piece tokenizer on {} reviews",
        s.vocab_size,
        train_texts.len()
    ));
    let t0 = Instant::now();
    let tok = train_tokenizer(train_texts, s.vocab_size)?;
    let secs = t0.elapsed().as_secs_f64();
    std::fs::create_dir_all(cache_dir)?;
    tok.save(&path)?;
    std::fs::write(&seconds_path, secs.to_string())?;
    Ok((tok, secs, false))
}

/// Loads and encodes the study's data; the tokenizer is cached in `cache_dir`.
pub fn prepare(
    root: &DataRoot,
    s: &StudySettings,
    cache_dir: &Path,
    log: &dyn Fn(&str),
) -> anyhow::Result<Prepared> {
    let texts = load_texts(root, s)?;
    let t0 = Instant::now();
    let (tokenizer, train_seconds, tokenizer_cached) =
        cached_tokenizer(&texts.train.0, s, cache_dir, log)?;
    let tokenizer_seconds = t0.elapsed().as_secs_f64();
    let encode_split = |(texts, labels): Labeled| encode(&tokenizer, texts, labels);
    let train = encode_split(texts.train)?;
    let fit = match texts.pieces {
        Some(p) => encode(&tokenizer, p.texts, p.labels)?,
        None => train.clone(),
    };
    let stats = tokenizer_stats(&tokenizer, &train.ids, s.max_len, train_seconds);
    Ok(Prepared {
        val: encode_split(texts.val)?,
        test: encode_split(texts.test)?,
        yelp_dev: encode_split(texts.yelp_dev)?,
        yelp_reviews: encode(&tokenizer, texts.yelp_reviews, Vec::new())?,
        train,
        fit,
        tokenizer_stats: stats,
        tokenizer,
        tokenizer_seconds,
        tokenizer_cached,
    })
}

/// Question 1's numbers for the encoded training reviews.
pub fn tokenizer_stats(
    tok: &Tokenizer,
    ids: &[Vec<u32>],
    max_len: usize,
    train_seconds: f64,
) -> TokenizerStats {
    let mut lengths: Vec<usize> = ids.iter().map(Vec::len).collect();
    let total: usize = lengths.iter().sum();
    let unk = tok.unk_id();
    let unknown: usize = ids
        .iter()
        .map(|r| r.iter().filter(|&&i| i == unk).count())
        .sum();
    let with_unknown = ids.iter().filter(|r| r.contains(&unk)).count();
    let n = ids.len().max(1);
    let original = lengths.clone();
    lengths.sort_unstable();
    let q = |p: f64| {
        lengths
            .get(((lengths.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    TokenizerStats {
        vocab_size: tok.vocab_size(),
        reviews: ids.len(),
        mean_tokens: total as f64 / n as f64,
        median_tokens: q(0.5),
        p95_tokens: q(0.95),
        max_tokens: lengths.last().copied().unwrap_or(0),
        unknown_rate: unknown as f64 / total.max(1) as f64,
        reviews_with_unknown: with_unknown as f64 / n as f64,
        truncated_fraction: original.iter().filter(|&&l| l > max_len).count() as f64 / n as f64,
        max_len,
        train_seconds,
        lengths: original,
    }
}
