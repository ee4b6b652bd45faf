//! The VADER sentiment lexicon (Hutto & Gilbert 2014, MIT license): 7,520 tokens, each with the
//! mean valence (−4 … +4) ten people gave it. Prior sentiment knowledge built from neither IMDb
//! nor Yelp, so a model can know the polarity of a word its training reviews never showed it.
//!
//! Found like the datasets: under the data root (`lexicons/vader/vader_lexicon.txt`), or in a
//! shared `lexicons/` folder beside the data root; when neither has it, downloaded from the
//! authors' repository and SHA-256 checked.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::download::{DownloadError, download_file};
use super::error::DataError;
use super::root::DataRoot;

/// The lexicon's path under the data root.
pub const VADER_PATH: &str = "lexicons/vader/vader_lexicon.txt";

/// The environment variable overriding [`VADER_URL`] (e.g. a mirror).
pub const VADER_URL_ENV: &str = "SENTIMENT_RNN_LEXICON_URL";

/// The lexicon in the authors' public repository, at a pinned commit.
pub const VADER_URL: &str = "https://raw.githubusercontent.com/cjhutto/vaderSentiment/\
0b8040fd23e0ba0a68ebf043697f087cd4c4d6c6/vaderSentiment/vader_lexicon.txt";

/// SHA-256 of the file as the `vaderSentiment` 3.3.2 wheel ships it (CRLF line ends, none after
/// the last line).
pub const VADER_SHA256: &str = "1ec9c6e9ee19aade328f8beb393a6afa71a5bb3acf7d3cc22d4ef568df374bf5";

/// The same text with LF line ends: without and with a final line end. Git may serve the
/// repository's copy in either form (its attributes normalize line ends), so a download is
/// accepted in any of the three forms; the parser reads them all alike.
pub const VADER_SHA256_LF: [&str; 2] = [
    "aa8fa9d086ba912d99d03a320c4fe379992cd07313ed2ed6be10d5b09fb7bef4",
    "ec636f884f36b5de6a4d681b2f61c08c2ec90eeb440472033f3307d0d6fa8bc9",
];

/// The number of entries (lines) in the lexicon.
pub const VADER_ENTRIES: usize = 7520;

/// The number of distinct tokens: 14 emoticons and slang forms are listed twice.
pub const VADER_TOKENS: usize = 7506;

/// The largest valence magnitude a rater could give.
pub const MAX_VALENCE: f32 = 4.0;

/// The lexicon could not be read, parsed or obtained.
#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    /// A line breaks the format: 4 tab-separated fields, valence a number in −4 … +4.
    #[error("{path}:{line}: {message}", path = path.display())]
    Format {
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        message: String,
    },
    /// The file is not valid UTF-8.
    #[error("{path}:{line}: invalid UTF-8 (expected UTF-8 text)", path = path.display())]
    Utf8 { path: PathBuf, line: usize },
    /// The file holds no entries.
    #[error("{path}: no lexicon entries (expected token<TAB>valence<TAB>std<TAB>ratings lines)",
        path = path.display())]
    Empty { path: PathBuf },
    /// Reading the file failed.
    #[error("{path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The lexicon is missing and downloading it failed.
    #[error(
        "VADER lexicon not found: {path}\n  looked for under {root} and in a `lexicons/` folder \
         beside it (`.ci/run` links ../shared/lexicons in)\n  downloading it from {url} failed: \
         {source}",
        path = path.display()
    )]
    DownloadFailed {
        path: PathBuf,
        root: DataRoot,
        url: String,
        #[source]
        source: Box<DownloadError>,
    },
    /// The data root itself is missing (nothing is downloaded into it).
    #[error(transparent)]
    Data(#[from] DataError),
}

/// Token → mean valence, as human raters scored it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Lexicon {
    valences: HashMap<String, f32>,
    entries: usize,
}

