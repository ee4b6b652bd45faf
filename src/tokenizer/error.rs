//! Everything that can go wrong in the tokenizer, as one error type.

use std::path::PathBuf;

use super::unigram::model::ModelError;

/// A tokenizer error.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// `encode` was given an empty text (there is nothing to segment).
    #[error("cannot encode an empty text")]
    EmptyText,
    /// `decode` was given an id outside the vocabulary.
    #[error("unknown token id {id} (vocabulary size {vocab_size})")]
    UnknownId {
        /// The offending id.
        id: u32,
        /// The vocabulary size.
        vocab_size: usize,
    },
    /// The requested vocabulary cannot hold the specials, the bytes and every character.
    #[error(
        "vocabulary size {requested} is too small: it needs at least {minimum} \
         ({specials} special tokens + 256 byte pieces + {chars} distinct characters)"
    )]
    VocabTooSmall {
        /// Requested total size.
        requested: usize,
        /// The smallest size that works.
        minimum: usize,
        /// Number of special tokens.
        specials: usize,
        /// Distinct characters in the training text.
        chars: usize,
    },
    /// There was no text to train on.
    #[error("no training text")]
    NoTrainingText,
    /// Training itself failed.
    #[error("training failed: {0}")]
    Training(String),
    /// A tokenizer file could not be understood.
    #[error("malformed tokenizer file {path}: {reason}")]
    MalformedFile {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The vocabulary cannot serve as a tokenizer.
    #[error("invalid vocabulary: {0}")]
    InvalidVocab(String),
    /// The vocabulary cannot form a Unigram model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Reading or writing a file failed.
    #[error("cannot read or write {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Result with [`TokenizerError`].
pub type Result<T, E = TokenizerError> = std::result::Result<T, E>;
