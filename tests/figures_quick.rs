//! `figures --quick` end to end into a temporary folder: decodable PNGs and SVGs, the CSVs,
//! the REPORT tables and a 4000-line 0/1 Yelp file; a rerun reuses the run cache and a narrower
//! rerun leaves no stale prose.

use std::path::Path;
use std::process::Command;

use sentiment_rnn::report::figures::FIGURE_NAMES;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_figures"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("figures runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "figures {args:?} failed:\n{stderr}");
    stderr
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Width and height from a PNG's IHDR, after checking the signature and the closing IEND.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let word = |at: usize| -> [u8; 4] { bytes[at..at + 4].try_into().unwrap() };
    assert!(
        bytes.starts_with(PNG_SIGNATURE),
        "{} is not a PNG",
        path.display()
    );
    assert_eq!(&word(12), b"IHDR");
    assert_eq!(
        &word(bytes.len() - 8),
        b"IEND",
        "{} is truncated",
        path.display()
    );
    (u32::from_be_bytes(word(16)), u32::from_be_bytes(word(20)))
}

#[test]
fn quick_study_writes_figures_tables_and_yelp_predictions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let runs = tmp.path().join("runs");
    let (out_s, runs_s) = (out.to_str().unwrap(), runs.to_str().unwrap());
    let log = run(&[
        "--quick",
        "--quiet",
        "--epochs",
        "1",
        "--out-dir",
        out_s,
        "--runs-dir",
        runs_s,
    ]);
    assert!(!log.contains("cached"), "{log}");

    // Every figure the study draws.
    for name in FIGURE_NAMES {
        assert_eq!(
            png_size(&out.join(format!("{name}.png"))),
            (1000, 600),
            "{name}"
        );
        let svg = std::fs::read_to_string(out.join(format!("{name}.svg"))).unwrap();
        assert!(
            svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
            "{name}.svg"
        );
    }
    let runs_csv = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs_csv.starts_with(
        "model,kind,seed,params,best_epoch,val_accuracy,test_accuracy,yelp_dev_accuracy,train_seconds\n"
    ));
    assert_eq!(
        runs_csv.lines().count(),
        1 + 12,
        "one row per model (11 study models and the BiLSTM with the n-gram bag):\n{runs_csv}"
    );
    for csv in [
        "learning_curves.csv",
        "length_buckets.csv",
        "grad_flow.csv",
        "baseline.csv",
    ] {
        assert!(
            std::fs::read_to_string(out.join(csv))
                .unwrap()
                .lines()
                .count()
                > 1,
            "{csv}"
        );
    }

    let yelp = std::fs::read_to_string(out.join("yelp_predictions.txt")).unwrap();
    assert_eq!(yelp.lines().count(), 4000);
    assert!(yelp.ends_with('\n') && yelp.lines().all(|l| l == "0" || l == "1"));

    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(report.contains("| Model | Parameters | Test accuracy (%) | Validation accuracy (%) | Yelp/dev accuracy (%) | Train time (s) | s / epoch |"));
    // Question 8 hands in a copy of one finished run's labels, and the report names it.
    let chosen = std::fs::read_dir(&runs)
        .unwrap()
        .filter_map(|e| {
            std::fs::read_to_string(e.unwrap().path().join("yelp_predictions.txt")).ok()
        })
        .filter(|p| *p == yelp)
        .count();
    assert!(chosen >= 1, "the handed-in file is one run's labels");
    assert!(report.contains(
        "`yelp_predictions.txt` comes from that recipe, one model at its seed with the best IMDb validation accuracy (nothing is picked on Yelp)"
    ));
    assert!(
        report.contains(
            "**Outside knowledge.** The handed-in model reads the VADER sentiment lexicon"
        )
    );
    assert!(report.contains("- Training: every model is fit on the "));
    for heading in [
        "## 1. Tokenizer",
        "## 3. Recurrent network",
        "## 5. Gate ablations",
        "## 7. Bidirectional LSTM",
        "## 8. Generalisation to Yelp",
        "## 9. TF-IDF baseline",
    ] {
        assert!(report.contains(heading), "missing {heading}");
    }
    assert!(report.contains("| TF-IDF + logistic regression |"));
    // Question 9 compares the BiLSTM with and without the n-gram bag.
    assert!(report.contains("| BiLSTM max + n-gram bag |"));
    assert!(report.contains("BiLSTM max + n-gram bag adds to the BiLSTM a bag of token unigrams"));
    assert!(report.contains("![Test accuracy by review-length quartile](length_buckets.png)"));
    assert!(!report.contains("Not run in this invocation"));

    // A narrower rerun comes from the cache and drops the sections it did not run.
    let log = run(&[
        "--quick",
        "--quiet",
        "--epochs",
        "1",
        "--only",
        "cnn,rnn",
        "--out-dir",
        out_s,
        "--runs-dir",
        runs_s,
    ]);
    assert!(
        log.contains("CNN seed 0: cached") && log.contains("LSTM seed 0: cached"),
        "{log}"
    );
    let report = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    assert!(!report.contains("| BiLSTM"), "stale rows remain");
    assert!(
        !out.join("gate_ablation.png").exists(),
        "stale figure remains"
    );
    assert!(report.contains("## 5. Gate ablations\n\n_Fix each LSTM gate (forget, input, output) to 1 in turn._\n\nNot run in this invocation."));

    // `--report-only` redraws the report from results.json without training anything.
    std::fs::remove_file(out.join("REPORT.md")).unwrap();
    let log = run(&[
        "--report-only",
        "--out-dir",
        out_s,
        "--runs-dir",
        "/nonexistent",
    ]);
    assert!(
        !log.contains("seed 0"),
        "nothing is trained or loaded: {log}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("REPORT.md")).unwrap(),
        report
    );
}

#[test]
fn a_bad_experiment_name_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_figures"))
        .args([
            "--quick",
            "--only",
            "cnnn",
            "--out-dir",
            "/nonexistent/never-written",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown experiment `cnnn`") && err.contains("bidirectional"),
        "{err}"
    );
}
