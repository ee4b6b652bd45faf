//! Where the data lives: flag `--data-dir` > env `SENTIMENT_RNN_DATA` > `./datasets`.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

/// The environment variable naming the data root.
pub const DATA_ENV: &str = "SENTIMENT_RNN_DATA";

/// The files expected under a data root (shown when one is missing).
pub const DATA_LAYOUT: &str =
    "  expected layout under the data root (datasets/README.md has the line format):
    IMDb/train/positive  IMDb/train/negative   course training reviews
    IMDb/test/positive   IMDb/test/negative    course test reviews
    Yelp/reviews.txt                           course Yelp sentences (unlabeled)
    Yelp/dev/positive    Yelp/dev/negative     labeled Yelp sentences (reporting only)
    aclImdb/{train,test}/{positive,negative}   full Large Movie Review Dataset (optional)";

/// How the data root was chosen (reported in "file not found" errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootOrigin {
    /// The `--data-dir` command-line flag.
    Flag,
    /// The `SENTIMENT_RNN_DATA` environment variable.
    Env,
    /// The built-in default (`datasets/` in the current directory, or a test's default).
    Default,
}

impl fmt::Display for RootOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RootOrigin::Flag => "from the --data-dir flag",
            RootOrigin::Env => "from the SENTIMENT_RNN_DATA environment variable",
            RootOrigin::Default => "the default; set --data-dir or SENTIMENT_RNN_DATA to change it",
        })
    }
}

/// A resolved data root directory and how it was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRoot {
    /// The directory holding `IMDb/`, `Yelp/` and `aclImdb/`.
    pub path: PathBuf,
    /// Which source chose `path`.
    pub origin: RootOrigin,
}

impl DataRoot {
    /// A root at `path` chosen by `origin`.
    pub fn new(path: impl Into<PathBuf>, origin: RootOrigin) -> Self {
        Self {
            path: path.into(),
            origin,
        }
    }

    /// Resolves flag > env `SENTIMENT_RNN_DATA` (when non-empty) > `default`.
    pub fn resolve(flag: Option<&Path>, default: &Path) -> Self {
        Self::resolve_from(flag, std::env::var_os(DATA_ENV).as_deref(), default)
    }

    /// [`DataRoot::resolve`] with the environment variable's value given.
    pub fn resolve_from(flag: Option<&Path>, env: Option<&OsStr>, default: &Path) -> Self {
        match (flag, env) {
            (Some(p), _) => Self::new(p, RootOrigin::Flag),
            (None, Some(v)) if !v.is_empty() => Self::new(v, RootOrigin::Env),
            _ => Self::new(default, RootOrigin::Default),
        }
    }

    /// `self.path.join(rel)`.
    pub fn join(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.path.join(rel)
    }
}

impl fmt::Display for DataRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.origin)
    }
}

/// The data root for a command: flag `--data-dir` > env `SENTIMENT_RNN_DATA` > `./datasets`.
pub fn data_root(flag: Option<&Path>) -> DataRoot {
    DataRoot::resolve(flag, Path::new("datasets"))
}
