//! The trainer teaches every model kind on a small IMDb subset: accuracy on a balanced
//! held-out slice is clearly above chance. Also: determinism, resume, and a clear error on a
//! non-finite loss. Sizes are small so the file runs in a few minutes on 2 cores.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;

use common::root;
use dfdx::prelude::*;
use sentiment_rnn::data::loader::Batch;
use sentiment_rnn::data::{Corpus, DataLoader, LoaderConfig, YelpStyleNormalizer};
use sentiment_rnn::nn::classifier::Classifier;
use sentiment_rnn::nn::config::{ModelConfig, ModelKind};
use sentiment_rnn::train::checkpoint::Checkpoint;
use sentiment_rnn::train::{TrainConfig, TrainError, TrainOutcome, Trainer, evaluate};

const TRAIN_PER_CLASS: usize = 1500;
const HELD_OUT_PER_CLASS: usize = 250;
const MAX_LEN: usize = 160;
const VOCAB: usize = 6000;

struct Data {
    train_ids: Vec<Vec<u32>>,
    train_labels: Vec<usize>,
    held_ids: Vec<Vec<u32>>,
    held_labels: Vec<usize>,
    vocab: usize,
}

/// The first `n` texts of each class.
fn balanced(texts: &[String], labels: &[usize], n: usize) -> (Vec<String>, Vec<usize>) {
    let mut out = (Vec::new(), Vec::new());
    for class in [0, 1] {
        for (t, _) in texts
            .iter()
            .zip(labels)
            .filter(|(_, l)| **l == class)
            .take(n)
        {
            out.0.push(t.clone());
            out.1.push(class);
        }
    }
    out
}

/// A word-level stand-in for the subword tokenizer (fast and independent of it): the most
/// frequent normalized training words; 0 = padding, 1 = unknown.
fn load() -> Data {
    let root = root();
    let train = root.labeled(Corpus::ImdbTrain).expect("IMDb train");
    let test = root.labeled(Corpus::ImdbTest).expect("IMDb test");
    let norm = YelpStyleNormalizer::yelp_style();
    let (tr_texts, train_labels) = balanced(&train.texts, &train.labels, TRAIN_PER_CLASS);
    let (te_texts, held_labels) = balanced(&test.texts, &test.labels, HELD_OUT_PER_CLASS);
    let tr: Vec<String> = tr_texts.iter().map(|t| norm.normalize(t)).collect();
    let te: Vec<String> = te_texts.iter().map(|t| norm.normalize(t)).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &tr {
        for w in t.split(' ') {
            *counts.entry(w).or_default() += 1;
        }
    }
    let mut words: Vec<(&str, usize)> = counts.into_iter().collect();
    words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let ids: HashMap<&str, u32> = words
        .iter()
        .take(VOCAB - 2)
        .enumerate()
        .map(|(i, (w, _))| (*w, i as u32 + 2))
        .collect();
    let enc = |t: &String| -> Vec<u32> {
        let v: Vec<u32> = t
            .split(' ')
            .map(|w| ids.get(w).copied().unwrap_or(1))
            .collect();
        if v.is_empty() { vec![1] } else { v }
    };
    Data {
        train_ids: tr.iter().map(enc).collect(),
        train_labels,
        held_ids: te.iter().map(enc).collect(),
        held_labels,
        vocab: VOCAB,
    }
}

fn loader(ids: &[Vec<u32>], labels: &[usize], shuffle: bool, seed: u64) -> LoaderConfig {
    let _ = (ids, labels);
    LoaderConfig {
        batch_size: 32,
        max_len: MAX_LEN,
        shuffle,
        seed,
        ..LoaderConfig::default()
    }
}

fn small(kind: ModelKind) -> ModelConfig {
    let mut c = ModelConfig::new(kind);
    c.embedding_dim = 48;
    c.hidden_size = 48;
    c.channels = 48;
    c.dropout = 0.3;
    c
}

/// Trains `cfg` and returns held-out accuracy and the outcome's per-epoch train losses.
fn train_and_score(
    data: &Data,
    cfg: &ModelConfig,
    tc: &TrainConfig,
    trainer: Option<Trainer>,
) -> (f32, Vec<f32>) {
    let dev = Cpu::seed_from_u64(tc.seed);
    let mut model = Classifier::<f32, Cpu>::new(cfg, data.vocab, &dev).unwrap();
    let train = DataLoader::new(
        &data.train_ids,
        Some(&data.train_labels),
        loader(&data.train_ids, &data.train_labels, true, tc.seed),
    )
    .unwrap();
    let held = DataLoader::new(
        &data.held_ids,
        Some(&data.held_labels),
        loader(&data.held_ids, &data.held_labels, false, 0),
    )
    .unwrap();
    let held_batches = held.epoch(0);
    let mut trainer = trainer.unwrap_or_else(|| Trainer::new(tc.clone()));
    trainer.quiet = true;
    // Model selection on the held-out slice is fine here: the assertion is about learning.
    let out = fit_epochs(&trainer, &mut model, &train, &held_batches).unwrap();
    let acc = evaluate(&model, &held_batches).accuracy;
    assert!(
        (acc - out.best_val_accuracy).abs() < 1e-6,
        "the model must hold the best epoch's weights"
    );
    (acc, out.epochs.iter().map(|e| e.train_loss).collect())
}

