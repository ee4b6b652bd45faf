//! The Yelp transfer recipe: one normalization for both sources, sentence pieces that inherit
//! their review's label, the predictions file, and a tiny end-to-end run (pieces filtered)
//! that beats chance on Yelp/dev. The full ablation (minutes per recipe) is an example:
//! `cargo run --release --example yelp_ablation -- --help`.

mod common;

use common::root;
use sentiment_rnn::data::YelpStyleNormalizer;
use sentiment_rnn::data::augment::sentence_pieces;
use sentiment_rnn::study::yelp::{
    LexiconSwitches, YelpBudget, YelpData, YelpRecipe, ablation_markdown, ablation_recipes,
    fit_recipe, write_predictions,
};

#[test]
fn imdb_review_and_yelp_sentence_share_token_conventions() {
    let norm = YelpStyleNormalizer::yelp_style();
    let imdb = "I DON'T think it's worth $10.<br /><br />The \"food\" scenes were 2 hours long!";
    let yelp = "i do n't think it 's worth $ _num_ . the `` food '' scenes were _num_ hours long !";
    assert_eq!(norm.normalize(imdb), yelp);
    // The Yelp side is already in that form (idempotent), apart from stray BPE marks.
    assert_eq!(norm.normalize(yelp), yelp);
    assert_eq!(
        norm.normalize("this food is on par with p.@@ f ."),
        "this food is on par with p.f ."
    );
}

#[test]
fn sentence_pieces_inherit_their_review_label() {
    let texts = vec![
        "Great film. I loved it!<br />Go see it.".to_string(),
        "Awful. Dr. Smith was bad?! Avoid".to_string(),
    ];
    let labels = vec![1, 0];
    let p = sentence_pieces(&texts, &labels, &YelpStyleNormalizer::yelp_style());
    let (s, l, owner) = (p.texts, p.labels, p.review);
    assert_eq!(
        s,
        [
            "great film .",
            "i loved it !",
            "go see it .",
            "awful .",
            "dr. smith was bad ? !",
            "avoid"
        ]
        .map(String::from)
    );
    assert_eq!(owner, [0, 0, 0, 1, 1, 1]);
    // Multi-byte whitespace before a full stop (U+0085 occurs in IMDb) splits cleanly.
    let s2 = sentence_pieces(
        &["make it.\u{85}She was.\u{a0}x. y".to_string()],
        &[1],
        &YelpStyleNormalizer::yelp_style(),
    )
    .texts;
    assert!(!s2.is_empty() && s2.iter().all(|t| !t.is_empty()), "{s2:?}");
    for (lab, r) in l.iter().zip(&owner) {
        assert_eq!(*lab, labels[*r], "a sentence has its review's label");
    }
}

