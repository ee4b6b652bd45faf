//! The crate's dependencies run one way, as `lib.rs` draws them.
//!
//! Reads every `src/**/*.rs` file, collects the `crate::…`, `super::…` and `sentiment_rnn::…`
//! paths it names (in `use` trees and inline), resolves each to the file that defines it (through
//! `pub use` re-exports), and checks two rules:
//! - layers: a top-level module only uses modules at or below its own layer;
//! - files: no import cycle between files (a file's own `#[cfg(test)]` module included).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layers from the bottom up; a module may use its own layer and the ones before it.
const LAYERS: &[&[&str]] = &[
    &["cpu"],
    &["tokenizer"],
    &["data"],
    &["nn"],
    &["train"],
    &["saved"],
    &["study"],
    &["report"],
    &["cli"],
    &["bin"],
];

/// A module path such as `["nn", "fused", "lstm"]` (the crate root is `[]`).
type ModPath = Vec<String>;

struct SourceFile {
    module: ModPath,
    text: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/nn/fused/mod.rs` → `[nn, fused]`; `src/nn/lstm.rs` → `[nn, lstm]`; binaries → `[bin, name]`.
fn module_of(relative: &Path) -> ModPath {
    let mut parts: ModPath = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" {
        parts.push(stem.to_string());
    }
    parts
}

fn load_sources() -> BTreeMap<ModPath, SourceFile> {
    let mut paths = Vec::new();
    rust_files(&src_dir(), &mut paths);
    paths
        .into_iter()
        .map(|path| {
            let module = module_of(path.strip_prefix(src_dir()).unwrap());
            let text = strip_comments(&std::fs::read_to_string(&path).unwrap());
            (module.clone(), SourceFile { module, text })
        })
        .collect()
}

/// Removes `//` line comments and string literals' contents, which may mention paths.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut prev = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_string && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            let char_literal = prev == '\'' && chars.get(i + 1) == Some(&'\'');
            if c == '"' && prev != '\\' && !char_literal {
                in_string = !in_string;
            } else if !in_string {
                kept.push(c);
            }
            prev = if prev == '\\' && c == '\\' { ' ' } else { c };
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// Expands a use tree such as `crate::a::{b, c::{d, e}}` into full paths.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.len() - 1];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand_use_tree(&format!("{prefix}{p}")))
        .collect()
}

/// Every path a file names: the trees of its `use` items and inline `crate::`/`super::` paths.
fn named_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = text;
    while let Some(at) = find_use(rest) {
        let after = &rest[at..];
        let end = after.find(';').unwrap_or(after.len());
        let tree = after[..end].trim_start_matches("use").trim();
        paths.extend(expand_use_tree(tree));
        rest = &after[end..];
    }
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == ':';
    for root in ["crate::", "super::", "sentiment_rnn::"] {
        let mut from = 0;
        while let Some(pos) = text[from..].find(root) {
            let start = from + pos;
            let preceded = text[..start].chars().next_back().is_some_and(ident);
            let end = text[start..]
                .find(|c: char| !ident(c))
                .map_or(text.len(), |e| start + e);
            if !preceded {
                paths.push(text[start..end].trim_end_matches(':').to_string());
            }
            from = end.max(start + root.len());
        }
    }
    paths
}

/// The position of the next `use` item (at a word boundary).
fn find_use(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = text[from..].find("use ") {
        let at = from + pos;
        let before = text[..at].chars().next_back();
        if before.is_none_or(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}') {
            return Some(at);
        }
        from = at + 4;
    }
    None
}

/// Resolves `path` named in `file` to the module that defines the item.
fn resolve(
    path: &str,
    file: &ModPath,
    modules: &BTreeSet<ModPath>,
    reexports: &BTreeMap<(ModPath, String), ModPath>,
) -> Option<ModPath> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: ModPath = match segments.first()? {
        &"crate" | &"sentiment_rnn" => Vec::new(),
        &"super" => {
            // `super` of `a/b.rs` and of `a/b/mod.rs` is `a`.
            let mut m = file.clone();
            m.pop();
            m
        }
        _ => return None,
    };
    segments.remove(0);
    while segments.first() == Some(&"super") {
        base.pop();
        segments.remove(0);
    }
    let mut module = base;
    for segment in segments {
        let mut next = module.clone();
        next.push(segment.to_string());
        if modules.contains(&next) {
            module = next;
        } else if let Some(target) = reexports.get(&(module.clone(), segment.to_string())) {
            return Some(target.clone());
        } else {
            break;
        }
    }
    Some(module)
}

struct Graph {
    edges: BTreeMap<ModPath, BTreeSet<ModPath>>,
}