impl Lexicon {
    /// Parses the lexicon text; `path` only names the file in errors. Lines end in LF or CRLF,
    /// the last one may have no end; blank lines are skipped. A token listed twice takes its
    /// later valence, as VADER's own loader does.
    pub fn parse(text: &str, path: &Path) -> Result<Self, LexiconError> {
        let mut valences = HashMap::new();
        let mut entries = 0;
        for (index, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.trim().is_empty() {
                continue;
            }
            let (token, valence) = parse_entry(line).map_err(|message| LexiconError::Format {
                path: path.to_path_buf(),
                line: index + 1,
                message,
            })?;
            valences.insert(token.to_string(), valence);
            entries += 1;
        }
        if valences.is_empty() {
            return Err(LexiconError::Empty {
                path: path.to_path_buf(),
            });
        }
        Ok(Self { valences, entries })
    }

    /// Reads and parses the lexicon file at `path`.
    pub fn load(path: &Path) -> Result<Self, LexiconError> {
        let bytes = std::fs::read(path).map_err(|source| LexiconError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let text = std::str::from_utf8(&bytes).map_err(|e| LexiconError::Utf8 {
            path: path.to_path_buf(),
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
        })?;
        Self::parse(text, path)
    }

    /// The mean valence of `token` (matched exactly; the lexicon's tokens are lowercase).
    pub fn valence(&self, token: &str) -> Option<f32> {
        self.valences.get(token).copied()
    }

    /// The number of distinct tokens.
    pub fn len(&self) -> usize {
        self.valences.len()
    }

    /// The number of entries read (a token listed twice counts twice).
    pub fn entries(&self) -> usize {
        self.entries
    }

    /// Whether the lexicon has no tokens.
    pub fn is_empty(&self) -> bool {
        self.valences.is_empty()
    }

    /// Every (token, valence), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f32)> {
        self.valences.iter().map(|(token, &v)| (token.as_str(), v))
    }
}

/// Splits one line into its token and mean valence, checking the other fields' form.
fn parse_entry(line: &str) -> Result<(&str, f32), String> {
    let fields: Vec<&str> = line.split('\t').collect();
    let [token, valence, std_dev, ratings] = fields[..] else {
        return Err(format!(
            "expected 4 tab-separated fields (token, mean valence, standard deviation, \
             ratings), found {}",
            fields.len()
        ));
    };
    if token.is_empty() {
        return Err("empty token (field 1)".to_string());
    }
    let valence = parse_number(valence, "mean valence (field 2)")?;
    if valence.abs() > MAX_VALENCE {
        return Err(format!(
            "mean valence {valence} of `{token}` is outside -{MAX_VALENCE} ... +{MAX_VALENCE}"
        ));
    }
    if parse_number(std_dev, "standard deviation (field 3)")? < 0.0 {
        return Err(format!("standard deviation {std_dev} is negative"));
    }
    if !(ratings.starts_with('[') && ratings.ends_with(']')) {
        return Err(format!(
            "ratings (field 4) `{ratings}` are not a bracketed list"
        ));
    }
    Ok((token, valence))
}

/// A finite number, or an error naming the field.
fn parse_number(field: &str, what: &str) -> Result<f32, String> {
    match field.trim().parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!("{what} `{field}` is not a number")),
    }
}

/// The download URL: env `SENTIMENT_RNN_LEXICON_URL` when set and non-empty, else [`VADER_URL`].
pub fn vader_url() -> String {
    match std::env::var(VADER_URL_ENV) {
        Ok(v) if !v.is_empty() => v,
        _ => VADER_URL.to_string(),
    }
}

/// The lexicon file present for `root`: under it, or in a `lexicons/` folder beside it (the
/// shared layout that keeps `datasets/` and `lexicons/` side by side).
pub fn find_vader(root: &DataRoot) -> Option<PathBuf> {
    let beside = root.path.parent().map(|parent| parent.join(VADER_PATH));
    std::iter::once(root.join(VADER_PATH))
        .chain(beside)
        .find(|path| path.is_file())
}

/// The lexicon file for `root`, downloading it from [`vader_url`] into the root when missing.
pub fn ensure_vader(root: &DataRoot) -> Result<PathBuf, LexiconError> {
    ensure_vader_from(root, &vader_url())
}

