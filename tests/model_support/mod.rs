//! Shared by the model-folder and CLI tests: a tiny made-up data root, a tiny config, and
//! running the built `sentiment-rnn` binary.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The built binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_sentiment-rnn");

pub const POSITIVE: [&str; 6] = ["good", "great", "wonderful", "lovely", "superb", "fine"];
pub const NEGATIVE: [&str; 6] = ["bad", "awful", "boring", "terrible", "poor", "dull"];
const FILLER: [&str; 8] = ["the", "movie", "film", "was", "and", "plot", "actors", "a"];

/// `count` made-up reviews whose sentiment words come from `words` (deterministic).
pub fn reviews(words: &[&str], count: usize, salt: usize) -> String {
    let mut text = String::new();
    for r in 0..count {
        let len = 6 + (r * 7 + salt) % 9;
        let review: Vec<&str> = (0..len)
            .map(|i| match (r + i * 3 + salt) % 3 {
                0 => words[(r * 5 + i) % words.len()],
                _ => FILLER[(r + i * 7 + salt) % FILLER.len()],
            })
            .collect();
        text.push_str(&review.join(" "));
        text.push('\n');
    }
    text
}

/// Writes a tiny course layout (`IMDb/{train,test}/{positive,negative}`) under `root`.
pub fn write_data_root(root: &Path) {
    for (split, count, salt) in [("train", 100, 0), ("test", 40, 1)] {
        let dir = root.join("IMDb").join(split);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("positive"), reviews(&POSITIVE, count, salt)).unwrap();
        std::fs::write(dir.join("negative"), reviews(&NEGATIVE, count, salt + 2)).unwrap();
    }
}

/// A tiny CNN config; `train` and `data` are extra fields of those sections (e.g.
/// `"split_seed": 5`), replacing the defaults of the same name.
pub fn config_json(train: &str, data: &str) -> String {
    let section = |defaults: &[(&str, &str)], extra: &str| {
        let mut fields: Vec<String> = defaults
            .iter()
            .filter(|(key, _)| !extra.contains(&format!("\"{key}\"")))
            .map(|(key, value)| format!("\"{key}\": {value}"))
            .collect();
        if !extra.is_empty() {
            fields.push(extra.to_string());
        }
        format!("{{{}}}", fields.join(", "))
    };
    format!(
        "{{\"model\": {{\"kind\": \"cnn\", \"embedding_dim\": 8, \"channels\": 8, \"kernel_widths\": [2]}},\n \"train\": {},\n \"data\": {}}}",
        section(&[("epochs", "2"), ("batch_size", "16")], train),
        section(&[("vocab_size", "300"), ("max_len", "32")], data)
    )
}

/// A temp folder with a data root (`data/`) and a helper to write configs.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        write_data_root(&dir.path().join("data"));
        Self { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `text` to `rel` and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path(rel);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Runs the binary in the workspace with the data root set and no download possible.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_stdin(args, None)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: Option<&[u8]>) -> Output {
        let mut child = self.spawn(args);
        {
            use std::io::Write;
            let mut input = child.stdin.take().unwrap();
            if let Some(bytes) = stdin {
                input.write_all(bytes).unwrap();
            }
        }
        let output = child.wait_with_output().unwrap();
        assert_ne!(
            output.status.code(),
            Some(101),
            "panicked: {}",
            text(&output.stderr)
        );
        output
    }

    /// Starts the binary in the workspace with the data root set, no download possible and
    /// stdin, stdout and stderr piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env("SENTIMENT_RNN_DATA", self.path("data"))
            // A closed local port: any download attempt fails at once.
            .env("SENTIMENT_RNN_DATA_URL", "http://127.0.0.1:9")
            .env("RUST_BACKTRACE", "0")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs `train --quiet <flags> --config <config> --out <out>`, successful or not.
    pub fn run_train(&self, flags: &[&str], config: &Path, out: &str) -> Output {
        let mut args = vec!["train", "--quiet"];
        args.extend_from_slice(flags);
        args.extend(["--config", config.to_str().unwrap(), "--out", out]);
        self.run(&args)
    }

    /// Trains `config` into `out`; panics unless it succeeds.
    pub fn train(&self, config: &str, out: &str) -> Output {
        let cfg = self.write(&format!("{out}.config.json"), config);
        let output = self.run_train(&[], &cfg, out);
        assert!(
            output.status.success(),
            "train failed: {}",
            text(&output.stderr)
        );
        output
    }
}

/// Lossy UTF-8 of captured output.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails unless `haystack` contains `needle`, showing `haystack`.
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(haystack.contains(needle), "{haystack}");
}

/// Every file under `dir` with its bytes, sorted by path (to show a folder did not change).
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    walk(dir, &mut out);
    out.sort();
    out
}
