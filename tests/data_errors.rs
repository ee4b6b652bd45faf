//! Reading the line files: quoting, blank lines, every kind of bad input as a clear error
//! (file, line, what was expected), the data root resolution, and the real datasets.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::root;
use sentiment_rnn::data::files::{parse_lines, read_labeled_dir, read_lines};
use sentiment_rnn::data::{Corpus, DataError, DataRoot, RootOrigin};

fn parse(text: &str) -> Result<Vec<String>, DataError> {
    parse_lines(text.as_bytes(), Path::new("some/file")).map(|f| f.texts)
}

#[test]
fn quoted_and_plain_lines() {
    let file = parse_lines(
        b"plain text, with commas\n\"she said \"\"hi\"\" twice\"\n\"\"\"\"\nlast",
        Path::new("f"),
    )
    .unwrap();
    assert_eq!(
        file.texts,
        vec![
            "plain text, with commas",
            "she said \"hi\" twice",
            "\"",
            "last"
        ]
    );
    assert_eq!(
        (file.stats.texts, file.stats.quoted, file.stats.blank_lines),
        (4, 2, 0)
    );
    // A final newline is not a blank line; CRLF line ends are tolerated.
    let crlf = parse_lines(b"a\r\nb\r\n", Path::new("f")).unwrap();
    assert_eq!(
        (crlf.texts, crlf.stats.blank_lines),
        (vec!["a".into(), "b".into()], 0)
    );
}

#[test]
fn blank_lines_are_skipped_and_counted() {
    let file = parse_lines(b"\na\n\n  \t\nb\n\n", Path::new("f")).unwrap();
    assert_eq!(file.texts, vec!["a", "b"]);
    assert_eq!(file.stats.blank_lines, 4);
}

fn format_error(text: &str) -> (usize, usize, String) {
    match parse(text) {
        Err(e @ DataError::Format { .. }) => {
            let msg = e.to_string();
            let DataError::Format { line, column, .. } = e else {
                unreachable!()
            };
            (line, column, msg)
        }
        other => panic!("expected a format error, got {other:?}"),
    }
}

#[test]
fn unterminated_quote() {
    let (line, _, msg) = format_error("ok\n\"never closed\nnext");
    assert_eq!(line, 2);
    assert!(msg.starts_with("some/file:2:"), "{msg}");
    assert!(
        msg.contains("unterminated") && msg.contains("closing"),
        "{msg}"
    );
}

#[test]
fn quote_inside_unquoted_text() {
    let (line, column, msg) = format_error("ok\nok\nsay \"hi\"");
    assert_eq!((line, column), (3, 5));
    assert!(msg.contains("quote inside an unquoted text"), "{msg}");
}

#[test]
fn text_after_closing_quote() {
    let (line, column, msg) = format_error("\"quoted\" tail");
    assert_eq!((line, column), (1, 9));
    assert!(msg.contains("text after the closing quote"), "{msg}");
    // An undoubled inner quote is the same mistake.
    let (_, column, _) = format_error("\"a \"b\" c\"");
    assert_eq!(column, 5);
}

#[test]
fn invalid_utf8_names_the_line() {
    let err = parse_lines(b"fine\nalso fine\nbad \xff byte\n", Path::new("x/y")).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            DataError::Utf8 {
                line: 3,
                column: 5,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(msg.contains("x/y:3") && msg.contains("UTF-8"), "{msg}");
}

#[test]
fn empty_files() {
    for content in ["", "\n\n", "  \n"] {
        let err = parse(content).unwrap_err();
        assert!(
            matches!(err, DataError::Empty { .. }),
            "{content:?}: {err:?}"
        );
        assert!(err.to_string().contains("empty file"));
    }
}

#[test]
fn missing_files_say_where_data_is_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let root = DataRoot::new(dir.path(), RootOrigin::Env);
    let err = root.labeled(Corpus::YelpDev).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DataError::Missing { .. }), "{err:?}");
    assert!(msg.contains("Yelp/dev"), "{msg}");
    assert!(msg.contains(&dir.path().display().to_string()), "{msg}");
    assert!(msg.contains("SENTIMENT_RNN_DATA"), "{msg}");
    assert!(msg.contains(".ci/run"), "{msg}");

    let err = root.read_lines("aclImdb/train/positive").unwrap_err();
    assert!(
        err.to_string().contains("no pinned single-file download"),
        "{err}"
    );
    let err = root.read_lines("IMDb/train/positive").unwrap_err();
    assert!(err.to_string().contains("downloads"), "{err}");

    // One of the two files of a split missing.
    std::fs::create_dir_all(dir.path().join("aclImdb/test")).unwrap();
    std::fs::write(dir.path().join("aclImdb/test/positive"), "good\n").unwrap();
    let err = root.labeled(Corpus::AclImdbTest).unwrap_err();
    assert!(
        err.to_string().contains("aclImdb/test/negative not found"),
        "{err}"
    );

    // The path-only reader reports the OS error with the path.
    let err = read_lines(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }) && err.to_string().contains("nope"));
}

