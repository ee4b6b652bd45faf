//! `train` through the built binary: a model folder is never silently mixed with another run,
//! never lost to a failed run, and bad targets or configs are refused up front with the path,
//! field and value.

mod model_support;

use model_support::{Workspace, assert_contains, config_json, snapshot, text};

#[test]
fn a_changed_config_is_refused_naming_the_difference_and_overwrite_replaces() {
    let ws = Workspace::new();
    ws.train(&config_json("", ""), "mv");
    let before = snapshot(&ws.path("mv"));

    // Only the data section differs: no resume, an error naming the field.
    let cfg = ws.write("seed5.json", &config_json("", r#""split_seed": 5"#));
    let out = ws.run_train(&[], &cfg, "mv");
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert_contains(&err, "data.split_seed: 0 in the folder, 5 now");
    assert_contains(&err, "--overwrite");
    assert_eq!(snapshot(&ws.path("mv")), before, "the folder is untouched");

    // Another tokenizer of the same size (given by path) is a difference too.
    let other_tok = ws.path("other-tokenizer.json");
    let tok = ws.run(&[
        "tokenizer",
        "train",
        "data/IMDb/test/positive",
        "data/IMDb/test/negative",
        "--vocab-size",
        "300",
        "-o",
        other_tok.to_str().unwrap(),
    ]);
    assert!(tok.status.success(), "{}", text(&tok.stderr));
    let cfg = ws.write(
        "tok.json",
        &config_json("", r#""tokenizer": "other-tokenizer.json""#),
    );
    let out = ws.run_train(&[], &cfg, "mv");
    assert_contains(&text(&out.stderr), "data.tokenizer");

    // The same run again: nothing to do, nothing rewritten.
    let out = ws.train(&config_json("", ""), "mv");
    assert_contains(&text(&out.stdout), "already holds this run");
    assert_eq!(snapshot(&ws.path("mv")), before);

    // More epochs continue the run from its checkpoint.
    ws.train(&config_json(r#""epochs": 3"#, ""), "mv");
    let epochs = std::fs::read_to_string(ws.path("mv/epochs.csv")).unwrap();
    assert_eq!(epochs.lines().count(), 4, "{epochs}");

    // --overwrite trains the new config from scratch.
    let out = ws.run_train(&["--overwrite"], &ws.path("seed5.json"), "mv");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = std::fs::read_to_string(ws.path("mv/model.json")).unwrap();
    assert_contains(&manifest, "\"split_seed\": 5");
    assert!(!ws.path("mv.partial").exists());
}

#[test]
fn a_failed_run_never_costs_the_previous_folder() {
    let ws = Workspace::new();
    ws.train(&config_json("", ""), "mv");
    let before = snapshot(&ws.path("mv"));
    let predict = |ws: &Workspace| {
        let out = ws.run_with_stdin(
            &["predict", "--model", "mv"],
            Some(b"good great\nbad awful\n"),
        );
        assert!(
            out.status.success(),
            "the old model must still load: {}",
            text(&out.stderr)
        );
        text(&out.stdout)
    };
    let predictions = predict(&ws);

    // A different vocab_size, even with --overwrite, fails in tokenizer training.
    let cfg = ws.write("tiny-vocab.json", &config_json("", r#""vocab_size": 3"#));
    let out = ws.run_train(&["--overwrite"], &cfg, "mv");
    assert!(!out.status.success());
    assert_contains(&text(&out.stderr), "data.vocab_size = 3");
    assert_eq!(snapshot(&ws.path("mv")), before);

    // A run that breaks during training (the loss overflows) leaves the old folder as it was.
    let cfg = ws.write(
        "nan.json",
        &config_json(r#""lr": 1e38, "clip_norm": null"#, ""),
    );
    let out = ws.run_train(&["--overwrite"], &cfg, "mv");
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert_contains(&text(&out.stderr), "non-finite");
    assert_eq!(snapshot(&ws.path("mv")), before);
    assert_eq!(predict(&ws), predictions);
}

#[test]
fn bad_targets_and_configs_are_refused_before_any_work() {
    let ws = Workspace::new();
    let cfg = ws.write("cfg.json", &config_json("", ""));

    // --out is an existing file: named, and refused before the tokenizer is trained.
    ws.write("taken", "not a folder");
    let out = ws.run_train(&[], &cfg, "taken");
    let err = text(&out.stderr);
    assert!(!out.status.success());
    assert_contains(&err, "--out taken: exists and is not a folder");
    assert!(!err.contains("training a"), "{err}");

    // A folder of something else is never replaced, even with --overwrite.
    std::fs::create_dir(ws.path("photos")).unwrap();
    ws.write("photos/cat.jpg", "meow");
    let out = ws.run_train(&["--overwrite"], &cfg, "photos");
    assert_contains(&text(&out.stderr), "is not a model folder");
    assert!(ws.path("photos/cat.jpg").is_file());

    // Type errors name the file, the field and the value typed.
    let bad = ws.write("bad.json", &config_json("", r#""max_len": "64""#));
    let out = ws.run(&["train", "--config", bad.to_str().unwrap(), "--out", "m"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("bad.json:") && err.contains("`data.max_len`") && err.contains("\"64\""),
        "{err}"
    );

    // A CNN whose smallest kernel is wider than max_len cannot learn: refused up front.
    let wide = ws.write("wide.json", &config_json("", r#""max_len": 1"#));
    let out = ws.run(&["train", "--config", wide.to_str().unwrap(), "--out", "wide"]);
    let err = text(&out.stderr);
    assert!(
        err.contains("`model.kernel_widths` = [2]") && err.contains("cannot learn"),
        "{err}"
    );
    assert!(!ws.path("wide").exists() && !ws.path("wide.partial").exists());
}

#[test]
fn a_diverging_run_is_reported_in_the_output_and_the_metrics() {
    let ws = Workspace::new();
    let out = ws.train(&config_json(r#""lr": 1e9"#, ""), "diverged");
    let err = text(&out.stderr);
    assert_contains(&err, "warning: epoch 1: training loss");
    assert_contains(&err, "diverging");
    let warnings = std::fs::read_to_string(ws.path("diverged/warnings.csv")).unwrap();
    assert_contains(&warnings, "loss_diverged");
    let manifest = std::fs::read_to_string(ws.path("diverged/model.json")).unwrap();
    assert_contains(&manifest, "\"loss_diverged\"");

    // A run that learns has no warnings.
    let out = ws.train(&config_json(r#""epochs": 3, "lr": 0.02"#, ""), "learned");
    assert!(
        !text(&out.stderr).contains("warning"),
        "{}",
        text(&out.stderr)
    );
    assert!(!ws.path("learned/warnings.csv").exists());
}
