//! Reading and writing HuggingFace `tokenizer.json` for a byte-fallback Unigram model.
//!
//! What we write (and what `tokenizers.Tokenizer.from_file` then does):
//! - `model`: `{"type": "Unigram", "unk_id", "vocab": [[piece, score], …], "byte_fallback":
//!   true}` plus `"score_accumulation"` (ours; HuggingFace ignores unknown model keys and
//!   always sums in f64);
//! - `added_tokens`: the four specials, `special: true`;
//! - `normalizer`: `null` (`<br />` kept, nothing else changes), or for
//!   [`BrHandling::Space`] `{"type": "Replace", "pattern": {"String": "<br />"}, "content": " "}`;
//! - `pre_tokenizer`: `Metaspace` (`▁`, `prepend_scheme: "always"`, `split: true`): spaces →
//!   `▁`, one `▁` prepended, split before each `▁`, exactly our word split;
//! - `post_processor`: `TemplateProcessing` `<s> $A </s>` (used when asking for specials);
//! - `decoder`: `Sequence[Metaspace, ByteFallback]`. Metaspace runs first (as Llama's
//!   `Replace("▁", " ")` does) so that a literal `▁` written as byte pieces decodes back to `▁`,
//!   not to a space.
//!
//! Files: [`schema`] (the serde types), [`write`], [`read`].
//!
//! When reading, the roles of the specials come from the file itself: `<unk>` from
//! `model.unk_id`, `<s>`/`</s>` from the first and last special token of the post-processor's
//! single template, `<pad>` is the remaining special added token.

mod read;
pub mod schema;
mod write;

use std::path::Path;

use super::error::VocabError;
use super::normalizer::BR_TAG;
use super::unigram::model::ModelError;
use super::{Result, Tokenizer, TokenizerError};

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

impl Tokenizer {
    /// The tokenizer as HuggingFace `tokenizer.json` text.
    pub fn to_json_string(&self) -> String {
        write::to_json(self)
    }

    /// Reads a tokenizer from `tokenizer.json` text; `origin` names it in errors.
    pub fn from_json_str(json: &str, origin: &Path) -> Result<Self> {
        read::from_json(json).map_err(|reason| TokenizerError::MalformedFile {
            path: origin.to_path_buf(),
            reason,
        })
    }

    /// Saves as HuggingFace `tokenizer.json`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_json_string()).map_err(|source| TokenizerError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Loads a `tokenizer.json` written by [`Self::save`] (or a compatible HF Unigram file).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let json = std::fs::read_to_string(path).map_err(|source| TokenizerError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_json_str(&json, path)
    }
}