/// `trainer.fit` on the epochs of `train`, validating on `val`.
fn fit_epochs(
    trainer: &Trainer,
    model: &mut Classifier<f32, Cpu>,
    train: &DataLoader,
    val: &[Batch],
) -> Result<TrainOutcome, TrainError> {
    trainer.fit(model, |e| Ok::<_, Infallible>(train.epoch(e as u64)), val)
}

fn config(epochs: usize) -> TrainConfig {
    TrainConfig {
        lr: 3e-3,
        batch_size: 32,
        epochs,
        clip_norm: Some(1.0),
        seed: 7,
        ..TrainConfig::default()
    }
}

#[test]
fn every_model_kind_learns_imdb() {
    let data = load();
    let start = std::time::Instant::now();
    for (kind, epochs, floor) in [
        (ModelKind::Cnn, 3, 0.75),
        (ModelKind::Lstm, 3, 0.75),
        (ModelKind::Rnn, 3, 0.55),
    ] {
        let t = std::time::Instant::now();
        let (acc, losses) = train_and_score(&data, &small(kind), &config(epochs), None);
        eprintln!(
            "{kind:?}: held-out accuracy {acc:.3}, train losses {losses:?}, {:.1}s",
            t.elapsed().as_secs_f64()
        );
        assert!(
            acc >= floor,
            "{kind:?} reached only {acc:.3} (expected ≥ {floor})"
        );
        assert!(
            losses.last() < losses.first(),
            "{kind:?} training loss did not fall: {losses:?}"
        );
    }
    eprintln!("total {:.1}s", start.elapsed().as_secs_f64());
}

#[test]
fn training_is_deterministic_and_resumes_from_a_checkpoint() {
    let mut data = load();
    // A quarter of the data keeps this test short.
    let keep: Vec<usize> = (0..data.train_ids.len()).step_by(4).collect();
    data.train_ids = keep.iter().map(|&i| data.train_ids[i].clone()).collect();
    data.train_labels = keep.iter().map(|&i| data.train_labels[i]).collect();
    let cfg = small(ModelKind::Cnn);

    let (a1, l1) = train_and_score(&data, &cfg, &config(2), None);
    let (a2, l2) = train_and_score(&data, &cfg, &config(2), None);
    assert_eq!((a1, &l1), (a2, &l2), "same seed, same run");

    // One epoch with a checkpoint, then a budget of two resumes at epoch 2.
    let dir = tempfile::tempdir().unwrap();
    let with_ck = |epochs| {
        let mut t = Trainer::new(config(epochs));
        t.checkpoint = Some(Checkpoint::new(dir.path()));
        t.log_dir = Some(dir.path().to_path_buf());
        t
    };
    let (_, first) = train_and_score(&data, &cfg, &config(1), Some(with_ck(1)));
    assert!(
        dir.path().join("best.safetensors").is_file() && dir.path().join("state.json").is_file()
    );
    let (_, resumed) = train_and_score(&data, &cfg, &config(2), Some(with_ck(2)));
    assert_eq!(resumed.len(), 2);
    assert_eq!(
        resumed[0], first[0],
        "the first epoch comes from the checkpoint"
    );
    let epochs_csv = std::fs::read_to_string(dir.path().join("epochs.csv")).unwrap();
    assert_eq!(
        epochs_csv.lines().count(),
        3,
        "header + 2 epochs:\n{epochs_csv}"
    );
    assert!(
        epochs_csv.starts_with("epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds")
    );

    // Without dropout (its RNG lives inside dfdx's device and is not restored) a resumed run
    // repeats the uninterrupted one exactly: same data order, weights and Adam state.
    let mut plain = cfg.clone();
    plain.dropout = 0.0;
    plain.embedding_dropout = 0.0;
    plain.layer_dropout = 0.0;
    let (_, whole) = train_and_score(&data, &plain, &config(2), None);
    let dir = tempfile::tempdir().unwrap();
    let with_ck = |epochs| {
        let mut t = Trainer::new(config(epochs));
        t.checkpoint = Some(Checkpoint::new(dir.path()));
        t
    };
    train_and_score(&data, &plain, &config(1), Some(with_ck(1)));
    assert!(dir.path().join("adam.bin").is_file());
    let (_, resumed) = train_and_score(&data, &plain, &config(2), Some(with_ck(2)));
    assert_eq!(resumed, whole, "a resumed run continues Adam's state");
}

