//! The TF-IDF + logistic regression baseline on the course IMDb split (how its variants
//! compare: `cargo run --release --example baseline_variants`).

mod common;

use std::time::Instant;

use common::root;
use sentiment_rnn::data::{Corpus, LabeledSplit};
use sentiment_rnn::study::baseline::{BaselineConfig, BaselineError, TfidfLogReg};

fn imdb() -> (LabeledSplit, LabeledSplit) {
    let root = root();
    (
        root.labeled(Corpus::ImdbTrain).unwrap(),
        root.labeled(Corpus::ImdbTest).unwrap(),
    )
}

#[test]
fn bigrams_with_normalization_reach_the_expected_test_accuracy() {
    let (train, test) = imdb();
    let start = Instant::now();
    let model = TfidfLogReg::fit(&train.texts, &train.labels, &BaselineConfig::default()).unwrap();
    let acc = model.accuracy(&test.texts, &test.labels);
    eprintln!(
        "uni+bigram, normalized: test accuracy {acc:.4} ({:?}, {} iterations)",
        start.elapsed(),
        model.iterations
    );
    assert!(acc >= 0.87, "test accuracy {acc}");
    // Probabilities agree with the predicted classes.
    let p = model.predict_proba_all(&test.texts[..200]);
    assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
    for (p, t) in p.iter().zip(&test.texts) {
        assert_eq!(model.predict(t), usize::from(*p >= 0.5));
    }
}

#[test]
fn fitting_is_deterministic_and_learns_the_training_set() {
    let (train, _) = imdb();
    let idx: Vec<usize> = (0..train.len()).step_by(5).collect();
    let small = train.subset(&idx);
    let config = BaselineConfig {
        max_ngram: 1,
        max_iter: 50,
        ..BaselineConfig::default()
    };
    let a = TfidfLogReg::fit(&small.texts, &small.labels, &config).unwrap();
    let b = TfidfLogReg::fit(&small.texts, &small.labels, &config).unwrap();
    assert_eq!(
        a.predict_proba_all(&small.texts),
        b.predict_proba_all(&small.texts)
    );
    // Weakly regularized, the training texts are nearly separable.
    assert!(a.accuracy(&small.texts, &small.labels) > 0.97);
}

#[test]
fn tiny_corpus_and_unseen_words() {
    let texts: Vec<String> = ["great film", "great acting", "awful film", "awful plot"]
        .map(String::from)
        .to_vec();
    let labels = [1, 1, 0, 0];
    let config = BaselineConfig {
        min_df: 1,
        ..BaselineConfig::default()
    };
    let m = TfidfLogReg::fit(&texts, &labels, &config).unwrap();
    assert!(m.predict_proba("Great!") > 0.5);
    assert!(m.predict_proba("AWFUL.") < 0.5);
    // Only unseen words: the bias alone, about even.
    assert!((m.predict_proba("zzz qqq") - 0.5).abs() < 0.05);
    assert_eq!(m.accuracy(&texts, &labels), 1.0);
    // Unigrams + bigrams; "great film" is a bigram feature.
    assert_eq!(m.vectorizer().num_features(), 5 + 4);
}

#[test]
fn bad_inputs_are_errors() {
    let texts: Vec<String> = vec!["a b".into(), "c d".into()];
    let config = BaselineConfig::default();
    assert_eq!(
        TfidfLogReg::fit(&texts, &[1], &config).unwrap_err(),
        BaselineError::LabelCount {
            texts: 2,
            labels: 1
        }
    );
    assert_eq!(
        TfidfLogReg::fit(&texts, &[1, 2], &config).unwrap_err(),
        BaselineError::BadLabel { index: 1, label: 2 }
    );
    assert!(matches!(
        TfidfLogReg::fit(&texts, &[1, 1], &config),
        Err(BaselineError::Degenerate(_))
    ));
    // min_df = 2 drops every n-gram of two disjoint texts.
    assert!(matches!(
        TfidfLogReg::fit(&texts, &[1, 0], &config),
        Err(BaselineError::Degenerate(_))
    ));
    let bad = BaselineConfig {
        max_ngram: 3,
        ..BaselineConfig::default()
    };
    assert!(matches!(
        TfidfLogReg::fit(&texts, &[1, 0], &bad),
        Err(BaselineError::Config(_))
    ));
}