#[test]
fn predictions_file_has_one_binary_label_per_yelp_line() {
    let lines = root().yelp_reviews().expect("Yelp/reviews.txt").texts.len();
    assert_eq!(lines, 4000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/yelp_predictions.txt");
    let labels: Vec<usize> = (0..lines).map(|i| (i * 7 + 3) % 2).collect();
    write_predictions(&path, &labels).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let read: Vec<usize> = text.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(read, labels);
    assert!(text.ends_with('\n') && text.lines().all(|l| l == "0" || l == "1"));
    let err = write_predictions(&path, &[0, 2]).unwrap_err().to_string();
    assert!(err.contains("prediction 1 is 2"), "{err}");
}

#[test]
fn a_tiny_recipe_beats_chance_on_yelp_dev() {
    let data = YelpData::load(&root()).expect("datasets");
    let t = std::time::Instant::now();
    // With the naive-Bayes piece filter, so the end-to-end path covers it too.
    let recipe = YelpRecipe {
        piece_filter: 0.1,
        ..YelpRecipe::full()
    };
    let fitted = fit_recipe(&recipe, &YelpBudget::tiny(), &data, 0, "tiny").unwrap();
    let r = &fitted.run;
    eprintln!(
        "tiny: Yelp/dev {:.3}, IMDb test {:.3} / {:.3}, {:.1}s",
        r.yelp_dev,
        r.imdb_test,
        r.imdb_test_sentences,
        t.elapsed().as_secs_f64()
    );
    assert_eq!(fitted.predictions.len(), 4000);
    assert!(fitted.predictions.iter().all(|&l| l <= 1));
    assert!(r.yelp_dev >= 0.6, "Yelp/dev accuracy {}", r.yelp_dev);
    let md = ablation_markdown(std::slice::from_ref(r));
    assert!(md.contains("| tiny |"), "{md}");
}

/// The full recipe with the n-gram bag and every part of the lexicon on.
fn full_with_lexicon() -> YelpRecipe {
    YelpRecipe {
        ngram_bag: true,
        lexicon: LexiconSwitches::all(),
        ..YelpRecipe::full()
    }
}

#[test]
fn a_tiny_recipe_with_the_lexicon_runs_end_to_end() {
    let recipe = full_with_lexicon();
    let data = YelpData::load(&root()).expect("datasets");
    let err = fit_recipe(&recipe, &YelpBudget::tiny(), &data, 0, "no lexicon")
        .err()
        .expect("the lexicon must be loaded first")
        .to_string();
    assert!(err.contains("with_lexicon"), "{err}");
    let data = data.with_lexicon(&root()).expect("the VADER lexicon");
    let fitted = fit_recipe(&recipe, &YelpBudget::tiny(), &data, 0, "tiny + lexicon").unwrap();
    let r = &fitted.run;
    eprintln!(
        "tiny + lexicon: Yelp/dev {:.3}, IMDb test {:.3}",
        r.yelp_dev, r.imdb_test
    );
    assert!(
        r.switches.ends_with(" lex[chan head prior neg]"),
        "{}",
        r.switches
    );
    assert_eq!(fitted.predictions.len(), 4000);
    assert!(r.yelp_dev >= 0.6, "Yelp/dev accuracy {}", r.yelp_dev);
}

#[test]
fn the_ablation_turns_the_lexicon_off_whole_and_part_by_part() {
    let full = full_with_lexicon();
    let rows = ablation_recipes(&full, &YelpBudget::ablation());
    let find = |label: &str| &rows.iter().find(|(l, _)| l == label).expect(label).1;
    assert_eq!(find("− lexicon").lexicon, LexiconSwitches::default());
    assert!(!find("− valence channel").lexicon.valence_channel);
    assert!(!find("− lexicon head").lexicon.head);
    assert!(!find("− lexicon prior in the bag").lexicon.bag_prior);
    assert!(!find("− negation scope").lexicon.negation_scope);
    // Without the lexicon there are no lexicon rows.
    let plain = ablation_recipes(&YelpRecipe::full(), &YelpBudget::ablation());
    assert!(plain.iter().all(|(l, _)| !l.contains("lexicon")));
}

#[test]
fn a_piece_filter_outside_zero_to_one_is_refused() {
    let data = YelpData::load(&root()).expect("datasets");
    let recipe = YelpRecipe {
        piece_filter: 1.0,
        ..YelpRecipe::full()
    };
    let err = fit_recipe(&recipe, &YelpBudget::tiny(), &data, 0, "bad")
        .err()
        .expect("a filter that drops every piece must be refused")
        .to_string();
    assert!(err.contains("expected 0 ≤ it < 1, got 1"), "{err}");
}

#[test]
fn ablation_table_is_stable() {
    use sentiment_rnn::study::yelp::YelpRun;
    let run = |label: &str, recipe: &YelpRecipe, yelp: f32, sent: f32| YelpRun {
        label: label.into(),
        switches: recipe.switches(),
        seed: 3,
        yelp_dev: yelp,
        imdb_test: 0.8505,
        imdb_test_sentences: sent,
        imdb_val: 0.842,
        best_epoch: 2,
        epochs: 3,
        train_examples: 21125,
        params: 561730,
        train_seconds: 107.8,
        total_seconds: 119.0,
    };
    let md = ablation_markdown(&[
        run("full recipe", &YelpRecipe::full(), 0.8125, 0.8725),
        run("plain", &YelpRecipe::plain(), 0.701, f32::NAN),
    ]);
    insta::assert_snapshot!(md);
}

#[test]
fn committed_ablation_csvs_read_back_and_rewrite_byte_for_byte() {
    use sentiment_rnn::study::yelp::{read_ablation_csv, write_ablation_csv};
    let dir = tempfile::tempdir().unwrap();
    for name in ["yelp_ablation.csv", "yelp_final_ablation.csv"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("figures")
            .join(name);
        let runs = read_ablation_csv(&path).unwrap();
        assert!(!runs.is_empty(), "{name}");
        let copy = dir.path().join(name);
        write_ablation_csv(&copy, &runs).unwrap();
        assert_eq!(
            std::fs::read_to_string(&copy).unwrap(),
            std::fs::read_to_string(&path).unwrap(),
            "{name}"
        );
    }
}
