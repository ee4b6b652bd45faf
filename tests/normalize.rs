//! The classification-time normalizer: Yelp-style splitting of real-looking reviews, each switch
//! on its own, idempotence, and sentence splitting.

use proptest::prelude::*;
use sentiment_rnn::data::{YelpStyleNormalizer, split_sentences};

fn yelp(text: &str) -> String {
    YelpStyleNormalizer::yelp_style().normalize(text)
}

/// Each `(input, expected)` pair, normalized Yelp-style.
fn assert_yelp(cases: &[(&str, &str)]) {
    for (input, expected) in cases {
        assert_eq!(yelp(input), *expected, "input {input:?}");
    }
}

#[test]
fn clitics_split_like_the_yelp_text() {
    assert_yelp(&[
        ("I don't know", "i do n't know"),
        ("It's great, isn't it?", "it 's great , is n't it ?"),
        ("We can't, won't.", "we ca n't , wo n't ."),
        (
            "They're here, we'll go, I've seen, he'd say, I'm in",
            "they 're here , we 'll go , i 've seen , he 'd say , i 'm in",
        ),
        ("the boys' room", "the boys ' room"),
        ("at five o'clock", "at five o'clock"),
    ]);
}

#[test]
fn punctuation_and_numbers_like_the_yelp_text() {
    assert_yelp(&[
        ("Great!!!", "great ! ! !"),
        ("wait... what?", "wait ... what ?"),
        (
            "It cost $12 (a 15% tip).",
            "it cost $ _num_ ( a _num_ % tip ) .",
        ),
        ("food was \"meh\", ok", "food was `` meh '' , ok"),
        (
            "Dr. Gordon at 10:30, 3/4 full",
            "dr. gordon at 10:30 , 3/4 full",
        ),
        (
            "non-smoking -- really; 1,000 or 3.5",
            "non-smoking -- really ; _num_ or _num_",
        ),
        ("the 2nd time", "the 2nd time"),
        ("p.f. chang", "p.f . chang"),
    ]);
}

#[test]
fn br_marks_and_whitespace() {
    assert_yelp(&[
        ("Good.<br /><br />Bad.", "good . bad ."),
        ("a<BR/>b<br>c", "a b c"),
        (
            "the arizona hum@@ ane society",
            "the arizona humane society",
        ),
        ("bo@@ s@@ n@@ i@@ an food", "bosnian food"),
        ("  spaced \t out\n ", "spaced out"),
    ]);
}

#[test]
fn yelp_sentences_are_fixed_points() {
    // Lines taken from Yelp/reviews.txt (minus the stray marks): already normalized.
    for line in [
        "it 's now to the point where it 's disgusting .",
        "there where _num_ waiters , still service was slow .",
        "food was `` meh '' , maybe i just ordered the wrong thing .",
        "wo n't return and threw away 3/4 of the pizza .",
        "great dr. and staff .",
        "disgusting rooms ... noisy ... smelly ... horrible experience .",
        "save your money and get a $ _num_ hot n ' ready !",
        "the non-smoking room reeked , but that was n't even the start .",
    ] {
        assert_eq!(yelp(line), line);
    }
}

#[test]
fn each_switch_alone() {
    let text = "It's 5<br />STARS@@ !  Don't";
    let only = |f: fn(&mut YelpStyleNormalizer)| {
        let mut n = YelpStyleNormalizer::none();
        f(&mut n);
        n.normalize(text)
    };
    assert_eq!(YelpStyleNormalizer::none().normalize(text), text);
    assert_eq!(only(|n| n.lowercase = true), "it's 5<br />stars@@ !  don't");
    assert_eq!(only(|n| n.br_to_space = true), "It's 5 STARS@@ !  Don't");
    assert_eq!(
        only(|n| n.split_punct = true),
        "It 's 5 < br / > STARS@@ !  Do n't"
    );
    assert_eq!(only(|n| n.numbers = true), text);
    assert_eq!(
        only(|n| n.strip_bpe_marks = true),
        "It's 5<br />STARS!  Don't"
    );
    assert_eq!(
        only(|n| n.collapse_whitespace = true),
        "It's 5<br />STARS@@ ! Don't"
    );
    let mut n = YelpStyleNormalizer::none();
    n.numbers = true;
    assert_eq!(
        n.normalize("5 stars, 10 of 10"),
        "_num_ stars, _num_ of _num_"
    );
}

