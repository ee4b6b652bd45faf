//! Reading the line files: one text per line, UTF-8; a text containing `"` is CSV-quoted
//! (wrapped in `"`, inner `"` doubled). Blank lines are skipped and counted, never samples.
//!
//! A hand parser: the format has one field per line, so a line is either plain (no `"` at all)
//! or one quoted field; this reads the 65 MB `aclImdb` in a fraction of a second.

use std::path::{Path, PathBuf};

pub use super::error::DataError;
use super::root::DataRoot;

/// Counts gathered while reading one line file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileStats {
    /// The file read.
    pub path: PathBuf,
    /// Texts read (non-blank lines).
    pub texts: usize,
    /// Blank (empty or whitespace-only) lines skipped.
    pub blank_lines: usize,
    /// Texts that were CSV-quoted.
    pub quoted: usize,
}

/// The texts of one unlabeled line file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineFile {
    /// The texts, in file order, quoting removed.
    pub texts: Vec<String>,
    pub stats: FileStats,
}

/// A labeled split read from `<dir>/positive` and `<dir>/negative`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabeledSplit {
    /// Texts: all positive ones first (file order), then all negative ones.
    pub texts: Vec<String>,
    /// `labels[i]` is the class of `texts[i]`: 1 = positive, 0 = negative.
    pub labels: Vec<usize>,
    /// Per-file counts: `[positive, negative]`.
    pub stats: Vec<FileStats>,
}

impl LabeledSplit {
    /// Number of texts.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether the split holds no texts.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The texts and labels at `indices` (in that order), e.g. one side of a
    /// [`super::split::stratified_split`].
    pub fn subset(&self, indices: &[usize]) -> LabeledSplit {
        LabeledSplit {
            texts: indices.iter().map(|&i| self.texts[i].clone()).collect(),
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            stats: self.stats.clone(),
        }
    }

    /// Number of texts with label 1.
    pub fn positives(&self) -> usize {
        self.labels.iter().filter(|&&l| l == 1).count()
    }
}

/// The labeled corpora of the layout described in `datasets/README.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Corpus {
    /// `IMDb/train`: the course's training reviews.
    ImdbTrain,
    /// `IMDb/test`: the course's test reviews.
    ImdbTest,
    /// `Yelp/dev`: labeled Yelp sentences, for reporting only (never for training).
    YelpDev,
    /// `aclImdb/train`: the full Large Movie Review Dataset's train split (scale tests).
    AclImdbTrain,
    /// `aclImdb/test`: the full Large Movie Review Dataset's test split (scale tests).
    AclImdbTest,
}

impl Corpus {
    /// The split's directory relative to the data root.
    pub fn dir(self) -> &'static str {
        match self {
            Corpus::ImdbTrain => "IMDb/train",
            Corpus::ImdbTest => "IMDb/test",
            Corpus::YelpDev => "Yelp/dev",
            Corpus::AclImdbTrain => "aclImdb/train",
            Corpus::AclImdbTest => "aclImdb/test",
        }
    }

    /// Whether the files come from the course repository (and can be downloaded).
    pub fn is_course(self) -> bool {
        matches!(self, Corpus::ImdbTrain | Corpus::ImdbTest)
    }
}

/// The course's unlabeled Yelp review sentences, relative to the data root.
pub const YELP_REVIEWS: &str = "Yelp/reviews.txt";

/// How to obtain a missing file at `rel` (relative to the data root).
pub fn missing_hint(rel: &str) -> String {
    if rel.starts_with("IMDb") || rel == YELP_REVIEWS {
        "to get it: `.ci/run` links ../shared/datasets in when present; otherwise \
         `ensure_course_data` downloads the course files (pinned hse-nlp commit, SHA-256 \
         checked; base URL overridable by SENTIMENT_RNN_DATA_URL)"
            .to_string()
    } else {
        "to get it: `.ci/run` links ../shared/datasets in when present; there is no pinned \
         single-file download for it, build it as datasets/README.md describes"
            .to_string()
    }
}

/// Parses a whole line file held in memory. `path` is only used in errors and stats.
pub fn parse_lines(bytes: &[u8], path: &Path) -> Result<LineFile, DataError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let line_start = bytes[..offset]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |p| p + 1);
        DataError::Utf8 {
            path: path.to_path_buf(),
            line: 1 + bytes[..offset].iter().filter(|&&b| b == b'\n').count(),
            column: offset - line_start + 1,
        }
    })?;
    let mut stats = FileStats {
        path: path.to_path_buf(),
        ..FileStats::default()
    };
    let mut texts = Vec::new();
    let last = text.matches('\n').count();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.trim().is_empty() {
            // A final `\n` leaves one empty piece after it: not a blank line of the file.
            if !(raw.is_empty() && i > 0 && i == last) {
                stats.blank_lines += 1;
            }
            continue;
        }
        let parsed = parse_line(line).map_err(|(column, message)| DataError::Format {
            path: path.to_path_buf(),
            line: i + 1,
            column,
            message,
        })?;
        if line.starts_with('"') {
            stats.quoted += 1;
        }
        texts.push(parsed);
    }
    if texts.is_empty() {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
            blank_lines: stats.blank_lines,
        });
    }
    stats.texts = texts.len();
    Ok(LineFile { texts, stats })
}

