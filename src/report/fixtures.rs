//! Plausible fake study results for the report's tests.

use crate::data::augment::Augmentation;
use crate::study::experiments::names;
use crate::study::results::{
    BaselineResult, BucketAccuracy, RunMeta, RunResult, StudyResults, TokenizerStats,
};
use crate::train::metrics::EpochRecord;

/// Plausible fake results covering every section.
pub(crate) fn synthetic() -> StudyResults {
    let models = [
        (names::CNN, "cnn", 0.86),
        (names::RNN, "rnn", 0.70),
        (names::LSTM, "lstm", 0.87),
        (names::fixed_gate::FORGET, "lstm", 0.84),
        (names::fixed_gate::INPUT, "lstm", 0.86),
        (names::fixed_gate::OUTPUT, "lstm", 0.865),
    ];
    let mut runs = Vec::new();
    for (index, (model, kind, accuracy)) in models.into_iter().enumerate() {
        for seed in 0..3u64 {
            let params = 100_000 + index * 1000;
            runs.push(run(
                model,
                kind,
                params,
                seed,
                accuracy + seed as f32 * 0.004,
            ));
        }
    }
    StudyResults {
        meta: RunMeta {
            command: "figures --quick".into(),
            seeds: vec![0, 1, 2],
            epochs: 3,
            augment: Augmentation {
                sentence_pieces: true,
                piece_words: 40,
                subword_alpha: Some(0.2),
                token_dropout: 0.1,
            },
            train_examples: 1234,
            ..Default::default()
        },
        tokenizer: Some(tokenizer_stats()),
        runs,
        baseline: vec![BaselineResult {
            seed: 0,
            params: 20001,
            val_accuracy: 0.85,
            test_accuracy: 0.845,
            yelp_dev_accuracy: 0.80,
            train_seconds: 2.0,
        }],
        yelp: None,
    }
}

/// One seed's run: three epochs, four length buckets, and a gradient flow for the
/// recurrent kinds (the RNN's decaying faster than the LSTM's).
fn run(model: &str, kind: &str, params: usize, seed: u64, accuracy: f32) -> RunResult {
    RunResult {
        model: model.to_string(),
        kind: kind.to_string(),
        seed,
        params,
        best_epoch: 3,
        val_accuracy: accuracy + 0.01,
        test_accuracy: accuracy,
        yelp_dev_accuracy: accuracy - 0.05,
        train_seconds: 30.0,
        epochs: (1..=3)
            .map(|epoch| EpochRecord {
                epoch,
                train_loss: 0.7 / epoch as f32,
                train_accuracy: accuracy - 0.1 / epoch as f32,
                val_loss: 0.5,
                val_accuracy: accuracy - 0.05 / epoch as f32,
                seconds: 10.0,
            })
            .collect(),
        length_buckets: (0..4)
            .map(|bucket| BucketAccuracy {
                min_tokens: bucket * 60,
                max_tokens: bucket * 60 + 59,
                count: 100,
                accuracy: accuracy - bucket as f32 * 0.02,
            })
            .collect(),
        grad_flow: match kind {
            "cnn" => vec![],
            "rnn" => (0..50).map(|d| 0.8f32.powi(d)).collect(),
            _ => (0..50).map(|d| 0.97f32.powi(d)).collect(),
        },
    }
}

fn tokenizer_stats() -> TokenizerStats {
    TokenizerStats {
        vocab_size: 30000,
        reviews: 100,
        mean_tokens: 150.0,
        median_tokens: 140,
        p95_tokens: 280,
        max_tokens: 300,
        unknown_rate: 0.0,
        reviews_with_unknown: 0.0,
        truncated_fraction: 0.01,
        max_len: 256,
        train_seconds: 3.0,
        lengths: (0..100).map(|i| i * 3).collect(),
    }
}