#[test]
fn config_round_trips_through_serde() {
    let mut n = YelpStyleNormalizer::yelp_style();
    n.numbers = false;
    let json = serde_json::to_string(&n).unwrap();
    assert_eq!(
        serde_json::from_str::<YelpStyleNormalizer>(&json).unwrap(),
        n
    );
    // Missing switches take the default (on).
    let partial: YelpStyleNormalizer = serde_json::from_str(r#"{"lowercase": false}"#).unwrap();
    assert!(!partial.lowercase && partial.split_punct);
}

#[test]
fn imdb_reviews_snapshot() {
    let reviews = [
        "If you like original gut wrenching laughter you will like this movie. If you are young or old then you will love this movie, hell even my mom liked it.<br /><br />Great Camp!!!",
        "Probably my all-time favorite movie, a story of selflessness, sacrifice and dedication to a noble cause, but it's not preachy or boring. It just never gets old, despite my having seen it some 15 or more times in the last 25 years. Paul Lukas' performance brings tears to my eyes.",
        "The kids are, as grandma says, more like \"dressed-up midgets\" than children. If I had a dozen thumbs, they'd all be \"up\" for this movie.",
        "I can't believe I wasted $8.50 on this... Mr. Smith (the director) shouldn't've bothered. 1/10.",
    ];
    let normalized: Vec<String> = reviews.iter().map(|r| yelp(r)).collect();
    insta::assert_json_snapshot!(normalized);
}

#[test]
fn sentences() {
    assert_eq!(
        split_sentences("Great film. Loved it!! Mr. Smith was good...<br /><br />See it? Yes"),
        vec![
            "Great film.",
            "Loved it!!",
            "Mr. Smith was good...",
            "See it?",
            "Yes"
        ]
    );
    assert_eq!(
        split_sentences("one. 3.5 stars. \"Wow.\" Done"),
        vec!["one.", "3.5 stars.", "\"Wow.\"", "Done"]
    );
    assert!(split_sentences("  <br />  ").is_empty());
    // Pieces put back together give the text, up to whitespace.
    let review = "A b. C d! E f? G";
    assert_eq!(split_sentences(review).join(" "), review);
}

fn text_strategy() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z]{1,6}",
        "[0-9]{1,4}",
        Just("n't".to_string()),
        Just("'s".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("<br />".to_string()),
        Just("<br".to_string()),
        Just("@@ ".to_string()),
        Just("@@".to_string()),
        Just("``".to_string()),
        Just("dr.".to_string()),
        "[ .,!?;:/()$%&'`@-]{1,3}",
        "[ \t\n]{1,2}",
        "[éÉßİ]",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn normalizing_twice_equals_once(text in text_strategy(), switches in prop::array::uniform6(any::<bool>())) {
        let n = YelpStyleNormalizer {
            lowercase: switches[0],
            br_to_space: switches[1],
            split_punct: switches[2],
            numbers: switches[3],
            strip_bpe_marks: switches[4],
            collapse_whitespace: switches[5],
        };
        let once = n.normalize(&text);
        prop_assert_eq!(n.normalize(&once), once.clone(), "text {:?}", text);
    }

    #[test]
    fn yelp_style_output_is_single_spaced_tokens(text in text_strategy()) {
        let out = yelp(&text);
        prop_assert!(!out.contains("  ") && out.trim() == out);
        prop_assert!(!out.contains("@@ ") && !out.ends_with("@@"));
        prop_assert!(!out.contains('"'));
        prop_assert!(out.chars().all(|c| !c.is_uppercase() || c.to_lowercase().next() == Some(c)));
    }
}
