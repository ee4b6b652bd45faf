//! Command-line front ends shared by the binaries, and the input/output rules they share:
//! input lines are read whole with their line numbers in errors, and output goes through
//! fallible writes so a closed pipe (`| head`) ends the program quietly.

pub mod eval;
pub mod predict;
pub mod tokenizer;
pub mod train;

use std::io::Read;
use std::path::Path;

/// Input lines that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {origin}: {source}")]
    Read {
        origin: String,
        source: std::io::Error,
    },
    #[error("{origin}:{line}: invalid UTF-8 at byte {column} of the line (expected UTF-8 text)")]
    Utf8 {
        origin: String,
        /// 1-based line number.
        line: usize,
        /// 1-based byte column of the first invalid byte.
        column: usize,
    },
}

/// The lines of `input` (a file), or of stdin when `None`: split at `\n`, a trailing `\r`
/// dropped, every line kept (blank ones too) except the empty piece after a final `\n`.
pub fn read_input_lines(input: Option<&Path>) -> Result<Vec<String>, InputError> {
    let (origin, bytes) = match input {
        Some(path) => (
            path.display().to_string(),
            std::fs::read(path).map_err(|source| InputError::Read {
                origin: path.display().to_string(),
                source,
            })?,
        ),
        None => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .lock()
                .read_to_end(&mut bytes)
                .map_err(|source| InputError::Read {
                    origin: "stdin".into(),
                    source,
                })?;
            ("stdin".to_string(), bytes)
        }
    };
    split_lines(&bytes, &origin)
}

/// [`read_input_lines`] on bytes already read; `origin` names them in errors.
pub fn split_lines(bytes: &[u8], origin: &str) -> Result<Vec<String>, InputError> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(|(index, raw)| {
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            std::str::from_utf8(raw)
                .map(str::to_string)
                .map_err(|e| InputError::Utf8 {
                    origin: origin.to_string(),
                    line: index + 1,
                    column: e.valid_up_to() + 1,
                })
        })
        .collect()
}

/// Calls `each(line_number, line)` for every line of stdin as it arrives (for interactive
/// use); lines follow the rules of [`read_input_lines`].
pub fn for_each_stdin_line(
    mut each: impl FnMut(usize, &str) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    use std::io::BufRead;
    let mut stdin = std::io::stdin().lock();
    let mut raw = Vec::new();
    for number in 1.. {
        raw.clear();
        let read = stdin
            .read_until(b'\n', &mut raw)
            .map_err(|source| InputError::Read {
                origin: "stdin".into(),
                source,
            })?;
        if read == 0 {
            break;
        }
        let line = raw.strip_suffix(b"\n").unwrap_or(&raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = std::str::from_utf8(line).map_err(|e| InputError::Utf8 {
            origin: "stdin".into(),
            line: number,
            column: e.valid_up_to() + 1,
        })?;
        each(number, line)?;
    }
    Ok(())
}

/// Whether `err` comes from writing to a closed pipe (the reader, e.g. `head`, is done).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_kept_and_bad_utf8_names_its_line() {
        let lines = split_lines(b"a\n\n  \r\n<br />\n\n", "x").unwrap();
        assert_eq!(lines, ["a", "", "  ", "<br />", ""]);
        assert_eq!(split_lines(b"", "x").unwrap(), Vec::<String>::new());
        assert_eq!(split_lines(b"\n", "x").unwrap(), [""]);
        let e = split_lines(b"ok\nfine\nb\xffd\n", "in.txt").unwrap_err();
        assert_eq!(
            e.to_string(),
            "in.txt:3: invalid UTF-8 at byte 2 of the line (expected UTF-8 text)"
        );
    }
}
