//! The special tokens (pad, unk, bos, eos): their texts, and their ids in a tokenizer.

use super::Tokenizer;

/// The special tokens' texts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SpecialTokens {
    /// Padding.
    pub pad: String,
    /// Unknown (only produced by vocabularies without byte fallback).
    pub unk: String,
    /// Beginning of sequence.
    pub bos: String,
    /// End of sequence.
    pub eos: String,
}

impl Default for SpecialTokens {
    fn default() -> Self {
        SpecialTokens {
            pad: "<pad>".into(),
            unk: "<unk>".into(),
            bos: "<s>".into(),
            eos: "</s>".into(),
        }
    }
}

impl SpecialTokens {
    /// The four texts in vocabulary order: pad, unk, bos, eos.
    pub fn all(&self) -> [&str; 4] {
        [&self.pad, &self.unk, &self.bos, &self.eos]
    }
}

impl Tokenizer {
    /// The special tokens' texts.
    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.specials
    }

    /// Id of `<pad>`.
    pub fn pad_id(&self) -> u32 {
        self.special_ids[0]
    }

    /// Id of `<unk>`.
    pub fn unk_id(&self) -> u32 {
        self.special_ids[1]
    }

    /// Id of `<s>`.
    pub fn bos_id(&self) -> u32 {
        self.special_ids[2]
    }

    /// Id of `</s>`.
    pub fn eos_id(&self) -> u32 {
        self.special_ids[3]
    }

    /// Whether `id` is a special token.
    pub fn is_special(&self, id: u32) -> bool {
        self.special_ids.contains(&id)
    }

    /// Id and text of the token for padding.
    pub(super) fn pad(&self) -> (u32, &str) {
        (self.pad_id(), &self.specials.pad)
    }

    /// Id and text of the token for the start of a sequence.
    pub(super) fn bos(&self) -> (u32, &str) {
        (self.bos_id(), &self.specials.bos)
    }

    /// Id and text of the token for the end of a sequence.
    pub(super) fn eos(&self) -> (u32, &str) {
        (self.eos_id(), &self.specials.eos)
    }
}
