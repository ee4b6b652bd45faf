//! Error messages through the built binaries name the path, the field and the value typed,
//! with line numbers for line input.

mod model_support;

use std::process::Command;

use model_support::{Workspace, assert_contains, config_json, text};

#[test]
fn a_vocabulary_too_large_is_reported_with_the_size_typed() {
    let ws = Workspace::new();
    let cfg = ws.write("big.json", &config_json("", r#""vocab_size": 10000000"#));
    let out = ws.run(&["train", "--config", cfg.to_str().unwrap(), "--out", "m"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert_contains(&err, "data.vocab_size = 10000000");
    assert_contains(&err, "vocab_size 10000000 is too large");
}

#[test]
fn tokenizer_input_errors_name_the_line_and_the_field() {
    let ws = Workspace::new();
    let out = ws.run(&[
        "tokenizer",
        "train",
        "data/IMDb/train/positive",
        "data/IMDb/train/negative",
        "--vocab-size",
        "300",
        "-o",
        "tok.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = ws.run_with_stdin(
        &["tokenizer", "encode", "-t", "tok.json"],
        Some(b"good\n\nb\xffad\n"),
    );
    assert_contains(&text(&out.stderr), "stdin:3: invalid UTF-8");
    assert_eq!(
        text(&out.stdout).lines().count(),
        2,
        "lines before the bad one are answered"
    );

    // The stderr of `tokenizer <command> -t <tokenizer>` on `input`.
    let tokenizer_stderr = |command: &str, tokenizer: &str, input: &[u8]| {
        let out = ws.run_with_stdin(&["tokenizer", command, "-t", tokenizer], Some(input));
        text(&out.stderr)
    };
    let err = tokenizer_stderr("decode", "tok.json", b"5 6\n7 99999\n");
    assert_contains(&err, "stdin line 2");
    assert_contains(&err, "99999");

    let json = std::fs::read_to_string(ws.path("tok.json")).unwrap();
    ws.write(
        "nobytes.json",
        &json.replace("\"byte_fallback\": true", "\"byte_fallback\": false"),
    );
    let err = tokenizer_stderr("encode", "nobytes.json", b"good\n");
    assert_contains(&err, "nobytes.json");
    assert_contains(&err, "model.byte_fallback is false");
}

#[test]
fn figures_rejects_unknown_models_and_bad_settings_before_loading_data() {
    let ws = Workspace::new();
    let figures = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_figures"))
            .args(args)
            .args([
                "--quick",
                "--quiet",
                "--data-dir",
                "nosuch",
                "--runs-dir",
                "runs",
                "--out-dir",
                "out",
            ])
            .current_dir(ws.dir.path())
            .env("SENTIMENT_RNN_DATA_URL", "http://127.0.0.1:9")
            .env("RUST_BACKTRACE", "0")
            .output()
            .unwrap()
    };
    let out = figures(&["--models", "nosuch"]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("--models: unknown model `nosuch`"), "{err}");
    assert!(!err.contains("data root"), "{err}");

    let settings = ws.write(
        "settings.json",
        r#"{"train": {"lr": "fast"}, "max_len": 64}"#,
    );
    let out = figures(&["--settings", settings.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(err.contains("`train.lr` = \"fast\""), "{err}");
    assert!(err.len() < 600, "no dump of the defaults: {err}");
    assert!(!ws.path("runs").exists() && !ws.path("out").exists());
}
