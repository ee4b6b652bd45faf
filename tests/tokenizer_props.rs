//! Properties of the tokenizer: lossless round trips, optimal Viterbi, valid ids, padding and
//! truncation invariants, offsets, sampling, save/load identity, and clear errors.

mod common;

use common::{texts, tiny_tokenizer};
use proptest::prelude::*;
use sentiment_rnn::data::Corpus;
use sentiment_rnn::tokenizer::unigram::lattice::Lattice;
use sentiment_rnn::tokenizer::{
    BrHandling, EncodeOptions, META, Normalizer, Padding, Piece, PieceKind, ScoreAccumulation,
    Tokenizer, TokenizerError, TokenizerTrainConfig, UnigramModel,
};
use std::sync::LazyLock;

static TINY: LazyLock<Tokenizer> = LazyLock::new(tiny_tokenizer);

/// Texts mixing the awkward cases: spaces (leading, trailing, repeated), a literal `▁`, text
/// that spells a byte piece, capitals, multi-byte characters, control characters.
fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-e ▁é<>0xA1\\t\\n\u{1F600}]{1,24}",
        any::<String>().prop_filter("non-empty", |s| !s.is_empty()),
        "(the|a|in|movie|film|good|ing|[A-Z]|[.,!]| |  |▁|<0x41>){1,12}",
    ]
}

proptest! {
    #[test]
    fn decode_inverts_encode(text in awkward_text()) {
        let enc = TINY.encode(&text).unwrap();
        prop_assert_eq!(TINY.decode(&enc.input_ids, false).unwrap(), text.clone());
        prop_assert_eq!(TINY.decode(&enc.input_ids, true).unwrap(), text.clone());
        // The fast path gives the same ids.
        prop_assert_eq!(TINY.encode_ids(&text).unwrap(), enc.input_ids.clone());
    }

    #[test]
    fn ids_are_in_the_vocabulary_and_tokens_match(text in awkward_text()) {
        let enc = TINY.encode(&text).unwrap();
        for (id, tok) in enc.input_ids.iter().zip(&enc.tokens) {
            prop_assert!((*id as usize) < TINY.vocab_size());
            prop_assert_eq!(TINY.id_to_token(*id), Some(tok.as_str()));
            prop_assert_eq!(TINY.token_to_id(tok), Some(*id));
            prop_assert!(!TINY.is_special(*id));
        }
        prop_assert_eq!(enc.attention_mask.clone(), vec![1; enc.len()]);
    }

    /// Offsets tile the original text; a normal piece covers exactly its text (its `▁` being
    /// the space before the word, or nothing at the very start).
    #[test]
    fn offsets_tile_the_original_text(text in awkward_text()) {
        let enc = TINY.encode(&text).unwrap();
        let mut pos = 0;
        for (i, (&(s, e), tok)) in enc.offsets.iter().zip(&enc.tokens).enumerate() {
            prop_assert_eq!(s, pos, "token {} {:?}", i, tok);
            prop_assert!(e >= s && e <= text.len());
            if !tok.starts_with("<0x") {
                let mut want = tok.replace(META, " ");
                if i == 0 {
                    want.remove(0);
                }
                prop_assert_eq!(&text[s..e], want.as_str());
            } else {
                prop_assert_eq!(e - s, 1);
            }
            pos = e;
        }
        prop_assert_eq!(pos, text.len());
    }

    /// Padding and truncation: lengths, masks, specials, and agreement with plain encoding.
    #[test]
    fn padding_and_truncation_invariants(
        texts in prop::collection::vec(awkward_text(), 1..6),
        add_special_tokens in any::<bool>(),
        max_length in prop::option::of(0usize..30),
        padding in prop_oneof![
            Just(Padding::None),
            Just(Padding::Longest),
            (0usize..40).prop_map(Padding::ToLength),
        ],
    ) {
        let opts = EncodeOptions { add_special_tokens, max_length, padding };
        let encs = TINY.encode_batch(&texts, &opts).unwrap();
        let ids = TINY.encode_batch_ids(&texts, &opts).unwrap();
        prop_assert_eq!(encs.len(), texts.len());
        let real: Vec<usize> = encs.iter().map(|e| e.attention_mask.iter().sum::<u32>() as usize).collect();
        for ((enc, ids), (text, &n)) in encs.iter().zip(&ids).zip(texts.iter().zip(&real)) {
            prop_assert_eq!(&enc.input_ids, ids);
            prop_assert_eq!(enc.tokens.len(), enc.len());
            prop_assert_eq!(enc.offsets.len(), enc.len());
            prop_assert_eq!(enc.attention_mask.len(), enc.len());
            // Mask: n ones, then zeros over padding.
            prop_assert!(enc.attention_mask[..n].iter().all(|&m| m == 1));
            prop_assert!(enc.input_ids[n..].iter().all(|&i| i == TINY.pad_id()));
            if let Some(m) = max_length {
                prop_assert!(n <= m);
            }
            let plain = TINY.encode_ids(text).unwrap();
            let content = if add_special_tokens {
                let body = &enc.input_ids[..n];
                if max_length.is_none_or(|m| m >= 2) {
                    prop_assert_eq!(body.first(), Some(&TINY.bos_id()));
                    prop_assert_eq!(body.last(), Some(&TINY.eos_id()));
                    &body[1..n - 1]
                } else {
                    &body[..0]
                }
            } else {
                &enc.input_ids[..n]
            };
            prop_assert_eq!(content, &plain[..content.len()]);
            if max_length.is_none() {
                prop_assert_eq!(content.len(), plain.len());
            }
            let want_len = match padding {
                Padding::None => n,
                Padding::Longest => *real.iter().max().unwrap(),
                Padding::ToLength(l) => l.max(n),
            };
            prop_assert_eq!(enc.len(), want_len);
        }
    }
}

