//! `sentiment-rnn train --config cfg.json`: trains one model and saves it as a folder
//! (`model.json`, `tokenizer.json`, `model.safetensors`, metrics CSVs) that `eval` and
//! `predict` load.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use dfdx::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::{Corpus, DataLoader, LoaderConfig, TextNormalizer, data_root, stratified_split};
use crate::nn::classifier::Classifier;
use crate::nn::config::ModelConfig;
use crate::study::prepare::train_tokenizer;
use crate::tokenizer::{EncodeOptions, Tokenizer};
use crate::train::checkpoint::{Checkpoint, load_weights};
use crate::train::{TrainConfig, Trainer, evaluate};

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

/// Data settings of a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// Vocabulary of the tokenizer trained when `tokenizer` is absent.
    pub vocab_size: usize,
    /// An existing `tokenizer.json` to use instead of training one.
    pub tokenizer: Option<PathBuf>,
    /// Tokens kept per review.
    pub max_len: usize,
    /// Share of the course training reviews held out for validation.
    pub val_fraction: f64,
    /// Seed of the train/validation split.
    pub split_seed: u64,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            vocab_size: 30_000,
            tokenizer: None,
            max_len: 256,
            val_fraction: 0.1,
            split_seed: 0,
        }
    }
}

/// The whole `--config` file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunConfig {
    pub model: ModelConfig,
    pub train: TrainConfig,
    pub data: DataConfig,
}

impl RunConfig {
    /// Parses the config; errors name the section and field and list allowed values.
    pub fn from_json(text: &str) -> anyhow::Result<Self> {
        let v: serde_json::Value =
            serde_json::from_str(text).context("config is not valid JSON")?;
        let obj = v
            .as_object()
            .context("config: expected a JSON object with `model`, `train` and `data`")?;
        if let Some(k) = obj
            .keys()
            .find(|k| !["model", "train", "data"].contains(&k.as_str()))
        {
            anyhow::bail!(
                "config: unknown section `{k}`, expected one of `model`, `train`, `data`"
            );
        }
        let model = obj
            .get("model")
            .context("config: missing section `model` (e.g. {\"kind\": \"lstm\"})")?;
        let model = ModelConfig::from_json(&model.to_string())
            .map_err(|e| anyhow::anyhow!("config section `model`: {e}"))?;
        let train: TrainConfig = match obj.get("train") {
            Some(t) => serde_json::from_value(t.clone())
                .map_err(|e| anyhow::anyhow!("config section `train`: {e}"))?,
            None => TrainConfig::default(),
        };
        train
            .validate()
            .map_err(|e| anyhow::anyhow!("config section `train`: {e}"))?;
        let data: DataConfig = match obj.get("data") {
            Some(d) => serde_json::from_value(d.clone())
                .map_err(|e| anyhow::anyhow!("config section `data`: {e}"))?,
            None => DataConfig::default(),
        };
        anyhow::ensure!(
            data.max_len > 0,
            "config section `data`: `max_len` = 0, expected an integer ≥ 1"
        );
        anyhow::ensure!(
            data.val_fraction > 0.0 && data.val_fraction < 1.0,
            "config section `data`: `val_fraction` = {}, expected a number in (0, 1)",
            data.val_fraction
        );
        Ok(Self { model, train, data })
    }
}

/// What a saved model folder's `model.json` holds besides the weights.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModelMeta {
    pub model: ModelConfig,
    pub max_len: usize,
    /// Applied to every text before tokenization.
    pub normalizer: TextNormalizer,
    pub val_accuracy: f32,
    pub test_accuracy: f32,
}

/// A trained model loaded from its folder.
pub struct SavedModel {
    pub meta: ModelMeta,
    pub tokenizer: Tokenizer,
    pub model: Classifier<f32, Cpu>,
}

impl SavedModel {
    /// Loads `dir/model.json`, `dir/tokenizer.json` and `dir/model.safetensors`.
    pub fn load(dir: &Path) -> anyhow::Result<Self> {
        let meta_path = dir.join("model.json");
        let meta: ModelMeta =
            serde_json::from_str(&std::fs::read_to_string(&meta_path).with_context(|| {
                format!(
                    "cannot read {} (is this a model folder written by `train`?)",
                    meta_path.display()
                )
            })?)
            .with_context(|| format!("{}", meta_path.display()))?;
        let tokenizer = Tokenizer::from_file(dir.join("tokenizer.json"))?;
        let dev = Cpu::default();
        let mut model = Classifier::<f32, Cpu>::new(&meta.model, tokenizer.vocab_size(), &dev)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        load_weights(&mut model, &dir.join("model.safetensors"))?;
        Ok(Self {
            meta,
            tokenizer,
            model,
        })
    }

    /// Normalizes and encodes texts (each at least one token).
    pub fn encode(&self, texts: &[String]) -> anyhow::Result<Vec<Vec<u32>>> {
        let norm: Vec<String> = texts
            .iter()
            .map(|t| self.meta.normalizer.normalize(t))
            .collect();
        let mut ids = self
            .tokenizer
            .encode_batch_ids(&norm, &EncodeOptions::default())?;
        for r in ids.iter_mut().filter(|r| r.is_empty()) {
            r.push(self.tokenizer.unk_id());
        }
        Ok(ids)
    }

    /// Fixed-order batches of `ids` (and labels, if any).
    pub fn batches(
        &self,
        ids: &[Vec<u32>],
        labels: Option<&[usize]>,
        batch_size: usize,
    ) -> anyhow::Result<Vec<crate::data::Batch>> {
        let cfg = LoaderConfig {
            batch_size,
            max_len: self.meta.max_len,
            pad_id: self.tokenizer.pad_id(),
            shuffle: false,
            ..LoaderConfig::default()
        };
        Ok(DataLoader::new(ids, labels, cfg)?.epoch(0))
    }
}

/// Runs `train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read config {}", args.config.display()))?;
    let cfg = RunConfig::from_json(&text).with_context(|| format!("{}", args.config.display()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_field() {
        let e = RunConfig::from_json(r#"{"model": {"kind": "gru"}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("kind") && e.contains("lstm"), "{e}");
        let e = RunConfig::from_json(r#"{"model": {"kind": "lstm"}, "train": {"lr": -1}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`lr`"), "{e}");
        let e = RunConfig::from_json(r#"{"model": {"kind": "cnn"}, "trian": {}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown section `trian`"), "{e}");
        let e = RunConfig::from_json(r#"{"model": {"kind": "cnn"}, "data": {"max_len": 0}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_len"), "{e}");
        let ok = RunConfig::from_json(
            r#"{"model": {"kind": "lstm", "hidden_size": 8}, "train": {"epochs": 2}}"#,
        )
        .unwrap();
        assert_eq!(
            (ok.model.hidden_size, ok.train.epochs, ok.data.max_len),
            (8, 2, 256)
        );
    }
}
