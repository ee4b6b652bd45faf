//! Missing data through the built binary: reported as missing (path and expected layout)
//! before any download, downloads only into an existing data root, nothing created on failure.

mod model_support;

use model_support::{Workspace, config_json, text};

#[test]
fn a_wrong_data_dir_is_reported_as_missing_and_nothing_is_created() {
    let ws = Workspace::new();
    let cfg = ws.write("cfg.json", &config_json("", ""));
    let cfg = cfg.to_str().unwrap();
    for args in [
        &[
            "train",
            "--quiet",
            "--config",
            cfg,
            "--out",
            "m",
            "--data-dir",
            "nosuch",
        ][..],
        &["eval", "--model", "m", "--data-dir", "nosuch"][..],
    ] {
        let out = ws.run(args);
        let err = text(&out.stderr);
        if args[0] == "eval" {
            // eval needs a model first: train one against the real root.
            assert!(err.contains("m/model.json"), "{err}");
            continue;
        }
        assert!(!out.status.success());
        assert!(
            err.contains("data root not found: nosuch (from the --data-dir flag)"),
            "{err}"
        );
        assert!(
            err.contains("IMDb/train/positive") && err.contains("expected layout"),
            "{err}"
        );
        assert!(
            !err.contains("download") || err.contains("nothing was downloaded"),
            "{err}"
        );
        assert!(!ws.path("nosuch").exists());
        assert!(!ws.path("m").exists() && !ws.path("m.partial").exists());
    }
    ws.train(&config_json("", ""), "m");
    let out = ws.run(&["eval", "--model", "m", "--data-dir", "nosuch"]);
    assert!(
        text(&out.stderr).contains("data root not found: nosuch"),
        "{}",
        text(&out.stderr)
    );
    assert!(!ws.path("nosuch").exists());
}

#[test]
fn a_failed_download_into_an_existing_root_names_the_missing_file_and_leaves_it_empty() {
    let ws = Workspace::new();
    std::fs::create_dir(ws.path("empty")).unwrap();
    let cfg = ws.write("cfg.json", &config_json("", ""));
    let out = ws.run(&[
        "train",
        "--config",
        cfg.to_str().unwrap(),
        "--out",
        "m",
        "--data-dir",
        "empty",
    ]);
    let err = text(&out.stderr);
    assert!(!out.status.success());
    // Reported as missing first, then the download's failure.
    let missing = err
        .find("IMDb/train/positive is missing under empty")
        .expect(&err);
    let failed = err
        .find("downloading the course files into it failed")
        .expect(&err);
    assert!(missing < failed, "{err}");
    assert!(err.contains("expected layout"), "{err}");
    assert_eq!(
        std::fs::read_dir(ws.path("empty")).unwrap().count(),
        0,
        "nothing created"
    );
}

#[test]
fn an_empty_data_variable_falls_back_to_datasets_without_creating_it() {
    let ws = Workspace::new();
    let cfg = ws.write("cfg.json", &config_json("", ""));
    let out = std::process::Command::new(model_support::BIN)
        .args(["train", "--config", cfg.to_str().unwrap(), "--out", "m"])
        .current_dir(ws.dir.path())
        .env("SENTIMENT_RNN_DATA", "")
        .env("SENTIMENT_RNN_DATA_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(err.contains("data root not found: datasets"), "{err}");
    assert!(!ws.path("datasets").exists());
}