proptest! {
    /// The lossy `<br />` → space option: decoding gives the replaced text (less the space a
    /// leading `<br />` became), and offsets still tile the original text.
    #[test]
    fn br_space_option(text in "(<br />|<br|a|the| |é|▁){1,10}") {
        let tok = TINY.clone().with_normalizer(Normalizer { br: BrHandling::Space });
        let enc = tok.encode(&text).unwrap();
        let replaced = text.replace("<br />", " ");
        let want = replaced.strip_prefix(' ').unwrap_or(&replaced);
        prop_assert_eq!(tok.decode(&enc.input_ids, true).unwrap(), want);
        prop_assert_eq!(tok.encode_ids(&text).unwrap(), enc.input_ids.clone());
        let mut pos = 0;
        for &(s, e) in &enc.offsets {
            prop_assert_eq!(s, pos);
            prop_assert!(e >= s);
            pos = e;
        }
        prop_assert_eq!(pos, text.len());
    }
}

/// A model over `{a, b, c}` with random extra pieces, and strings over the same letters.
fn small_model() -> impl Strategy<Value = UnigramModel> {
    (
        prop::collection::vec(-8.0f64..-0.5, 3),
        prop::collection::btree_map("[abc]{2,4}", -12.0f64..-0.5, 0..14),
    )
        .prop_map(|(singles, multi)| {
            let mut pieces = vec![Piece::new("<unk>", 0.0, PieceKind::Unknown)];
            for (c, s) in ["a", "b", "c"].iter().zip(singles) {
                pieces.push(Piece::new(*c, s, PieceKind::Normal));
            }
            pieces.extend(
                multi
                    .into_iter()
                    .map(|(t, s)| Piece::new(t, s, PieceKind::Normal)),
            );
            UnigramModel::new(pieces, ScoreAccumulation::F64).unwrap()
        })
}

/// Best score over all segmentations, by exhaustive enumeration.
fn brute_force_best(model: &UnigramModel, text: &str) -> f64 {
    fn go(model: &UnigramModel, text: &str, at: usize, acc: f64, best: &mut f64) {
        if at == text.len() {
            *best = best.max(acc);
            return;
        }
        for end in at + 1..=text.len() {
            if let Some(id) = model.piece_to_id(&text[at..end]) {
                let p = model.piece(id).unwrap();
                if p.kind == PieceKind::Normal {
                    go(model, text, end, acc + p.score, best);
                }
            }
        }
    }
    let mut best = f64::NEG_INFINITY;
    go(model, text, 0, 0.0, &mut best);
    best
}

proptest! {
    #[test]
    fn viterbi_is_optimal(model in small_model(), text in "[abc]{1,9}") {
        let mut ids = Vec::new();
        model.encode_ids(&text, &mut ids);
        let pieces: Vec<&str> = ids.iter().map(|&i| model.piece(i).unwrap().text.as_str()).collect();
        prop_assert_eq!(pieces.concat(), text.clone());
        let score: f64 = ids.iter().fold(0.0, |acc, &i| acc + model.piece(i).unwrap().score);
        prop_assert_eq!(score, brute_force_best(&model, &text));
        // The explicit lattice's Viterbi agrees, ties included.
        let lattice = Lattice::new(&model, &text);
        let path: Vec<u32> = lattice.viterbi().iter().map(|&n| lattice.nodes()[n].id).collect();
        prop_assert_eq!(path, ids);
    }
}

