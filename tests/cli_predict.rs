//! `predict` and `eval` through the built binary: one output line per input line, errors with
//! line numbers, damaged folders reported (never a panic), and quiet exits on closed pipes.

mod model_support;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::Output;

use model_support::{Workspace, assert_contains, config_json, text};

fn trained() -> Workspace {
    let ws = Workspace::new();
    ws.train(&config_json("", ""), "mv");
    ws
}

/// `predict` with the model `mv` on the lines of `input`.
fn predict_file(ws: &Workspace, input: &Path) -> Output {
    ws.run(&[
        "predict",
        "--model",
        "mv",
        "--input",
        input.to_str().unwrap(),
    ])
}

#[test]
fn every_input_line_gets_an_output_line_and_empty_lines_score_as_the_empty_review() {
    let ws = trained();
    let input = b"good great wonderful\n\n   \n<br />\nbad awful\n<br /><br />\n\n";
    let out = ws.run_with_stdin(
        &["predict", "--model", "mv", "--probabilities"],
        Some(input),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 7, "{lines:?}");
    // Blank, whitespace-only and `<br />`-only lines all get the empty review's prediction.
    let empty = &lines[1];
    for i in [2, 3, 5, 6] {
        assert_eq!(&lines[i], empty, "line {}: {lines:?}", i + 1);
    }
    assert_ne!(lines[0], lines[4], "{lines:?}");

    // The same from a file, labels this time.
    let file = ws.write("reviews.txt", std::str::from_utf8(input).unwrap());
    let out = predict_file(&ws, &file);
    assert_eq!(text(&out.stdout).lines().count(), 7);
    // An empty input gives an empty output.
    let out = ws.run_with_stdin(&["predict", "--model", "mv"], Some(b""));
    assert!(out.status.success() && out.stdout.is_empty());
}

#[test]
fn non_utf8_input_is_reported_with_its_line() {
    let ws = trained();
    let out = ws.run_with_stdin(
        &["predict", "--model", "mv"],
        Some(b"good\nbad\nfi\xffne\n"),
    );
    assert!(!out.status.success());
    assert_contains(&text(&out.stderr), "stdin:3: invalid UTF-8");
    let file = ws.path("latin1.txt");
    std::fs::write(&file, b"caf\xe9\n").unwrap();
    let out = predict_file(&ws, &file);
    assert_contains(&text(&out.stderr), "latin1.txt:1: invalid UTF-8 at byte 4");
}

#[test]
fn damaged_folders_are_errors_naming_the_file_never_panics() {
    let ws = trained();
    let weights = ws.path("mv/model.safetensors");
    let mut bytes = std::fs::read(&weights).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x40;
    std::fs::write(&weights, &bytes).unwrap();
    for args in [
        &["predict", "--model", "mv"][..],
        &["eval", "--model", "mv", "--data-dir", "data"][..],
    ] {
        let out = ws.run_with_stdin(args, Some(b"good\n"));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("model.safetensors") && err.contains("SHA-256"),
            "{err}"
        );
    }
    // A folder written by an older version (no manifest fields) says so.
    ws.write(
        "mv/model.json",
        r#"{"model": {"kind": "cnn"}, "max_len": 32}"#,
    );
    let out = ws.run_with_stdin(&["predict", "--model", "mv"], Some(b"good\n"));
    assert_contains(&text(&out.stderr), "not a model folder of this version");
}

#[test]
fn eval_scores_the_test_split() {
    let ws = trained();
    let out = ws.run(&["eval", "--model", "mv", "--data-dir", "data"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Test: 80 texts, accuracy "), "{stdout}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let ws = trained();
    let input: Vec<u8> = "good great film\n".repeat(200_000).into_bytes();
    let mut child = ws.spawn(&["predict", "--model", "mv"]);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    // Read one line, then close the pipe, as `| head -1` does.
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first == "0\n" || first == "1\n", "{first:?}");
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
}
