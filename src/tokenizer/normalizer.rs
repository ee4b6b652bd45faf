//! Reversible normalization: whitespace ↔ `▁` (U+2581), SentencePiece-style.
//! (The lossy, classification-time rewrite of reviews is `data::YelpStyleNormalizer`.)
//!
//! `normalize` prepends one `▁` and turns every `' '` into `▁`; `denormalize` undoes exactly
//! that, so `denormalize(normalize(t)) == t` for every text. Pieces carry `▁` only at their
//! start, so a normalized text splits into "words" before each `▁` (see [`words`]).
//!
//! A `▁` already present in the input cannot survive `normalize` (it reads back as a space);
//! the tokenizer therefore never normalizes whole texts when encoding: it walks the original
//! text with [`word_spans`] and writes each literal `▁` as its three byte-fallback pieces.
//!
//! The one optional, lossy rule is [`BrHandling::Space`]: IMDb's `<br />` line breaks become
//! a space before anything else happens ([`Normalizer::prepare`] keeps the offsets back to the
//! original text).

use std::borrow::Cow;

/// The meta symbol standing for a space (and for the start of the text).
pub const META: char = '▁';

/// What to do with the `<br />` line breaks in IMDb reviews.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrHandling {
    /// Keep `<br />` as ordinary text (lossless; the default).
    #[default]
    Keep,
    /// Replace every `<br />` by one space (lossy: decoding gives the space back). Saved in
    /// `tokenizer.json` as HuggingFace's `Replace` normalizer, and, to encode exactly like
    /// HuggingFace, a text that then starts with a space gets no extra `▁` (so decoding drops
    /// that first space).
    Space,
}

/// IMDb's line break tag.
pub const BR_TAG: &str = "<br />";

/// Normalizes raw text for the Unigram model.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Normalizer {
    /// What happens to `<br />`.
    pub br: BrHandling,
}

/// A text after the `<br />` rule: borrowed when unchanged, else owned with, for every byte
/// position of it (and its end), the matching byte position in the original.
pub type Prepared<'a> = (Cow<'a, str>, Option<Vec<usize>>);

impl Normalizer {
    /// Applies the `<br />` rule (the only step that may change the text).
    pub fn prepare<'a>(&self, text: &'a str) -> Prepared<'a> {
        if self.br == BrHandling::Keep || !text.contains(BR_TAG) {
            return (Cow::Borrowed(text), None);
        }
        let mut out = String::with_capacity(text.len());
        let mut map = Vec::with_capacity(text.len() + 1);
        let mut last = 0;
        for (at, _) in text.match_indices(BR_TAG) {
            out.push_str(&text[last..at]);
            map.extend(last..at);
            out.push(' ');
            map.push(at);
            last = at + BR_TAG.len();
        }
        out.push_str(&text[last..]);
        map.extend(last..=text.len());
        (Cow::Owned(out), Some(map))
    }

    /// Whether no `▁` is prepended to this prepared text (HuggingFace's rule, only used with
    /// [`BrHandling::Space`]: Metaspace prepends `▁` unless the text starts with one).
    fn skips_prefix(&self, prepared: &str) -> bool {
        self.br == BrHandling::Space && prepared.starts_with(' ')
    }

    /// The words of a prepared text (see [`word_spans`] and [`BrHandling::Space`]).
    pub fn word_spans<'a>(&self, prepared: &'a str) -> impl Iterator<Item = WordSpan<'a>> {
        word_spans(prepared).skip(usize::from(self.skips_prefix(prepared)))
    }

    /// `"a b"` → `"▁a▁b"` (after the `<br />` rule).
    pub fn normalize(&self, text: &str) -> String {
        let (text, _) = self.prepare(text);
        let mut out = String::with_capacity(text.len() + 3 * (1 + text.len() / 4));
        if !self.skips_prefix(&text) {
            out.push(META);
        }
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