#[test]
fn a_non_finite_loss_stops_with_a_clear_error() {
    let dev = Cpu::seed_from_u64(0);
    let new_model = || Classifier::<f32, Cpu>::new(&small(ModelKind::Cnn), 10, &dev).unwrap();
    let with_nan_embedding = |mut model: Classifier<f32, Cpu>| {
        model.embedding.weight = dev.tensor_from_vec(vec![f32::NAN; 10 * 48], (10, 48));
        model
    };
    let ids: Vec<Vec<u32>> = (0..8).map(|i| vec![2 + i % 5; 6]).collect();
    let labels: Vec<usize> = (0..8).map(|i| i % 2).collect();
    let l = DataLoader::new(
        &ids,
        Some(&labels),
        LoaderConfig {
            batch_size: 4,
            max_len: 6,
            ..LoaderConfig::default()
        },
    )
    .unwrap();
    let mut t = Trainer::new(config(1));
    t.quiet = true;
    let fit_error =
        |mut model: Classifier<f32, Cpu>| fit_epochs(&t, &mut model, &l, &l.epoch(0)).unwrap_err();

    let mut model = new_model();
    model.head.bias = dev.tensor([f32::NAN, 0.0]);
    let err = fit_error(model);
    assert!(
        matches!(
            err,
            TrainError::NonFiniteLoss {
                epoch: 1,
                step: 0,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("non-finite training loss"),
        "{err}"
    );

    // NaN weights stop the run too: as a NaN loss (the fused CPU CNN propagates NaN through its
    // max) or, where a max pooling hides the NaN in the forward pass, as NaN gradients.
    let err = fit_error(with_nan_embedding(new_model()));
    assert!(
        matches!(
            err,
            TrainError::NonFiniteGradient { epoch: 1, step: 0 }
                | TrainError::NonFiniteLoss {
                    epoch: 1,
                    step: 0,
                    ..
                }
        ),
        "{err}"
    );

    // The op-by-op CNN's max pooling drops the NaN in the forward pass: the gradient check
    // must catch it.
    let mut model = new_model();
    model.path = sentiment_rnn::nn::backend::Path::Reference;
    let err = fit_error(with_nan_embedding(model));
    assert!(
        matches!(err, TrainError::NonFiniteGradient { epoch: 1, step: 0 }),
        "{err}"
    );
}

#[test]
fn a_data_error_stops_the_run_with_its_message() {
    let dev = Cpu::seed_from_u64(0);
    let mut model = Classifier::<f32, Cpu>::new(&small(ModelKind::Cnn), 10, &dev).unwrap();
    let ids: Vec<Vec<u32>> = (0..8).map(|i| vec![2 + i % 5; 6]).collect();
    let labels: Vec<usize> = (0..8).map(|i| i % 2).collect();
    let cfg = LoaderConfig {
        batch_size: 4,
        max_len: 6,
        ..LoaderConfig::default()
    };
    let l = DataLoader::new(&ids, Some(&labels), cfg.clone()).unwrap();
    let mut t = Trainer::new(config(2));
    t.quiet = true;
    // The second epoch's loader gets an empty sequence, which it rejects.
    let err = t
        .fit(
            &mut model,
            |e| {
                let mut seqs = ids.clone();
                if e == 1 {
                    seqs[3].clear();
                }
                DataLoader::new(&seqs, Some(&labels), cfg.clone()).map(|l| l.epoch(e as u64))
            },
            &l.epoch(0),
        )
        .unwrap_err();
    assert!(matches!(err, TrainError::Data { epoch: 2, .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("training data for epoch 2: "),
        "{message}"
    );
    assert!(message.contains("sequence 3 is empty"), "{message}");
}

#[test]
fn the_ngram_bag_starts_as_naive_bayes_and_the_hybrid_learns() {
    let data = load();
    let mut cfg = small(ModelKind::Cnn);
    cfg.ngram_buckets = 1 << 16;
    let held = DataLoader::new(
        &data.held_ids,
        Some(&data.held_labels),
        loader(&data.held_ids, &data.held_labels, false, 0),
    )
    .unwrap()
    .epoch(0);
    let dev = Cpu::seed_from_u64(7);
    let mut model = Classifier::<f32, Cpu>::new(&cfg, data.vocab, &dev).unwrap();
    let untrained = evaluate(&model, &held).accuracy;
    model.init_ngrams(&data.train_ids, &data.train_labels);
    // Before any gradient step the bag alone is a naive-Bayes classifier.
    let naive_bayes = evaluate(&model, &held).accuracy;
    eprintln!("untrained {untrained:.3}, naive-Bayes start {naive_bayes:.3}");
    assert!(
        naive_bayes >= 0.72 && naive_bayes > untrained + 0.1,
        "naive-Bayes start {naive_bayes:.3} (untrained {untrained:.3})"
    );
    let tc = config(2);
    let train = DataLoader::new(
        &data.train_ids,
        Some(&data.train_labels),
        loader(&data.train_ids, &data.train_labels, true, tc.seed),
    )
    .unwrap();
    let mut trainer = Trainer::new(tc);
    trainer.quiet = true;
    fit_epochs(&trainer, &mut model, &train, &held).unwrap();
    let trained = evaluate(&model, &held).accuracy;
    eprintln!("CNN + n-gram bag: held-out accuracy {trained:.3}");
    assert!(
        trained >= 0.78,
        "CNN + n-gram bag reached only {trained:.3}"
    );
}
