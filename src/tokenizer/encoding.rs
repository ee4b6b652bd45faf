//! The result of encoding one text, and the batch options: special tokens, truncation,
//! padding.

/// One encoded text, as in HuggingFace `tokenizers`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Encoding {
    /// Token ids.
    pub input_ids: Vec<u32>,
    /// 1 for real tokens (specials included), 0 for padding.
    pub attention_mask: Vec<u32>,
    /// Token strings (pieces; `▁` marks a space or the text start).
    pub tokens: Vec<String>,
    /// Byte range of each token in the original text. The leading `▁` of a word covers its
    /// space (the first word's covers nothing); a byte-fallback piece covers exactly its byte,
    /// so it may split a character. Special and padding tokens get `(0, 0)`.
    pub offsets: Vec<(usize, usize)>,
}

impl Encoding {
    /// Number of tokens, padding included.
    pub fn len(&self) -> usize {
        self.input_ids.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.input_ids.is_empty()
    }

    /// Keeps the first `max` tokens.
    pub fn truncate(&mut self, max: usize) {
        self.input_ids.truncate(max);
        self.attention_mask.truncate(max);
        self.tokens.truncate(max);
        self.offsets.truncate(max);
    }

    /// Wraps the tokens in `bos … eos`.
    pub fn add_specials(&mut self, bos: (u32, &str), eos: (u32, &str)) {
        self.input_ids.insert(0, bos.0);
        self.input_ids.push(eos.0);
        self.attention_mask.insert(0, 1);
        self.attention_mask.push(1);
        self.tokens.insert(0, bos.1.to_string());
        self.tokens.push(eos.1.to_string());
        self.offsets.insert(0, (0, 0));
        self.offsets.push((0, 0));
    }

    /// Right-pads to `len` tokens with `pad` (mask 0); longer encodings are left alone.
    pub fn pad_to(&mut self, len: usize, pad: (u32, &str)) {
        while self.input_ids.len() < len {
            self.input_ids.push(pad.0);
            self.attention_mask.push(0);
            self.tokens.push(pad.1.to_string());
            self.offsets.push((0, 0));
        }
    }
}

/// How a batch is padded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Padding {
    /// No padding.
    #[default]
    None,
    /// To the longest sequence of the batch.
    Longest,
    /// To a fixed length (sequences already longer are not cut; see `max_length`).
    ToLength(usize),
}

/// Options for [`crate::tokenizer::Tokenizer::encode_batch`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EncodeOptions {
    /// Wrap each sequence in `<s> … </s>`.
    pub add_special_tokens: bool,
    /// Truncate to at most this many tokens, special tokens included.
    pub max_length: Option<usize>,
    /// Padding of the batch (applied after truncation).
    pub padding: Padding,
}

impl EncodeOptions {
    /// The length every sequence of a batch with these unpadded lengths is padded to.
    pub fn padded_len(&self, lens: impl Iterator<Item = usize>) -> Option<usize> {
        match self.padding {
            Padding::None => None,
            Padding::Longest => Some(lens.max().unwrap_or(0)),
            Padding::ToLength(n) => Some(n),
        }
    }

    /// How many content tokens fit once specials are added (`None`: unlimited).
    pub fn content_budget(&self) -> Option<usize> {
        let specials = if self.add_special_tokens { 2 } else { 0 };
        self.max_length.map(|m| m.saturating_sub(specials))
    }

    /// Applies specials and truncation to a bare id sequence (padding is per batch).
    pub fn finish_ids(&self, ids: &mut Vec<u32>, bos: u32, eos: u32) {
        if let Some(budget) = self.content_budget() {
            ids.truncate(budget);
        }
        if self.add_special_tokens {
            ids.insert(0, bos);
            ids.push(eos);
        }
        if let Some(max) = self.max_length {
            ids.truncate(max);
        }
    }

    /// Applies specials and truncation to one encoding (padding is per batch).
    pub fn finish(&self, enc: &mut Encoding, bos: (u32, &str), eos: (u32, &str)) {
        if let Some(budget) = self.content_budget() {
            enc.truncate(budget);
        }
        if self.add_special_tokens {
            enc.add_specials(bos, eos);
        }
        if let Some(max) = self.max_length {
            enc.truncate(max);
        }
    }
}
