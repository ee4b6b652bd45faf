//! `sentiment-rnn train --config cfg.json --out DIR`: trains one model and saves it as a
//! model folder (`model.json` manifest, `tokenizer.json`, `model.safetensors`, metrics CSVs,
//! `ckpt/`) that `eval` and `predict` load.
//!
//! The folder appears only complete (the run works in `DIR.partial/`), an interrupted run
//! resumes only with the same config and tokenizer, and a folder holding another run is
//! replaced only with `--overwrite`; see [`crate::saved::output`].

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use dfdx::prelude::*;

use crate::data::{
    Corpus, DataLoader, DataRoot, LabeledSplit, LoaderConfig, YelpStyleNormalizer, data_root,
    stratified_split,
};
use crate::nn::classifier::Classifier;
use crate::saved::manifest::sha256_hex;
use crate::saved::{ModelRecord, OutputFolder, Plan, RunConfig, SavedModel, TrainingSummary};
use crate::study::prepare::train_tokenizer;
use crate::tokenizer::Tokenizer;
use crate::train::checkpoint::Checkpoint;
use crate::train::{TrainOutcome, Trainer, evaluate};

/// Arguments of `train`.
#[derive(Args, Debug, Clone)]
pub struct TrainArgs {
    /// JSON with `model` (required), `train` and `data` sections.
    #[arg(long)]
    pub config: PathBuf,
    /// Folder the trained model is written to (built in `OUT.partial/`, renamed when done).
    #[arg(long, default_value = "model")]
    pub out: PathBuf,
    /// Replace a model folder (or interrupted run) holding other settings instead of
    /// refusing; the old folder stays until the new one is complete.
    #[arg(long)]
    pub overwrite: bool,
    /// Data root (default: env SENTIMENT_RNN_DATA, else ./datasets); it must exist.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// The course reviews a run trains, validates and tests on, normalized.
struct RunData {
    train_texts: Vec<String>,
    train_labels: Vec<usize>,
    val_texts: Vec<String>,
    val_labels: Vec<usize>,
    test: LabeledSplit,
}

/// Runs `train`.
pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let cfg = RunConfig::from_file(&args.config)?;
    let out = OutputFolder::new(&args.out)?;
    out.check()?;
    let given = match &cfg.data.tokenizer {
        Some(path) => Some(Tokenizer::from_file(path)?),
        None => None,
    };
    let given_hash = given
        .as_ref()
        .map(|t| sha256_hex(t.to_json_string().as_bytes()));
    let plan = out.plan(&cfg, given_hash.as_deref(), args.overwrite)?;
    let mut stdout = std::io::stdout().lock();
    if plan == Plan::Done {
        writeln!(
            stdout,
            "{} already holds this run ({} epochs): nothing to train",
            args.out.display(),
            cfg.train.epochs
        )?;
        return Ok(());
    }
    let norm = YelpStyleNormalizer::yelp_style();
    let data = load_data(&data_root(args.data_dir.as_deref()), &cfg, &norm)?;
    let tokenizer = match (plan, given) {
        (Plan::ResumePartial | Plan::Extend, _) => out.continued_tokenizer(plan)?,
        (_, Some(tokenizer)) => tokenizer,
        (_, None) => {
            eprintln!(
                "training a {}-piece tokenizer on {} reviews",
                cfg.data.vocab_size,
                data.train_texts.len()
            );
            train_tokenizer(&data.train_texts, cfg.data.vocab_size)
                .with_context(|| format!("data.vocab_size = {}", cfg.data.vocab_size))?
        }
    };
    if plan != Plan::Fresh {
        eprintln!("continuing the run in {}", out.partial.display());
    }
    out.begin(plan, &cfg, &tokenizer)?;
    let (model, outcome, test_accuracy) = fit(&cfg, &tokenizer, &data, &out, args.quiet)?;
    let record = ModelRecord {
        config: &cfg,
        normalizer: norm,
        training: TrainingSummary {
            epochs: outcome.epochs.len(),
            best_epoch: outcome.best_epoch,
            val_accuracy: outcome.best_val_accuracy,
            test_accuracy,
            warnings: outcome.warnings.clone(),
        },
    };
    SavedModel::write(&out.partial, record, &tokenizer, &model)?;
    // The folder replaces the old one only once it loads.
    SavedModel::load(&out.partial)?;
    out.commit()?;
    for warning in &outcome.warnings {
        eprintln!("warning: {warning}");
    }
    writeln!(
        stdout,
        "best epoch {} of {}: validation accuracy {:.2}%, test accuracy {:.2}%, {:.1}s; saved to {}",
        outcome.best_epoch,
        cfg.train.epochs,
        outcome.best_val_accuracy * 100.0,
        test_accuracy * 100.0,
        outcome.seconds,
        args.out.display()
    )?;
    Ok(())
}

