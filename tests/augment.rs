//! Training-time augmentation (`data::augment`) and the study's settings overrides.

use std::sync::OnceLock;

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sentiment_rnn::data::YelpStyleNormalizer;
use sentiment_rnn::data::augment::{
    Augmentation, epoch_sequences, grouped_sentence_pieces, sentence_pieces, token_dropout,
};
use sentiment_rnn::study::settings::StudySettings;
use sentiment_rnn::tokenizer::{Tokenizer, TokenizerTrainConfig};

const WORDS: [&str; 12] = [
    "great",
    "film",
    "awful",
    "plot",
    "acting",
    "wonderful",
    "boring",
    "the",
    "was",
    "not",
    "loved",
    "hated",
];

/// A small tokenizer trained on sentences of `WORDS` (pieces shorter than words exist, so
/// sampling has choices).
fn tokenizer() -> &'static Tokenizer {
    static TOK: OnceLock<Tokenizer> = OnceLock::new();
    TOK.get_or_init(|| {
        let texts: Vec<String> = (0..400)
            .map(|i| {
                (0..8)
                    .map(|k| WORDS[(i * 7 + k * 5 + i / 3) % WORDS.len()])
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        let cfg = TokenizerTrainConfig {
            vocab_size: 290,
            ..Default::default()
        };
        Tokenizer::train(&texts, &cfg, &|_| {}).unwrap()
    })
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(0..WORDS.len(), 1..20)
        .prop_map(|w| w.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" "))
}

fn viterbi(texts: &[String]) -> Vec<Vec<u32>> {
    texts
        .iter()
        .map(|t| tokenizer().encode_ids(t).unwrap())
        .collect()
}

#[test]
fn no_augmentation_is_the_viterbi_ids() {
    let texts: Vec<String> = ["great film", "boring plot"].map(String::from).to_vec();
    let ids = viterbi(&texts);
    let aug = Augmentation::default();
    assert!(!aug.resamples());
    assert_eq!(
        epoch_sequences(tokenizer(), &texts, &ids, &aug, 256, 3, 1),
        ids
    );
}

