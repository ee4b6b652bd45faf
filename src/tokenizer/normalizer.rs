//! Reversible normalization: whitespace ↔ `▁` (U+2581), SentencePiece-style.
//!
//! `normalize` prepends one `▁` and turns every `' '` into `▁`; `denormalize` undoes exactly
//! that, so `denormalize(normalize(t)) == t` for every text. Pieces carry `▁` only at their
//! start, so a normalized text splits into "words" before each `▁` (see [`words`]).
//!
//! A `▁` already present in the input cannot survive `normalize` (it reads back as a space);
//! the tokenizer therefore never normalizes whole texts when encoding: it walks the original
//! text with [`word_spans`] and writes each literal `▁` as its three byte-fallback pieces.

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

/// Undoes [`Normalizer::normalize`]: drops the leading `▁` and turns every other `▁` into `' '`.
pub fn denormalize(normalized: &str) -> String {
    let rest = normalized.strip_prefix(META).unwrap_or(normalized);
    rest.replace(META, " ")
}

/// One word of an original (unnormalized) text: the space before it, or the text start for
/// the first word, and its characters up to the next space. Its normalized form is
/// `"▁" + body`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WordSpan<'a> {
    /// Byte offset of the space that becomes this word's `▁` (`None` for the first word).
    pub space: Option<usize>,
    /// Byte offset of `body` in the original text.
    pub body_start: usize,
    /// The word without its space; may be empty (`"a  b"` has an empty middle word).
    pub body: &'a str,
}

/// The words of an original text, in order: `"a  b"` → `a`, ``, `b` (the last two each after
/// a space). Same split as [`words`] of the normalized text, with positions in the original.
pub fn word_spans(text: &str) -> impl Iterator<Item = WordSpan<'_>> {
    let mut pos = 0;
    let mut first = true;
    text.split(' ').map(move |body| {
        let span = WordSpan {
            space: (!first).then(|| pos - 1),
            body_start: pos,
            body,
        };
        first = false;
        pos += body.len() + 1;
        span
    })
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