#[test]
fn sampling_is_valid_reproducible_and_sometimes_differs() {
    let tok = &*TINY;
    let text = "the movie in the thing, a good film. Ünïcode ▁ here";
    let viterbi = tok.encode_ids(text).unwrap();
    let mut differs = 0;
    for seed in 0..50 {
        let a = tok.sample_ids(text, 0.2, seed).unwrap();
        let b = tok.sample_ids(text, 0.2, seed).unwrap();
        assert_eq!(a, b, "seed {seed} is not reproducible");
        assert_eq!(
            tok.decode(&a, false).unwrap(),
            text,
            "seed {seed}: invalid segmentation"
        );
        differs += usize::from(a != viterbi);
    }
    assert!(differs > 0, "50 samples all equal Viterbi");
    // A very peaked distribution gives Viterbi.
    assert_eq!(tok.sample_ids(text, 100.0, 1).unwrap(), viterbi);
}

#[test]
fn sampling_frequencies_follow_the_unigram_distribution() {
    // "ab" has two segmentations: [ab] (p = 0.3) and [a, b] (p = 0.5 * 0.4 = 0.2); with
    // alpha = 1 they are drawn 0.3 : 0.2.
    let pieces = vec![
        Piece::new("<unk>", 0.0, PieceKind::Unknown),
        Piece::new("a", 0.5f64.ln(), PieceKind::Normal),
        Piece::new("b", 0.4f64.ln(), PieceKind::Normal),
        Piece::new("ab", 0.3f64.ln(), PieceKind::Normal),
    ];
    let model = UnigramModel::new(pieces, ScoreAccumulation::F64).unwrap();
    use rand::SeedableRng;
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let n = 20_000;
    let whole = (0..n)
        .filter(|_| {
            sentiment_rnn::tokenizer::unigram::sampling::sample_ids(&model, "ab", 1.0, &mut rng)
                == vec![3]
        })
        .count();
    let p = whole as f64 / n as f64;
    assert!((p - 0.6).abs() < 0.02, "P([ab]) = {p}, expected 0.6");
}

#[test]
fn save_then_load_is_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    TINY.save(&path).unwrap();
    let back = Tokenizer::from_file(&path).unwrap();
    assert_eq!(back, *TINY);
    assert_eq!(back.to_json_string(), TINY.to_json_string());
    let text = "The film▁was good, <s> really.";
    assert_eq!(back.encode(text).unwrap(), TINY.encode(text).unwrap());
    assert_eq!(back.pad_id(), TINY.pad_id());
    assert_eq!(back.special_tokens(), TINY.special_tokens());

    let br = TINY.clone().with_normalizer(Normalizer {
        br: BrHandling::Space,
    });
    br.save(&path).unwrap();
    assert_eq!(Tokenizer::from_file(&path).unwrap(), br);

    let mut f32_tok = TINY.clone();
    f32_tok.set_accumulation(ScoreAccumulation::F32);
    f32_tok.save(&path).unwrap();
    assert_eq!(Tokenizer::from_file(&path).unwrap(), f32_tok);
}