#[test]
fn sampling_changes_segmentations_between_epochs_but_not_between_calls() {
    let texts: Vec<String> = (0..50)
        .map(|i| format!("{} wonderful acting the plot", WORDS[i % WORDS.len()]))
        .collect();
    let ids = viterbi(&texts);
    let aug = Augmentation {
        subword_alpha: Some(0.2),
        ..Default::default()
    };
    let e1 = epoch_sequences(tokenizer(), &texts, &ids, &aug, 256, 7, 1);
    assert_eq!(
        e1,
        epoch_sequences(tokenizer(), &texts, &ids, &aug, 256, 7, 1)
    );
    let e2 = epoch_sequences(tokenizer(), &texts, &ids, &aug, 256, 7, 2);
    assert_ne!(e1, e2, "a new epoch draws new segmentations");
    assert!(
        (1..=5).any(|e| epoch_sequences(tokenizer(), &texts, &ids, &aug, 256, 7, e) != ids),
        "sampling at α = 0.2 leaves the Viterbi path somewhere"
    );
    // Every sample still spells the text.
    for (s, t) in e1.iter().zip(&texts) {
        assert_eq!(tokenizer().decode(s, true).unwrap(), *t);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sequences_are_non_empty_short_enough_and_in_vocabulary(
        texts in prop::collection::vec(text(), 1..20),
        alpha in prop::option::of(0.05f64..1.0),
        drop in 0.0f64..1.0,
        max_len in 1usize..12,
        seed in any::<u64>(),
        epoch in 0u64..5,
    ) {
        let ids = viterbi(&texts);
        let aug = Augmentation { subword_alpha: alpha, token_dropout: drop, ..Default::default() };
        let out = epoch_sequences(tokenizer(), &texts, &ids, &aug, max_len, seed, epoch);
        prop_assert_eq!(out.len(), texts.len());
        let unk = tokenizer().unk_id();
        for s in out.iter() {
            prop_assert!(!s.is_empty() && s.len() <= max_len);
            prop_assert!(s.iter().all(|&t| (t as usize) < tokenizer().vocab_size()));
            prop_assert!(s.iter().any(|&t| t != unk), "never all <unk>: {:?}", s);
        }
    }

    #[test]
    fn token_dropout_keeps_a_token_and_only_writes_unk(
        seq in prop::collection::vec(1u32..50, 1..30),
        p in 0.0f64..=1.0,
        seed in any::<u64>(),
    ) {
        let mut out = seq.clone();
        token_dropout(&mut out, p, 0, &mut StdRng::seed_from_u64(seed));
        prop_assert_eq!(out.len(), seq.len());
        prop_assert!(out.iter().zip(&seq).all(|(o, s)| o == s || *o == 0));
        prop_assert!(out.iter().any(|&t| t != 0));
    }
}

#[test]
fn grouped_pieces_join_consecutive_sentences_up_to_the_word_limit() {
    let texts = vec![
        "One two three. Four five! Six seven eight nine ten eleven twelve. End.".to_string(),
        "Short.".to_string(),
    ];
    let norm = YelpStyleNormalizer::yelp_style();
    // Words as normalized: punctuation counts ("one two three ." is 4).
    let p = grouped_sentence_pieces(&texts, &[1, 0], &norm, 7);
    assert_eq!(
        p.texts,
        [
            "one two three . four five !",
            "six seven eight nine ten eleven twelve .",
            "end .",
            "short ."
        ]
        .map(String::from)
    );
    assert_eq!(p.labels, [1, 1, 1, 0]);
    assert_eq!(p.review, [0, 0, 0, 1]);
    // 0 keeps single sentences, as `sentence_pieces` does.
    assert_eq!(
        grouped_sentence_pieces(&texts, &[1, 0], &norm, 0),
        sentence_pieces(&texts, &[1, 0], &norm)
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn grouping_keeps_every_sentence_in_order_within_the_limit(
        sentences in prop::collection::vec(prop::collection::vec(0..WORDS.len(), 1..12), 1..15),
        max_words in 0usize..30,
    ) {
        let review: Vec<String> = sentences
            .iter()
            .map(|w| format!("{}.", w.iter().map(|&i| WORDS[i]).collect::<Vec<_>>().join(" ")))
            .collect();
        let text = review.join(" ");
        let norm = YelpStyleNormalizer::yelp_style();
        let single = sentence_pieces(std::slice::from_ref(&text), &[1], &norm).texts;
        let grouped = grouped_sentence_pieces(&[text], &[1], &norm, max_words).texts;
        prop_assert_eq!(grouped.join(" "), single.join(" "), "nothing lost or reordered");
        for piece in &grouped {
            let n = piece.split_whitespace().count();
            prop_assert!(n <= max_words || single.contains(piece), "{} words: {}", n, piece);
        }
        prop_assert!(grouped.len() <= single.len());
    }
}

#[test]
fn token_dropout_rate_is_close_to_p() {
    let seq: Vec<u32> = (1..=20_000).collect();
    let mut out = seq.clone();
    token_dropout(&mut out, 0.1, 0, &mut StdRng::seed_from_u64(1));
    let rate = out.iter().filter(|&&t| t == 0).count() as f64 / seq.len() as f64;
    assert!((rate - 0.1).abs() < 0.01, "{rate}");
}

#[test]
fn settings_files_merge_over_the_profile_and_name_bad_fields() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    std::fs::write(
        &path,
        r#"{"augment": {"piece_words": 0}, "train": {"batch_size": 128}}"#,
    )
    .unwrap();
    let s = StudySettings::full().overridden_by(&path).unwrap();
    assert_eq!(s.augment.piece_words, 0);
    assert_eq!(
        s.augment.subword_alpha,
        StudySettings::full().augment.subword_alpha
    );
    assert_eq!(s.train.batch_size, 128);
    // Untouched fields keep the profile's values, nested ones included.
    assert_eq!(s.train.lr, StudySettings::full().train.lr);
    assert_eq!(s.vocab_size, 30_000);

    std::fs::write(&path, r#"{"augment": {"sentence_piece": true}}"#).unwrap();
    let e = format!(
        "{:#}",
        StudySettings::full().overridden_by(&path).unwrap_err()
    );
    assert!(e.contains("s.json") && e.contains("sentence_piece"), "{e}");
    std::fs::write(&path, "[1, 2").unwrap();
    let e = format!(
        "{:#}",
        StudySettings::full().overridden_by(&path).unwrap_err()
    );
    assert!(e.contains("expected a JSON object"), "{e}");
}
