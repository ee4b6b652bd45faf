//! Errors from reading and downloading data files: each names the file (and line) and what was
//! expected.

use std::path::PathBuf;

use super::root::{DATA_LAYOUT, DataRoot};

/// A data file could not be read, parsed or obtained.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A line breaks the line format (one text per line, CSV quoting for texts with `"`).
    #[error("{path}:{line}:{column}: {message}", path = path.display())]
    Format {
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based character column of the offending character.
        column: usize,
        message: String,
    },
    /// The file is not valid UTF-8.
    #[error(
        "{path}:{line}: invalid UTF-8 at byte {column} of the line (expected UTF-8 text)",
        path = path.display()
    )]
    Utf8 {
        path: PathBuf,
        line: usize,
        /// 1-based byte column of the first invalid byte.
        column: usize,
    },
    /// The file holds no texts at all.
    #[error(
        "{path}: empty file ({blank_lines} blank lines, no text); expected one text per line",
        path = path.display()
    )]
    Empty { path: PathBuf, blank_lines: usize },
    /// A data file or directory does not exist.
    #[error(
        "{what} not found: {path}\n  data is looked for under {root}\n  {hint}\n{DATA_LAYOUT}",
        path = path.display()
    )]
    Missing {
        /// What was looked for, e.g. "IMDb/train/positive".
        what: String,
        path: PathBuf,
        root: DataRoot,
        /// How to get it.
        hint: String,
    },
    /// The data root itself does not exist: nothing is downloaded or created.
    #[error(
        "data root not found: {root}\n  point --data-dir or SENTIMENT_RNN_DATA at the folder \
         that holds the data (nothing was downloaded or created)\n{DATA_LAYOUT}"
    )]
    RootMissing { root: DataRoot },
    /// A course file is missing and downloading it into the data root failed.
    #[error(
        "{what} not found: {path}\n  data is looked for under {root}\n  downloading the course \
         files into it failed: {source}\n{DATA_LAYOUT}",
        path = path.display()
    )]
    DownloadFailed {
        what: String,
        path: PathBuf,
        root: DataRoot,
        source: Box<DownloadError>,
    },
    /// An I/O error other than "not found".
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A download failed (network, HTTP status or checksum).
    #[error(transparent)]
    Download(#[from] DownloadError),
}

/// A download that failed; nothing is left at the destination.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The server answered with an HTTP error status.
    #[error("downloading {url}: HTTP status {status} (expected 200); nothing was written")]
    Status { url: String, status: u16 },
    /// The connection failed or broke off.
    #[error("downloading {url}: {message}; nothing was written")]
    Transport { url: String, message: String },
    /// The bytes did not have the pinned checksum.
    #[error(
        "downloading {url}: SHA-256 mismatch (expected {expected}, got {actual}); \
         the file was not written"
    )]
    Checksum {
        url: String,
        expected: String,
        actual: String,
    },
    /// Writing the file failed.
    #[error("writing {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

// Beside the error it returns, so that `root` needs nothing from this file.
impl DataRoot {
    /// Fails with [`DataError::RootMissing`] unless the root folder exists (so a mistyped
    /// `--data-dir` is reported as such, and never filled by a download).
    pub fn require_exists(&self) -> Result<(), DataError> {
        if self.path.is_dir() {
            Ok(())
        } else {
            Err(DataError::RootMissing { root: self.clone() })
        }
    }
}