#[test]
fn errors_are_reported() {
    assert!(matches!(TINY.encode(""), Err(TokenizerError::EmptyText)));
    assert!(matches!(
        TINY.encode_ids(""),
        Err(TokenizerError::EmptyText)
    ));
    let big = TINY.vocab_size() as u32;
    match TINY.decode(&[5, big], false) {
        Err(TokenizerError::UnknownId { id, vocab_size }) => {
            assert_eq!((id, vocab_size), (big, TINY.vocab_size()))
        }
        other => panic!("expected UnknownId, got {other:?}"),
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    for (json, needle) in [
        ("{", "not JSON"),
        (r#"{"model": {"type": "BPE"}}"#, "model type"),
        (
            r#"{"model": {"type": "Unigram", "vocab": [["a"]]}}"#,
            "vocab[0]",
        ),
    ] {
        std::fs::write(&path, json).unwrap();
        match Tokenizer::from_file(&path) {
            Err(e @ TokenizerError::MalformedFile { .. }) => {
                let msg = e.to_string();
                assert!(msg.contains(needle) && msg.contains("bad.json"), "{msg}");
            }
            other => panic!("{json}: expected MalformedFile, got {other:?}"),
        }
    }
    assert!(matches!(
        Tokenizer::from_file(dir.path().join("missing.json")),
        Err(TokenizerError::Io { .. })
    ));

    let cfg = TokenizerTrainConfig {
        vocab_size: 100,
        ..Default::default()
    };
    match Tokenizer::train(&["abc de"], &cfg, &|_| {}) {
        // 4 specials + 256 bytes + 6 characters (a b c d e ▁).
        Err(TokenizerError::VocabTooSmall { minimum, chars, .. }) => {
            assert_eq!((minimum, chars), (266, 6))
        }
        other => panic!("expected VocabTooSmall, got {other:?}"),
    }
}

/// Every IMDb review (train and test) survives encode → decode exactly.
#[test]
fn imdb_round_trip() {
    let (train, test) = (texts(Corpus::ImdbTrain), texts(Corpus::ImdbTest));
    assert_eq!((train.len(), test.len()), (9788, 9763));
    let texts: Vec<String> = train.into_iter().chain(test).collect();
    // Trained on train only, so test-only characters exercise byte fallback.
    let cfg = TokenizerTrainConfig {
        vocab_size: 8000,
        ..Default::default()
    };
    let tok = Tokenizer::train(&texts[..9788], &cfg, &|_| {}).unwrap();
    // A trained tokenizer (long-decimal scores) also saves and loads exactly.
    let dir = tempfile::tempdir().unwrap();
    tok.save(dir.path().join("t.json")).unwrap();
    assert_eq!(
        Tokenizer::from_file(dir.path().join("t.json")).unwrap(),
        tok
    );
    let ids = tok
        .encode_batch_ids(&texts, &EncodeOptions::default())
        .unwrap();
    let back = tok.decode_batch(&ids, true).unwrap();
    let bad: Vec<usize> = (0..texts.len()).filter(|&i| back[i] != texts[i]).collect();
    assert!(
        bad.is_empty(),
        "{} reviews changed, first {:?}",
        bad.len(),
        &bad[..bad.len().min(5)]
    );
}

/// How a small tokenizer trained on a slice of IMDb train segments a few fixed sentences.
#[test]
fn trained_segmentation_snapshot() {
    let train = texts(Corpus::ImdbTrain);
    // 400 reviews from each class (the files hold positives first).
    let slice: Vec<&String> = train
        .iter()
        .take(400)
        .chain(train.iter().rev().take(400))
        .collect();
    let cfg = TokenizerTrainConfig {
        vocab_size: 1500,
        ..Default::default()
    };
    let tok = Tokenizer::train(
        &slice.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        &cfg,
        &|_| {},
    )
    .unwrap();
    assert_eq!(tok.vocab_size(), 1500);
    let sentences = [
        "This movie was absolutely wonderful, I loved it!",
        "The acting was terrible and the plot made no sense.<br /><br />Avoid.",
        "An unforgettable performance by the lead actress.",
        "Naïve café owners in Zürich — 5/10 ★",
    ];
    let mut out = String::new();
    for s in sentences {
        let enc = tok.encode(s).unwrap();
        out.push_str(&format!("{s}\n  {}\n", enc.tokens.join(" | ")));
        assert_eq!(tok.decode(&enc.input_ids, true).unwrap(), s);
    }
    insta::assert_snapshot!(out);
}

/// Two tokenizers used in turn on one thread never see each other's cached words.
#[test]
fn tokenizers_do_not_share_cached_words() {
    let chars_only = Tokenizer::from_pieces(
        "▁abcdefghijklmnopqrstuvwxyz"
            .chars()
            .map(|c| (c.to_string(), -3.0))
            .collect(),
        Default::default(),
        Default::default(),
        Default::default(),
    )
    .unwrap();
    let text = "the movie in the film";
    let (a, b) = (
        TINY.encode_ids(text).unwrap(),
        chars_only.encode_ids(text).unwrap(),
    );
    assert_ne!(a, b);
    for _ in 0..3 {
        assert_eq!(TINY.encode_ids(text).unwrap(), a);
        assert_eq!(chars_only.encode_ids(text).unwrap(), b);
    }
}

/// Every text gives at least one id: the empty text and a zero length cap give `[<unk>]`,
/// others the plain ids cut to the cap.
#[test]
fn encode_batch_for_model_never_gives_an_empty_row() {
    let texts = ["", "   ", "the movie", "a good film in the end"];
    let unk = vec![TINY.unk_id()];
    let rows = TINY.encode_batch_for_model(&texts, None).unwrap();
    assert_eq!(rows[0], unk);
    assert_eq!(rows[1], TINY.encode_ids(texts[1]).unwrap());
    assert_eq!(rows[2], TINY.encode_ids(texts[2]).unwrap());
    assert_eq!(rows[3], TINY.encode_ids(texts[3]).unwrap());
    let cut = TINY.encode_batch_for_model(&texts, Some(2)).unwrap();
    assert_eq!(cut[3], TINY.encode_ids(texts[3]).unwrap()[..2].to_vec());
    let zero = TINY.encode_batch_for_model(&texts, Some(0)).unwrap();
    assert!(zero.iter().all(|row| *row == unk));
}
