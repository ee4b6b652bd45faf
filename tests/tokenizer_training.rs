//! The Unigram trainer's promises, on a slice of IMDb train and on random corpora: the
//! requested size, every character kept, well-formed pieces, log-probability scores,
//! determinism, clear errors, and EM improving the likelihood.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use proptest::prelude::*;
use sentiment_rnn::tokenizer::normalizer::{META, Normalizer, words};
use sentiment_rnn::tokenizer::unigram::piece_trainer::{
    PieceTrainError, PieceTrainerConfig, TrainProgress, TrainStage, train,
};

fn data_root() -> PathBuf {
    std::env::var_os("SENTIMENT_RNN_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/datasets")))
}

/// The first `n` reviews of each IMDb train file (CSV-quoted lines unquoted).
fn imdb_slice(n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for label in ["positive", "negative"] {
        let path = data_root().join("IMDb/train").join(label);
        let raw = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        for line in raw.split('\n').filter(|l| !l.is_empty()).take(n) {
            out.push(match line.strip_prefix('"') {
                Some(rest) => rest
                    .strip_suffix('"')
                    .expect("closing quote")
                    .replace("\"\"", "\""),
                None => line.to_string(),
            });
        }
    }
    out
}

fn word_counts(texts: &[String]) -> Vec<(String, u64)> {
    let norm = Normalizer::default();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for t in texts {
        for w in words(&norm.normalize(t)) {
            *counts.entry(w.to_string()).or_default() += 1;
        }
    }
    counts.into_iter().collect()
}

/// Word counts of 400 + 400 IMDb reviews, computed once.
fn slice_counts() -> &'static [(String, u64)] {
    static COUNTS: OnceLock<Vec<(String, u64)>> = OnceLock::new();
    COUNTS.get_or_init(|| word_counts(&imdb_slice(400)))
}

fn config(vocab_size: usize) -> PieceTrainerConfig {
    PieceTrainerConfig {
        vocab_size,
        ..PieceTrainerConfig::default()
    }
}

fn quiet(_: TrainProgress) {}

/// The invariants every trained vocabulary satisfies.
fn check_vocab(counts: &[(String, u64)], cfg: &PieceTrainerConfig, pieces: &[(String, f64)]) {
    assert_eq!(pieces.len(), cfg.vocab_size);
    let set: BTreeSet<&str> = pieces.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(set.len(), pieces.len(), "pieces are distinct");
    for (w, _) in counts {
        for c in w.chars() {
            assert!(set.contains(c.to_string().as_str()), "character {c:?} kept");
        }
    }
    for (p, score) in pieces {
        let n = p.chars().count();
        assert!(
            n >= 1 && n <= cfg.max_piece_len,
            "{p:?} has 1..=max_piece_len chars"
        );
        assert!(
            !p.chars().skip(1).any(|c| c == META),
            "{p:?} has no inner ▁"
        );
        assert!(
            score.is_finite() && *score < 0.0,
            "{p:?} score {score} is a log-probability"
        );
    }
    for pair in pieces.windows(2) {
        assert!(pair[0].1 >= pair[1].1, "best first");
    }
}

#[test]
fn imdb_slice_gives_requested_size_and_wellformed_pieces() {
    let counts = slice_counts();
    for size in [500, 3000] {
        let cfg = config(size);
        let pieces = train(counts, &cfg, &quiet).expect("trains");
        check_vocab(counts, &cfg, &pieces);
    }
    // Pruning straight to the target: the M-step must not drop pieces below it.
    let cfg = PieceTrainerConfig {
        overshoot: 1.0,
        final_em_iterations: 0,
        ..config(3000)
    };
    let pieces = train(counts, &cfg, &quiet).expect("trains");
    check_vocab(counts, &cfg, &pieces);
}

#[test]
fn scores_are_normalized_log_probabilities() {
    // The digamma M-step gives exp ψ(c) / exp ψ(Σc) ≈ (c − ½) / Σc, so the probabilities
    // sum to slightly below 1 (the missing mass is about ½ per piece / the token count).
    let pieces = train(slice_counts(), &config(3000), &quiet).expect("trains");
    let total: f64 = pieces.iter().map(|p| p.1.exp()).sum();
    assert!(total <= 1.0 + 1e-9 && total > 0.9, "Σ exp(score) = {total}");
}

