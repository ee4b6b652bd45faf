//! Downloading the course's data files when they are missing: pinned URLs, SHA-256 checked,
//! written atomically (a temp file in the target directory, renamed only once verified), so an
//! error of any kind leaves no file — whole or partial — behind.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::error::DataError;
pub use super::error::DownloadError;
use super::root::DataRoot;

/// The environment variable overriding [`COURSE_BASE_URL`].
pub const DATA_URL_ENV: &str = "SENTIMENT_RNN_DATA_URL";

/// The course repository's data folder at the pinned commit; a file's URL is `<base>/<path>`.
pub const COURSE_BASE_URL: &str = "https://raw.githubusercontent.com/ashaba1in/hse-nlp/\
8a1586e4f88c7cd5471860cf9ea52bd40e5ec394/homeworks/hw2/datasets";

/// One downloadable file: its path under the data root (and under the base URL) and the
/// SHA-256 its bytes must have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// Relative path, `/`-separated, e.g. `IMDb/train/positive`.
    pub path: String,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
}

impl Source {
    /// A source at `path` with checksum `sha256`.
    pub fn new(path: &str, sha256: &str) -> Self {
        Self {
            path: path.to_string(),
            sha256: sha256.to_ascii_lowercase(),
        }
    }
}

/// The course files (`datasets/README.md` lists the same paths and checksums).
pub fn course_sources() -> Vec<Source> {
    [
        (
            "IMDb/train/positive",
            "b1565a1ffbefb0ec90a49012d1afe0c111c8ccd716a5008942f001258a6f12a7",
        ),
        (
            "IMDb/train/negative",
            "abb09ee95beb0ccc0430f63a6a300e2d02341a404945d5cf62bf9669866ad4dc",
        ),
        (
            "IMDb/test/positive",
            "9e4a70a3f860ff7bbb32ec8771afea0f591d1e584a2d97c53594f6012cf0b0a4",
        ),
        (
            "IMDb/test/negative",
            "9b969011d9792cb9e10e901bb31bb74f34e8fd3300caa4a09db1691657cd0270",
        ),
        (
            "Yelp/reviews.txt",
            "941524507ad181766b9c510ebd3af8371587ca84c81f4ae821778cb38a67ea6e",
        ),
    ]
    .into_iter()
    .map(|(p, h)| Source::new(p, h))
    .collect()
}

/// The base URL: env `SENTIMENT_RNN_DATA_URL` when set and non-empty, else [`COURSE_BASE_URL`].
pub fn base_url() -> String {
    match std::env::var(DATA_URL_ENV) {
        Ok(v) if !v.is_empty() => v,
        _ => COURSE_BASE_URL.to_string(),
    }
}

/// Lowercase hex SHA-256 of a file.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Downloads `url` to `dest`, checking the bytes against `sha256`. The file appears at `dest`
/// only if the download completed and matched; on any error nothing is left behind, not even
/// the folders made for it.
pub fn download_file(url: &str, dest: &Path, sha256: &str) -> Result<(), DownloadError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let created = create_missing_dirs(dir)?;
    let result = fetch(url, dest, dir, sha256);
    if result.is_err() {
        // Deepest first; `remove_dir` leaves any folder that is not empty.
        for made in &created {
            let _ = std::fs::remove_dir(made);
        }
    }
    result
}

/// Creates `dir` and its missing ancestors; returns those it created, deepest first.
fn create_missing_dirs(dir: &Path) -> Result<Vec<PathBuf>, DownloadError> {
    let missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect();
    for (made, d) in missing.iter().rev().enumerate() {
        if let Err(source) = std::fs::create_dir(d) {
            for undo in missing.iter().rev().take(made).rev() {
                let _ = std::fs::remove_dir(undo);
            }
            return Err(DownloadError::Io {
                path: d.clone(),
                source,
            });
        }
    }
    Ok(missing)
}

