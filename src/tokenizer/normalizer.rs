//! Reversible normalization: whitespace ↔ `▁` (U+2581), SentencePiece-style.
//!
//! `normalize` prepends one `▁` and turns every `' '` into `▁`; `denormalize` undoes exactly
//! that, so `denormalize(normalize(t)) == t` for every text. Pieces carry `▁` only at their
//! start, so a normalized text splits into "words" before each `▁` (see [`words`]).

/// The meta symbol standing for a space (and for the start of the text).
pub const META: char = '▁';

/// What to do with the `<br />` line breaks in IMDb reviews.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrHandling {
    /// Keep `<br />` as ordinary text (lossless; the default).
    #[default]
    Keep,
}

/// Normalizes raw text for the Unigram model.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Normalizer {
    pub br: BrHandling,
}

impl Normalizer {
    /// `"a b"` → `"▁a▁b"`.
    pub fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 3 * (1 + text.len() / 4));
        out.push(META);
        for c in text.chars() {
            out.push(if c == ' ' { META } else { c });
        }
        out
    }
}

/// Splits a normalized text before each `▁`: `"▁a▁▁b"` → `["▁a", "▁", "▁b"]`.
pub fn words(normalized: &str) -> impl Iterator<Item = &str> {
    let mut rest = normalized;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let skip = rest.chars().next().map_or(0, char::len_utf8);
        let end = rest[skip..].find(META).map_or(rest.len(), |i| i + skip);
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word)
    })
}
