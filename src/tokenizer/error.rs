//! Everything that can go wrong in the tokenizer, as one error type.

use std::path::PathBuf;

use super::normalizer::{BR_TAG, META};
use super::unigram::model::ModelError;
use super::unigram::piece_trainer::PieceTrainError;

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
    /// More pieces were requested than the training text supports (whole-vocabulary sizes,
    /// the numbers the user typed).
    #[error(
        "training failed: vocab_size {requested} is too large: the training text supports at \
         most {available}"
    )]
    VocabTooLarge {
        /// Requested total size.
        requested: usize,
        /// The largest total size the text supports.
        available: usize,
    },
    /// The piece trainer failed.
    #[error("training failed: {0}")]
    Training(PieceTrainError),
    /// A tokenizer file could not be understood.
    #[error("malformed tokenizer file {path}: {reason}")]
    MalformedFile {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: HfJsonError,
    },
    /// The vocabulary cannot serve as a tokenizer.
    #[error("invalid vocabulary: {0}")]
    InvalidVocab(#[from] VocabError),
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

/// Why a Unigram model's vocabulary cannot serve as a tokenizer.
#[derive(Debug, thiserror::Error)]
pub enum VocabError {
    /// A special token's text is not in the vocabulary.
    #[error("no special token {text:?}")]
    MissingSpecial {
        /// The special token's text.
        text: String,
    },
    /// Some of the 256 byte pieces are missing.
    #[error("byte fallback needs all 256 pieces <0x00>..<0xFF>")]
    NoByteFallback,
    /// There is no normal `▁` piece to encode spaces with.
    #[error("no normal piece {META:?} (needed for spaces)")]
    NoMetaPiece,
}

/// Result with [`TokenizerError`].
pub type Result<T, E = TokenizerError> = std::result::Result<T, E>;

/// Why a `tokenizer.json` cannot be read (the file's path is added by
/// [`TokenizerError::MalformedFile`]).
#[derive(Debug, thiserror::Error)]
pub enum HfJsonError {
    /// The text is not JSON.
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    /// The JSON does not have the shape of a `tokenizer.json`.
    #[error("{0}")]
    Shape(serde_json::Error),
    /// There is no `model` section.
    #[error("no \"model\"")]
    NoModel,
    /// The model is not a Unigram model.
    #[error(
        "model type {}, expected \"Unigram\"",
        .0.as_ref().map_or("missing".into(), |kind| format!("{kind:?}"))
    )]
    ModelType(Option<String>),
    /// `model.unk_id` is not an id of the vocabulary.
    #[error("model.unk_id {0} is not an id of the vocabulary")]
    UnkIdOutOfRange(u64),
    /// `model.unk_id` is absent or null.
    #[error("model.unk_id is missing")]
    NoUnkId,
    /// The model has no byte fallback, which this tokenizer relies on.
    #[error(
        "model.byte_fallback is false, expected true (this tokenizer encodes unseen characters \
         as bytes)"
    )]
    NoByteFallback,
    /// An added token's text differs from the vocabulary entry of its id.
    #[error("added token {content:?} is not vocabulary entry {id}")]
    AddedTokenMismatch {
        /// The added token's text.
        content: String,
        /// Its id.
        id: u32,
    },
    /// A normalizer other than none or `<br />` → space.
    #[error(
        "unsupported normalizer {0}; only null and Replace(\"{BR_TAG}\" → \" \") are implemented"
    )]
    UnsupportedNormalizer(String),
    /// A pre-tokenizer other than ours.
    #[error("unsupported pre_tokenizer {0}; expected Metaspace(▁, prepend_scheme always, split)")]
    UnsupportedPreTokenizer(String),
    /// The single-sequence template is not `<s> $A </s>`.
    #[error("post_processor.single must be a template <s> $A </s>")]
    NoTemplate,
    /// The single-sequence template has more than two special tokens.
    #[error("post_processor.single must have exactly two special tokens")]
    TemplateSpecials,
    /// Not exactly one special token is left over for padding.
    #[error("expected exactly one special added token besides unk, bos and eos, found {0}")]
    PadCount(usize),
    /// The pieces do not form a Unigram model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The vocabulary cannot serve as a tokenizer.
    #[error("invalid vocabulary: {0}")]
    Vocabulary(#[from] VocabError),
}