/// Streams `url` into a temp file in `dir`, checks it and renames it onto `dest`.
fn fetch(url: &str, dest: &Path, dir: &Path, sha256: &str) -> Result<(), DownloadError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DownloadError::Io { path, source }
    };
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(30))
        .timeout_read(Duration::from_secs(60))
        .build();
    let response = agent.get(url).call().map_err(|e| match e {
        ureq::Error::Status(status, _) => DownloadError::Status {
            url: url.to_string(),
            status,
        },
        ureq::Error::Transport(t) => DownloadError::Transport {
            url: url.to_string(),
            message: t.to_string(),
        },
    })?;
    let name = dest
        .file_name()
        .map_or_else(|| "download".into(), |n| n.to_string_lossy().into_owned());
    let temp = TempFile::create(dir.join(format!(".{name}.part-{}", std::process::id())))?;
    let mut reader = response.into_reader();
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut file = temp.file.as_ref().expect("open until persisted");
    loop {
        let n = reader
            .read(&mut buf)
            .map_err(|e| DownloadError::Transport {
                url: url.to_string(),
                message: e.to_string(),
            })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        file.write_all(&buf[..n]).map_err(io_err(&temp.path))?;
    }
    let actual = hex(&hasher.finalize());
    if !actual.eq_ignore_ascii_case(sha256) {
        return Err(DownloadError::Checksum {
            url: url.to_string(),
            expected: sha256.to_string(),
            actual,
        });
    }
    temp.persist(dest)
}

/// A temp file removed on drop unless [`TempFile::persist`]ed.
struct TempFile {
    path: PathBuf,
    file: Option<File>,
}

impl TempFile {
    fn create(path: PathBuf) -> Result<Self, DownloadError> {
        match File::create(&path) {
            Ok(file) => Ok(Self {
                path,
                file: Some(file),
            }),
            Err(source) => Err(DownloadError::Io { path, source }),
        }
    }

    /// Flushes to disk and renames onto `dest`.
    fn persist(mut self, dest: &Path) -> Result<(), DownloadError> {
        let file = self.file.take().expect("persisted once");
        let synced = file.sync_all();
        drop(file);
        synced
            .and_then(|()| std::fs::rename(&self.path, dest))
            .map_err(|source| DownloadError::Io {
                path: dest.to_path_buf(),
                source,
            })?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        self.file.take();
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Downloads each of `sources` missing under `root` from `<base_url>/<path>`; returns the paths
/// written. Files already present are left alone (not re-hashed).
pub fn ensure_files(
    root: &Path,
    base_url: &str,
    sources: &[Source],
) -> Result<Vec<PathBuf>, DownloadError> {
    let mut written = Vec::new();
    for source in sources {
        let dest = root.join(&source.path);
        if dest.is_file() {
            continue;
        }
        let url = format!("{}/{}", base_url.trim_end_matches('/'), source.path);
        download_file(&url, &dest, &source.sha256)?;
        written.push(dest);
    }
    Ok(written)
}

/// Makes sure the course files (`IMDb/*`, `Yelp/reviews.txt`) exist under `root`, downloading
/// the missing ones from [`base_url`]. Returns the paths downloaded (empty when all were there).
pub fn ensure_course_data(root: &DataRoot) -> Result<Vec<PathBuf>, DataError> {
    ensure_course_files(root, |_| true)
}

/// [`ensure_course_data`] for the course files whose relative path passes `wanted` only (so a
/// loader needing `IMDb/train/*` does not fail offline for lack of `Yelp/reviews.txt`).
pub fn ensure_course_files(
    root: &DataRoot,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<PathBuf>, DataError> {
    root.require_exists()?;
    let sources: Vec<Source> = course_sources()
        .into_iter()
        .filter(|s| wanted(&s.path) && !root.join(&s.path).is_file())
        .collect();
    if sources.is_empty() {
        return Ok(Vec::new());
    }
    let written = ensure_files(&root.path, &base_url(), &sources)?;
    for path in &written {
        eprintln!("downloaded and verified {}", path.display());
    }
    Ok(written)
}

/// Checks every course file present under `root` against its pinned SHA-256; returns the
/// mismatching paths with their actual checksum.
pub fn verify_course_data(root: &DataRoot) -> Result<Vec<(PathBuf, String)>, DataError> {
    let mut bad = Vec::new();
    for source in course_sources() {
        let path = root.join(&source.path);
        if !path.is_file() {
            return Err(root.missing(&source.path));
        }
        let actual = sha256_file(&path).map_err(|e| DataError::Io {
            path: path.clone(),
            source: e,
        })?;
        if actual != source.sha256 {
            bad.push((path, actual));
        }
    }
    Ok(bad)
}
