//! The special tokens (pad, unk, bos, eos) and their texts (their ids are the tokenizer's:
//! [`super::Tokenizer::pad_id`] and its neighbours).

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