fn build_graph() -> Graph {
    let sources = load_sources();
    let modules: BTreeSet<ModPath> = sources.keys().cloned().collect();
    // `pub use child::Item;` in a module file: `module::Item` is defined in `module::child`.
    let mut reexports = BTreeMap::new();
    for source in sources.values() {
        for line in source.text.split(';') {
            let Some(at) = line.find("pub use ") else {
                continue;
            };
            for path in expand_use_tree(&line[at + 8..]) {
                let name = path.rsplit("::").next().unwrap_or("").to_string();
                let absolute = if path.starts_with("crate::") || path.starts_with("super::") {
                    path.clone()
                } else {
                    let prefix = source.module.join("::");
                    format!("crate::{prefix}::{path}")
                };
                let target = resolve(&absolute, &source.module, &modules, &BTreeMap::new());
                if let Some(target) = target
                    && target != source.module
                {
                    reexports.insert((source.module.clone(), name), target);
                }
            }
        }
    }
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for source in sources.values() {
        for path in named_paths(&source.text) {
            if let Some(target) = resolve(&path, &source.module, &modules, &reexports)
                && target != source.module
                && !target.is_empty()
                && !source.module.starts_with(&target)
            {
                edges
                    .entry(source.module.clone())
                    .or_default()
                    .insert(target);
            }
        }
    }
    Graph { edges }
}

fn layer_of(module: &ModPath) -> Option<usize> {
    let top = module.first()?;
    LAYERS
        .iter()
        .position(|layer| layer.contains(&top.as_str()))
}

/// Every edge from a module to one in a higher layer.
fn upward_uses(graph: &Graph) -> Vec<String> {
    let mut violations = Vec::new();
    for (from, targets) in &graph.edges {
        for to in targets {
            if let (Some(a), Some(b)) = (layer_of(from), layer_of(to))
                && b > a
            {
                violations.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    violations
}

#[test]
fn top_level_modules_depend_only_downwards() {
    let violations = upward_uses(&build_graph());
    assert!(
        violations.is_empty(),
        "upward dependencies:\n{}",
        violations.join("\n")
    );
}

#[test]
fn every_top_level_module_has_a_layer() {
    let unplaced: BTreeSet<String> = load_sources()
        .keys()
        .filter_map(|module| module.first())
        .filter(|top| layer_of(&vec![top.to_string()]).is_none())
        .cloned()
        .collect();
    assert!(
        unplaced.is_empty(),
        "add these modules to LAYERS: {unplaced:?}"
    );
}

#[test]
fn no_import_cycles_between_files() {
    let graph = build_graph();
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "import cycles:\n{}",
        cycles
            .iter()
            .map(|c| c
                .iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" → "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Strongly connected components with more than one file (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<ModPath>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g ModPath, usize>,
        low: BTreeMap<&'g ModPath, usize>,
        stack: Vec<&'g ModPath>,
        on_stack: BTreeSet<&'g ModPath>,
        found: Vec<Vec<ModPath>>,
    }
    fn visit<'g>(state: &mut State<'g>, node: &'g ModPath) {
        let next = state.index.len();
        state.index.insert(node, next);
        state.low.insert(node, next);
        state.stack.push(node);
        state.on_stack.insert(node);
        if let Some(targets) = state.graph.edges.get(node) {
            for target in targets {
                if !state.index.contains_key(target) {
                    visit(state, target);
                    let low = state.low[node].min(state.low[target]);
                    state.low.insert(node, low);
                } else if state.on_stack.contains(target) {
                    let low = state.low[node].min(state.index[target]);
                    state.low.insert(node, low);
                }
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                component.push(top.clone());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.reverse();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for node in graph.edges.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn the_checker_sees_a_planted_cycle_and_an_upward_use() {
    let tree = expand_use_tree("crate::a::{b, c::{d, e}}");
    assert_eq!(tree, ["crate::a::b", "crate::a::c::d", "crate::a::c::e"]);
    let paths =
        named_paths("use crate::nn::{lstm::Lstm, gates};\nlet x = super::super::train::fit();");
    assert!(paths.contains(&"crate::nn::lstm::Lstm".to_string()));
    assert!(paths.contains(&"super::super::train::fit".to_string()));
    let a: ModPath = vec!["nn".into(), "a".into()];
    let b: ModPath = vec!["nn".into(), "b".into()];
    let graph = Graph {
        edges: BTreeMap::from([
            (a.clone(), BTreeSet::from([b.clone()])),
            (b.clone(), BTreeSet::from([a.clone()])),
        ]),
    };
    assert_eq!(cycles(&graph), vec![vec![a.clone(), b.clone()]]);
    assert!(upward_uses(&graph).is_empty());
    let study: ModPath = vec!["study".into(), "runner".into()];
    let report: ModPath = vec!["report".into(), "figures".into()];
    let upward = Graph {
        edges: BTreeMap::from([
            (study, BTreeSet::from([report.clone()])),
            (report, BTreeSet::new()),
        ]),
    };
    assert_eq!(upward_uses(&upward), ["study::runner uses report::figures"]);
    assert!(cycles(&upward).is_empty());
}