/// [`ensure_vader`] downloading from `url`. The bytes must have one of the pinned checksums
/// ([`VADER_SHA256`], [`VADER_SHA256_LF`]); on any error nothing is left behind.
pub fn ensure_vader_from(root: &DataRoot, url: &str) -> Result<PathBuf, LexiconError> {
    if let Some(path) = find_vader(root) {
        return Ok(path);
    }
    root.require_exists()?;
    let dest = root.join(VADER_PATH);
    eprintln!(
        "{VADER_PATH} is missing under {}: downloading it (SHA-256 checked) from {url}",
        root.path.display()
    );
    let failed = |source| LexiconError::DownloadFailed {
        path: dest.clone(),
        root: root.clone(),
        url: url.to_string(),
        source: Box::new(source),
    };
    match download_file(url, &dest, VADER_SHA256) {
        // Another line-end form of the same text: fetch it again, pinned to that form.
        Err(DownloadError::Checksum { actual, .. }) if VADER_SHA256_LF.contains(&&*actual) => {
            download_file(url, &dest, &actual).map_err(failed)?;
        }
        other => other.map_err(failed)?,
    }
    eprintln!("downloaded and verified {}", dest.display());
    Ok(dest)
}

/// Finds (or downloads) and parses the VADER lexicon for `root`.
pub fn load_vader(root: &DataRoot) -> Result<Lexicon, LexiconError> {
    Lexicon::load(&ensure_vader(root)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Lexicon, LexiconError> {
        Lexicon::parse(text, Path::new("lex.txt"))
    }

    fn error_message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_crlf_lines_without_a_final_line_end() {
        let lexicon = parse("good\t1.9\t0.9\t[2, 2]\r\nbad\t-2.5\t0.5\t[-2, -3]").unwrap();
        assert_eq!(lexicon.len(), 2);
        assert_eq!(lexicon.valence("good"), Some(1.9));
        assert_eq!(lexicon.valence("bad"), Some(-2.5));
        assert_eq!(lexicon.valence("meh"), None);
        let lf = parse("good\t1.9\t0.9\t[2, 2]\nbad\t-2.5\t0.5\t[-2, -3]\n").unwrap();
        assert_eq!(lf, lexicon);
    }

    #[test]
    fn a_repeated_token_takes_its_later_valence_and_blank_lines_are_skipped() {
        let lexicon = parse("ok\t1.6\t0.5\t[2]\r\n\r\nok\t1.2\t0.4\t[1]").unwrap();
        assert_eq!((lexicon.len(), lexicon.entries()), (1, 2));
        assert_eq!(lexicon.valence("ok"), Some(1.2));
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let good = "ok\t1.0\t0.1\t[1]\r\n";
        assert_eq!(
            error_message(&format!("{good}bad\t-1.0\t0.1")),
            "lex.txt:2: expected 4 tab-separated fields (token, mean valence, standard \
             deviation, ratings), found 3"
        );
        assert_eq!(
            error_message(&format!("{good}y\t2\t0\t[2]\nx\tlots\t0.1\t[1]")),
            "lex.txt:3: mean valence (field 2) `lots` is not a number"
        );
        assert_eq!(
            error_message(&format!("x\t4.5\t0.1\t[1]\r\n{good}")),
            "lex.txt:1: mean valence 4.5 of `x` is outside -4 ... +4"
        );
        assert!(error_message("x\tNaN\t0.1\t[1]").starts_with("lex.txt:1: mean valence"));
        assert!(error_message("x\t1\t-1\t[1]").contains("standard deviation -1 is negative"));
        assert!(error_message("x\t1\t0.5\t1, 2").contains("not a bracketed list"));
        assert!(error_message("\r\n\n").contains("no lexicon entries"));
    }

    #[test]
    fn invalid_utf8_names_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lex.txt");
        std::fs::write(&path, b"ok\t1.0\t0.1\t[1]\r\nb\xffd\t-1\t0.1\t[1]").unwrap();
        let message = Lexicon::load(&path).unwrap_err().to_string();
        assert!(message.ends_with("lex.txt:2: invalid UTF-8 (expected UTF-8 text)"));
    }
}