#[test]
fn training_is_deterministic_across_runs_and_thread_counts() {
    let counts = slice_counts();
    let cfg = config(2000);
    let run = |threads: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| train(counts, &cfg, &quiet).expect("trains"))
    };
    let one = run(1);
    assert_eq!(one, run(1));
    assert_eq!(one, run(3));
}

#[test]
fn errors_on_bad_input() {
    let cfg = config(100);
    assert_eq!(train(&[], &cfg, &quiet), Err(PieceTrainError::EmptyInput));
    let zero = vec![("▁a".to_string(), 0)];
    assert_eq!(train(&zero, &cfg, &quiet), Err(PieceTrainError::EmptyInput));

    let counts = vec![("▁abc".to_string(), 3), ("▁abd".to_string(), 2)];
    // Five distinct characters: ▁ a b c d.
    assert_eq!(
        train(&counts, &config(4), &quiet),
        Err(PieceTrainError::VocabTooSmall {
            requested: 4,
            chars: 5
        })
    );
    let Err(PieceTrainError::VocabTooLarge {
        requested,
        available,
    }) = train(&counts, &config(1000), &quiet)
    else {
        panic!("a vocabulary larger than the text supports is an error");
    };
    assert_eq!(requested, 1000);
    assert!(available < 1000);

    let inner = vec![("▁a▁b".to_string(), 1)];
    assert!(matches!(
        train(&inner, &cfg, &quiet),
        Err(PieceTrainError::InvalidWord { index: 0, .. })
    ));
    let bad = PieceTrainerConfig {
        max_piece_len: 0,
        ..cfg
    };
    assert!(matches!(
        train(&counts, &bad, &quiet),
        Err(PieceTrainError::InvalidConfig(_))
    ));
}

#[test]
fn em_improves_the_training_likelihood() {
    let cfg = PieceTrainerConfig {
        num_sub_iterations: 4,
        final_em_iterations: 3,
        ..config(2000)
    };
    let log = Mutex::new(Vec::new());
    train(slice_counts(), &cfg, &|p| log.lock().unwrap().push(p)).expect("trains");
    let log = log.into_inner().unwrap();
    // Within a round the vocabulary only loses pieces whose expected count is below ½.
    // The digamma (variational-Bayes) M-step is not exactly maximum likelihood, so once
    // converged the objective (negative log-likelihood per word) may wobble by ~1e-6;
    // every step must improve it beyond that, or stay within it.
    let em: Vec<&TrainProgress> = log
        .iter()
        .filter(|p| matches!(p.stage, TrainStage::Em | TrainStage::FinalEm))
        .collect();
    let (mut steps, mut clear_gains) = (0, 0);
    for pair in em.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.stage == b.stage && a.round == b.round {
            steps += 1;
            assert!(
                b.objective < a.objective + 1e-5,
                "EM step made the likelihood worse: {a:?} then {b:?}"
            );
            if b.objective < a.objective - 1e-3 {
                clear_gains += 1;
            }
        }
    }
    assert!(steps >= 6, "several EM steps were checked ({steps})");
    assert!(
        clear_gains >= 3,
        "EM clearly improved in {clear_gains} steps"
    );
    let first_round: Vec<f64> = em
        .iter()
        .filter(|p| p.round == 0)
        .map(|p| p.objective)
        .collect();
    assert!(
        first_round[3] < first_round[0] - 0.5,
        "EM on the seed vocabulary gains a lot: {first_round:?}"
    );
    let last = log.last().expect("progress reported");
    assert_eq!(last.stage, TrainStage::FinalEm);
    assert_eq!(last.pieces, 2000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random words over a small alphabet: the invariants hold for every feasible size.
    #[test]
    fn random_corpora_keep_invariants(
        raw in prop::collection::vec(("[abcé.]{1,12}", 1u64..20), 1..40),
        extra in 0usize..30,
        max_piece_len in 1usize..6,
    ) {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for (w, c) in raw {
            *counts.entry(format!("{META}{w}")).or_default() += c;
        }
        let counts: Vec<(String, u64)> = counts.into_iter().collect();
        let chars: BTreeSet<char> = counts.iter().flat_map(|(w, _)| w.chars()).collect();
        let cfg = PieceTrainerConfig { vocab_size: chars.len() + extra, max_piece_len, ..config(0) };
        match train(&counts, &cfg, &quiet) {
            Ok(pieces) => check_vocab(&counts, &cfg, &pieces),
            Err(PieceTrainError::VocabTooLarge { requested, available }) => {
                prop_assert_eq!(requested, cfg.vocab_size);
                prop_assert!(available < requested && available >= chars.len());
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}