/// One non-blank line → its text, or `(1-based char column, what was expected)`.
fn parse_line(line: &str) -> Result<String, (usize, String)> {
    let Some(body) = line.strip_prefix('"') else {
        return match line.find('"') {
            None => Ok(line.to_string()),
            Some(at) => Err((
                line[..at].chars().count() + 1,
                "quote inside an unquoted text (expected a text containing `\"` to be wrapped \
                 in quotes, with inner quotes doubled)"
                    .to_string(),
            )),
        };
    };
    let mut out = String::with_capacity(body.len());
    let mut chars = body.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '"' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some((_, '"')) => {
                out.push('"');
                chars.next();
            }
            None => return Ok(out),
            Some(&(at, _)) => {
                return Err((
                    body[..at].chars().count() + 2,
                    "text after the closing quote (expected the line to end there, or inner \
                     quotes to be doubled as `\"\"`)"
                        .to_string(),
                ));
            }
        }
    }
    Err((
        line.chars().count() + 1,
        "unterminated quoted text (expected a closing `\"` before the end of the line)".to_string(),
    ))
}

/// Reads one line file from disk.
pub fn read_lines(path: &Path) -> Result<LineFile, DataError> {
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_lines(&bytes, path)
}

/// Reads `<dir>/positive` (label 1) and `<dir>/negative` (label 0).
pub fn read_labeled_dir(dir: &Path) -> Result<LabeledSplit, DataError> {
    let pos = read_lines(&dir.join("positive"))?;
    let neg = read_lines(&dir.join("negative"))?;
    Ok(join_labeled(pos, neg))
}

fn join_labeled(pos: LineFile, neg: LineFile) -> LabeledSplit {
    let mut labels = vec![1; pos.texts.len()];
    labels.resize(pos.texts.len() + neg.texts.len(), 0);
    let mut texts = pos.texts;
    texts.extend(neg.texts);
    LabeledSplit {
        texts,
        labels,
        stats: vec![pos.stats, neg.stats],
    }
}

impl DataRoot {
    /// Reads the file at `rel` under the root; a missing file is a [`DataError::Missing`]
    /// naming the root, how it was chosen and how to get the file.
    pub fn read_lines(&self, rel: &str) -> Result<LineFile, DataError> {
        let path = self.join(rel);
        if !path.is_file() {
            return Err(self.missing(rel));
        }
        read_lines(&path)
    }

    /// The labeled split `corpus`. The root must exist; course files missing in it are
    /// reported, then downloaded into it (see [`super::download::ensure_course_data`]).
    pub fn labeled(&self, corpus: Corpus) -> Result<LabeledSplit, DataError> {
        let dir = corpus.dir();
        self.require_exists()?;
        if corpus.is_course() {
            let prefix = format!("{dir}/");
            self.fetch_missing(|p| p.starts_with(&prefix))?;
        }
        if !self.join(dir).is_dir() {
            return Err(self.missing(dir));
        }
        let pos = self.read_lines(&format!("{dir}/positive"))?;
        let neg = self.read_lines(&format!("{dir}/negative"))?;
        Ok(join_labeled(pos, neg))
    }

    /// The course's unlabeled Yelp sentences (`Yelp/reviews.txt`), downloaded when missing.
    pub fn yelp_reviews(&self) -> Result<LineFile, DataError> {
        self.require_exists()?;
        self.fetch_missing(|p| p == YELP_REVIEWS)?;
        self.read_lines(YELP_REVIEWS)
    }

    /// Says which wanted course file is missing, then downloads the missing ones; a failed
    /// download is reported as the missing file with the reason.
    fn fetch_missing(&self, wanted: impl Fn(&str) -> bool) -> Result<(), DataError> {
        let Some(first) = super::download::course_sources()
            .into_iter()
            .find(|s| wanted(&s.path) && !self.join(&s.path).is_file())
        else {
            return Ok(());
        };
        eprintln!(
            "{} is missing under {}: downloading the course files (SHA-256 checked) from {}",
            first.path,
            self.path.display(),
            super::download::base_url()
        );
        match super::download::ensure_course_files(self, wanted) {
            Err(DataError::Download(source)) => Err(DataError::DownloadFailed {
                path: self.join(&first.path),
                what: first.path,
                root: self.clone(),
                source: Box::new(source),
            }),
            other => other.map(drop),
        }
    }

    /// The "not found" error for `rel` under this root.
    pub fn missing(&self, rel: &str) -> DataError {
        DataError::Missing {
            what: rel.to_string(),
            path: self.join(rel),
            root: self.clone(),
            hint: missing_hint(rel),
        }
    }
}