/// Reads the course train and test splits (before any training, so missing data fails
/// first) and splits off the validation reviews.
fn load_data(
    root: &DataRoot,
    cfg: &RunConfig,
    norm: &YelpStyleNormalizer,
) -> anyhow::Result<RunData> {
    let course = root.labeled(Corpus::ImdbTrain)?;
    let mut test = root.labeled(Corpus::ImdbTest)?;
    let split = stratified_split(&course.labels, cfg.data.val_fraction, cfg.data.split_seed);
    let texts = |idx: &[usize]| -> Vec<String> {
        idx.iter()
            .map(|&i| norm.normalize(&course.texts[i]))
            .collect()
    };
    let labels = |idx: &[usize]| -> Vec<usize> { idx.iter().map(|&i| course.labels[i]).collect() };
    test.texts = test.texts.iter().map(|t| norm.normalize(t)).collect();
    Ok(RunData {
        train_texts: texts(&split.train),
        train_labels: labels(&split.train),
        val_texts: texts(&split.valid),
        val_labels: labels(&split.valid),
        test,
    })
}

/// Trains in the partial folder (resuming its checkpoint, if any) and scores the test split.
fn fit(
    cfg: &RunConfig,
    tokenizer: &Tokenizer,
    data: &RunData,
    out: &OutputFolder,
    quiet: bool,
) -> anyhow::Result<(Classifier<f32, Cpu>, TrainOutcome, f32)> {
    let dev = Cpu::seed_from_u64(cfg.train.seed);
    let mut model = Classifier::<f32, Cpu>::new(&cfg.model, tokenizer.vocab_size(), &dev)
        .map_err(|e| anyhow::anyhow!("model section: {e}"))?;
    let train_ids = tokenizer.encode_batch_for_model(&data.train_texts, None)?;
    model.init_ngrams(&train_ids, &data.train_labels);
    let loader_config = |shuffle| LoaderConfig {
        batch_size: cfg.train.batch_size,
        max_len: cfg.data.max_len,
        pad_id: tokenizer.pad_id(),
        seed: cfg.train.seed,
        shuffle,
        ..LoaderConfig::default()
    };
    let loader = DataLoader::new(&train_ids, Some(&data.train_labels), loader_config(true))?;
    let batches = |ids: &[Vec<u32>], labels: &[usize]| {
        DataLoader::new(ids, Some(labels), loader_config(false)).map(|l| l.epoch(0))
    };
    let val_ids = tokenizer.encode_batch_for_model(&data.val_texts, None)?;
    let val = batches(&val_ids, &data.val_labels)?;
    let trainer = Trainer {
        config: cfg.train.clone(),
        quiet,
        label: format!("{:?}", cfg.model.kind).to_lowercase(),
        log_dir: Some(out.partial.clone()),
        checkpoint: Some(Checkpoint::new(out.partial.join("ckpt"))),
    };
    let outcome = trainer.fit(
        &mut model,
        |e| Ok::<_, std::convert::Infallible>(loader.epoch(e as u64)),
        &val,
    )?;
    let test_ids = tokenizer.encode_batch_for_model(&data.test.texts, None)?;
    let test_accuracy = evaluate(&model, &batches(&test_ids, &data.test.labels)?).accuracy;
    Ok((model, outcome, test_accuracy))
}
