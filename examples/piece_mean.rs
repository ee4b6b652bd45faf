//! Scores finished study runs on IMDb test two ways: whole reviews (the study's protocol)
//! and the mean P(positive) over each review's ≤40-word pieces (the training distribution).
//!
//! `cargo run --release --example piece_mean -- runs/bilstm-attention-seed2-* ...`

use std::path::PathBuf;

use anyhow::Context;
use dfdx::prelude::*;
use sentiment_rnn::data::augment::grouped_sentence_pieces;
use sentiment_rnn::data::{Corpus, DataLoader, LoaderConfig, YelpStyleNormalizer, data_root};
use sentiment_rnn::nn::classifier::Classifier;
use sentiment_rnn::study::experiments::{model_config, names};
use sentiment_rnn::study::runner::slug;
use sentiment_rnn::study::settings::StudySettings;
use sentiment_rnn::tokenizer::Tokenizer;
use sentiment_rnn::train::checkpoint::load_weights;
use sentiment_rnn::train::evaluate;

fn main() -> anyhow::Result<()> {
    let s = StudySettings::full();
    let tok_path = std::fs::read_dir("runs")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.extension().is_some_and(|x| x == "json") && p.to_string_lossy().contains("tokenizer-")
        })
        .context("no runs/tokenizer-*.json")?;
    let tok = Tokenizer::from_file(&tok_path)?;
    let norm = YelpStyleNormalizer::yelp_style();
    let test = data_root(None).labeled(Corpus::ImdbTest)?;
    let encode = |texts: &[String]| tok.encode_batch_for_model(texts, None);
    let whole: Vec<String> = test.texts.iter().map(|t| norm.normalize(t)).collect();
    let whole_ids = encode(&whole)?;
    let pieces = grouped_sentence_pieces(&test.texts, &test.labels, &norm, s.augment.piece_words);
    let piece_ids = encode(&pieces.texts)?;
    let cfg = LoaderConfig {
        batch_size: 128,
        max_len: s.max_len,
        pad_id: tok.pad_id(),
        shuffle: false,
        ..LoaderConfig::default()
    };
    let all = [
        names::CNN,
        names::RNN,
        names::LSTM,
        names::fixed_gate::FORGET,
        names::fixed_gate::INPUT,
        names::fixed_gate::OUTPUT,
        names::LSTM_2,
        names::bilstm::CONCAT,
        names::bilstm::MEAN,
        names::bilstm::MAX,
        names::bilstm::ATTENTION,
    ];
    for dir in std::env::args().skip(1).map(PathBuf::from) {
        let folder = dir.file_name().unwrap().to_string_lossy().to_string();
        let name = all
            .iter()
            .copied()
            .find(|n| folder.starts_with(&format!("{}-seed", slug(n))))
            .with_context(|| format!("{folder}: unknown model"))?;
        let mcfg = model_config(name, &s).unwrap();
        let mut model = Classifier::<f32, Cpu>::new(&mcfg, tok.vocab_size(), &Cpu::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        load_weights(&mut model, &dir.join("ckpt/best.safetensors"))?;
        let w = evaluate(
            &model,
            &DataLoader::new(&whole_ids, Some(&test.labels), cfg.clone())?.eval_batches(),
        );
        let p = evaluate(
            &model,
            &DataLoader::new(&piece_ids, None, cfg.clone())?.eval_batches(),
        );
        let mut probs = vec![0.5; piece_ids.len()];
        for (i, q) in p.probabilities {
            probs[i] = q;
        }
        let review_p = pieces.mean_per_review(&probs, test.len());
        let hits = review_p
            .iter()
            .zip(&test.labels)
            .filter(|(q, l)| usize::from(**q > 0.5) == **l)
            .count();
        println!(
            "{folder}: whole {:.2}%, piece mean {:.2}%",
            w.accuracy * 100.0,
            hits as f64 * 100.0 / test.len() as f64
        );
    }
    Ok(())
}