#[test]
fn errors_in_a_split_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("positive"), "good\n").unwrap();
    std::fs::write(dir.path().join("negative"), "bad\n\"oops\n").unwrap();
    let msg = read_labeled_dir(dir.path()).unwrap_err().to_string();
    assert!(msg.contains("negative:2:"), "{msg}");
}

#[test]
fn data_root_precedence() {
    let default = Path::new("datasets");
    let env = Some(OsStr::new("/from/env"));
    let flag = Some(Path::new("/from/flag"));
    let r = DataRoot::resolve_from(flag, env, default);
    assert_eq!(
        (r.path.as_path(), r.origin),
        (Path::new("/from/flag"), RootOrigin::Flag)
    );
    let r = DataRoot::resolve_from(None, env, default);
    assert_eq!(
        (r.path.as_path(), r.origin),
        (Path::new("/from/env"), RootOrigin::Env)
    );
    let r = DataRoot::resolve_from(None, Some(OsStr::new("")), default);
    assert_eq!((r.path.as_path(), r.origin), (default, RootOrigin::Default));
    let r = DataRoot::resolve_from(None, None, default);
    assert_eq!(r.origin, RootOrigin::Default);
    assert!(r.to_string().contains("--data-dir"));
}

#[test]
fn course_splits_have_the_documented_sizes() {
    let root = root();
    let train = root.labeled(Corpus::ImdbTrain).unwrap();
    assert_eq!((train.positives(), train.len()), (4950, 4950 + 4838));
    assert!(train.labels[..4950].iter().all(|&l| l == 1));
    assert!(train.labels[4950..].iter().all(|&l| l == 0));
    let test = root.labeled(Corpus::ImdbTest).unwrap();
    assert_eq!((test.positives(), test.len()), (4940, 4940 + 4823));
    for split in [&train, &test] {
        assert!(
            split
                .stats
                .iter()
                .all(|s| s.blank_lines == 0 && s.quoted > 0)
        );
        assert!(split.texts.iter().all(|t| !t.is_empty() && t.len() <= 1024));
        // Quoted lines decode to texts with their inner quotes.
        assert!(split.texts.iter().any(|t| t.contains('"')));
    }
    assert!(train.texts.iter().any(|t| t.contains("<br />")));
    assert_eq!(root.yelp_reviews().unwrap().texts.len(), 4000);
    let dev = root.labeled(Corpus::YelpDev).unwrap();
    assert_eq!((dev.positives(), dev.len()), (1000, 2000));
}

/// The full Large Movie Review Dataset loads completely: every line of each file becomes one
/// text (its speed is measured by benchmarks, not asserted here).
#[test]
fn full_imdb_loads_every_review() {
    let root = root();
    let train = root.labeled(Corpus::AclImdbTrain).unwrap();
    let test = root.labeled(Corpus::AclImdbTest).unwrap();
    assert_eq!((train.len(), train.positives()), (25_000, 12_500));
    assert_eq!((test.len(), test.positives()), (25_000, 12_500));
    for split in [&train, &test] {
        assert!(split.texts.iter().all(|text| !text.trim().is_empty()));
        for stats in &split.stats {
            let file = std::fs::read_to_string(&stats.path).unwrap();
            let lines = file.lines().filter(|line| !line.trim().is_empty()).count();
            assert_eq!(stats.texts, lines, "{:?}", stats.path);
        }
    }
}
