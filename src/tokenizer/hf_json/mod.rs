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

pub use super::error::HfJsonError;
use super::{Result, Tokenizer, TokenizerError};

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
