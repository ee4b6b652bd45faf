//! Checks the module rows of the [`nn`](super) doc: every `super::`/`crate::nn::` path in a
//! file names a module on a lower row (or the file's own module), so there is no import cycle.

use std::path::{Path, PathBuf};

/// The rows of the module doc, lowest first.
const ROWS: [&[&str]; 10] = [
    &["params", "gates"],
    &["sequence", "directions", "embedding", "linear"],
    &["conv1d", "pooling", "reference", "valence"],
    &["config", "fused"],
    &["backend"],
    &["sequence_layer"],
    &["rnn", "lstm", "cnn", "ngram"],
    &["bidirectional"],
    &["stack"],
    &["classifier"],
];

fn row(module: &str) -> Option<usize> {
    ROWS.iter().position(|r| r.contains(&module))
}

/// The `nn` modules a source line names: after `crate::nn::` anywhere, and after `super::`
/// in a file directly under `nn/` (`top_level`). Comments are skipped.
fn named_modules(line: &str, top_level: bool) -> Vec<String> {
    let code = line.trim_start();
    if code.starts_with("//") {
        return vec![];
    }
    let mut prefixes = vec!["crate::nn::"];
    if top_level {
        prefixes.push("super::");
    }
    let mut names = vec![];
    for prefix in prefixes {
        for (at, _) in code.match_indices(prefix) {
            let rest = &code[at + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if row(&name).is_some() {
                names.push(name);
            }
        }
    }
    names
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("nn/ is readable") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_only_use_lower_rows() {
    let nn = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/nn");
    let mut files = vec![];
    rust_files(&nn, &mut files);
    let mut violations = vec![];
    for file in files {
        let relative = file.strip_prefix(&nn).expect("under nn/");
        let first = relative.components().next().expect("a file name");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "mod" || module == "layering" {
            continue;
        }
        let own = row(&module).unwrap_or_else(|| panic!("{module} is in no row of nn's doc"));
        let top_level = relative.components().count() == 1;
        let text = std::fs::read_to_string(&file).expect("source is readable");
        for (n, line) in text.lines().enumerate() {
            for name in named_modules(line, top_level) {
                let theirs = row(&name).expect("named_modules keeps known modules");
                if name != module && theirs >= own {
                    violations.push(format!(
                        "{}:{}: {module} uses {name}",
                        file.display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}
