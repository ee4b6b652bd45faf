//! `sentiment-rnn train --config cfg.json`: trains one model and saves it as a folder
//! (`model.json`, `tokenizer.json`, `model.safetensors`, metrics CSVs) that `eval` and
//! `predict` load.

use std::path::PathBuf;

use clap::Args;
use dfdx::prelude::*;

use crate::data::{Corpus, DataLoader, LoaderConfig, TextNormalizer, data_root, stratified_split};
use crate::nn::classifier::Classifier;
use crate::saved::{ModelMeta, RunConfig, SavedModel};
use crate::study::prepare::train_tokenizer;
use crate::tokenizer::Tokenizer;
use crate::train::checkpoint::Checkpoint;
use crate::train::{Trainer, evaluate};

/// Arguments of `train`.
#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// JSON with `model` (required), `train` and `data` sections.
    #[arg(long)]
    pub config: PathBuf,
    /// Folder the trained model is written to.
    #[arg(long, default_value = "model")]
    pub out: PathBuf,
    /// Data root (default: env SENTIMENT_RNN_DATA, else ./datasets).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs `train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let cfg = RunConfig::from_file(&args.config)?;
    let root = data_root(args.data_dir.as_deref());
    let norm = TextNormalizer::yelp_style();
    let course = root.labeled(Corpus::ImdbTrain)?;
    let split = stratified_split(&course.labels, cfg.data.val_fraction, cfg.data.split_seed);
    let texts = |idx: &[usize]| -> Vec<String> {
        idx.iter()
            .map(|&i| norm.normalize(&course.texts[i]))
            .collect()
    };
    let labels = |idx: &[usize]| -> Vec<usize> { idx.iter().map(|&i| course.labels[i]).collect() };
    let (train_texts, train_labels) = (texts(&split.train), labels(&split.train));
    let (val_texts, val_labels) = (texts(&split.valid), labels(&split.valid));
    let tokenizer = match &cfg.data.tokenizer {
        Some(p) => Tokenizer::from_file(p)?,
        None => {
            eprintln!(
                "training a {}-piece tokenizer on {} reviews",
                cfg.data.vocab_size,
                train_texts.len()
            );
            train_tokenizer(&train_texts, cfg.data.vocab_size)?
        }
    };
    std::fs::create_dir_all(&args.out)?;
    tokenizer.save(args.out.join("tokenizer.json"))?;
    let mut meta = ModelMeta {
        model: cfg.model.clone(),
        max_len: cfg.data.max_len,
        normalizer: TextNormalizer::none(),
        val_accuracy: 0.0,
        test_accuracy: 0.0,
    };
    let dev = Cpu::seed_from_u64(cfg.train.seed);
    let mut model = Classifier::<f32, Cpu>::new(&cfg.model, tokenizer.vocab_size(), &dev)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let saved = SavedModel {
        meta: meta.clone(),
        tokenizer,
        model: model.clone(),
    };
    // Texts are already normalized here; `meta.normalizer` is set to the real one on save.
    let train_ids = saved.encode(&train_texts)?;
    let val_ids = saved.encode(&val_texts)?;
    model.init_ngrams(&train_ids, &train_labels);
    let loader = DataLoader::new(
        &train_ids,
        Some(&train_labels),
        LoaderConfig {
            batch_size: cfg.train.batch_size,
            max_len: cfg.data.max_len,
            pad_id: saved.tokenizer.pad_id(),
            seed: cfg.train.seed,
            ..LoaderConfig::default()
        },
    )?;
    let val = saved.batches(&val_ids, Some(&val_labels), cfg.train.batch_size)?;
    let trainer = Trainer {
        config: cfg.train.clone(),
        quiet: args.quiet,
        label: format!("{:?}", cfg.model.kind).to_lowercase(),
        log_dir: Some(args.out.clone()),
        checkpoint: Some(Checkpoint::new(args.out.join("ckpt"))),
    };
    let out = trainer.fit(
        &mut model,
        |e| Ok::<_, std::convert::Infallible>(loader.epoch(e as u64)),
        &val,
    )?;
    let test = root.labeled(Corpus::ImdbTest)?;
    let test_ids = saved.encode(
        &test
            .texts
            .iter()
            .map(|t| norm.normalize(t))
            .collect::<Vec<_>>(),
    )?;
    let test_acc = evaluate(
        &model,
        &saved.batches(&test_ids, Some(&test.labels), cfg.train.batch_size)?,
    )
    .accuracy;
    meta.normalizer = norm;
    meta.val_accuracy = out.best_val_accuracy;
    meta.test_accuracy = test_acc;
    crate::train::checkpoint::save_weights(&model, &args.out.join("model.safetensors"))?;
    std::fs::write(
        args.out.join("model.json"),
        serde_json::to_string_pretty(&meta)?,
    )?;
    println!(
        "best epoch {} of {}: validation accuracy {:.2}%, test accuracy {:.2}%, {:.1}s; saved to {}",
        out.best_epoch,
        cfg.train.epochs,
        out.best_val_accuracy * 100.0,
        test_acc * 100.0,
        out.seconds,
        args.out.display()
    );
    Ok(())
}
