//! The parts of HuggingFace's `tokenizer.json` that we write and read, as serde types.
//!
//! Fields are declared in alphabetical order: that is the order the file has always been
//! written in, so saved files stay byte-identical. Reading is lenient where HuggingFace is
//! (unknown keys are ignored, Metaspace options default to HuggingFace's defaults); the parts
//! we cannot interpret (another normalizer, another pre-tokenizer) are kept as raw JSON, to be
//! quoted in the error.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::tokenizer::ScoreAccumulation;

/// The whole file, as written.
#[derive(Serialize)]
pub struct TokenizerFile<'a> {
    pub added_tokens: Vec<AddedToken>,
    pub decoder: Decoder,
    pub model: UnigramSection,
    /// `null`, or the `<br />` → space [`Replace`].
    pub normalizer: Option<Replace>,
    /// Always `null`: padding is an option of each encode call.
    pub padding: Option<()>,
    pub post_processor: TemplateProcessing<'a>,
    pub pre_tokenizer: Metaspace,
    /// Always `null`: truncation is an option of each encode call.
    pub truncation: Option<()>,
    pub version: &'static str,
}

/// The file as read: what we interpret, everything else ignored.
#[derive(Deserialize)]
pub struct TokenizerFileIn {
    #[serde(default, deserialize_with = "added_tokens")]
    pub added_tokens: Vec<AddedToken>,
    pub model: Option<UnigramSection>,
    #[serde(default)]
    pub normalizer: Option<Known<Replace>>,
    #[serde(default)]
    pub post_processor: Option<TemplateIn>,
    #[serde(default)]
    pub pre_tokenizer: Option<Known<Metaspace>>,
}

/// Just the model's type, read first: another model's vocabulary has another shape.
#[derive(Deserialize)]
pub struct ModelTypeOnly {
    pub model: Option<TypeOnly>,
}

/// Any `{"type": …}` object, other keys ignored.
#[derive(Deserialize)]
pub struct TypeOnly {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A section we implement in one form, or anything else (kept for the error message).
#[derive(Deserialize)]
#[serde(untagged)]
pub enum Known<T> {
    /// Has the shape of ours (its values still need checking).
    Shaped(T),
    /// Something else.
    Other(serde_json::Value),
}

/// An entry of `added_tokens`.
#[derive(Serialize, Deserialize)]
pub struct AddedToken {
    pub content: String,
    pub id: u32,
    #[serde(default)]
    pub lstrip: bool,
    #[serde(default)]
    pub normalized: bool,
    #[serde(default)]
    pub rstrip: bool,
    #[serde(default)]
    pub single_word: bool,
    #[serde(default)]
    pub special: bool,
}

/// `model`: a Unigram model.
#[derive(Serialize, Deserialize)]
pub struct UnigramSection {
    #[serde(default)]
    pub byte_fallback: Option<bool>,
    /// Ours: how path scores are summed (HuggingFace ignores it and sums in f64).
    #[serde(default)]
    pub score_accumulation: Option<ScoreAccumulation>,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub unk_id: Option<u64>,
    /// `[piece, score]` pairs, in id order.
    #[serde(deserialize_with = "vocab")]
    pub vocab: Vec<(String, f64)>,
}

/// HuggingFace's `Replace` normalizer with a literal pattern.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Replace {
    pub content: String,
    pub pattern: ReplacePattern,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `{"String": pattern}`.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct ReplacePattern {
    #[serde(rename = "String")]
    pub literal: String,
}

/// HuggingFace's `Metaspace` pre-tokenizer (and decoder).
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Metaspace {
    #[serde(default = "always")]
    pub prepend_scheme: String,
    pub replacement: String,
    #[serde(default = "yes")]
    pub split: bool,
    #[serde(rename = "type")]
    pub kind: String,
}

fn always() -> String {
    "always".into()
}

fn yes() -> bool {
    true
}

/// `decoder`: a `Sequence` of Metaspace then ByteFallback.
#[derive(Serialize)]
pub struct Decoder {
    pub decoders: (Metaspace, TypeTag),
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// An object with nothing but its type, e.g. `{"type": "ByteFallback"}`.
#[derive(Serialize)]
pub struct TypeTag {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `post_processor`: `<s> $A </s>` (and `<s> $A </s> $B </s>` for pairs).
#[derive(Serialize)]
pub struct TemplateProcessing<'a> {
    pub pair: Vec<TemplatePiece<'a>>,
    pub single: Vec<TemplatePiece<'a>>,
    pub special_tokens: BTreeMap<&'a str, TemplateSpecial<'a>>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// One item of a template.
#[derive(Serialize)]
pub enum TemplatePiece<'a> {
    SpecialToken { id: &'a str, type_id: u32 },
    Sequence { id: &'a str, type_id: u32 },
}

/// A special token of a template, with its ids.
#[derive(Serialize)]
pub struct TemplateSpecial<'a> {
    pub id: &'a str,
    pub ids: [u32; 1],
    pub tokens: [&'a str; 1],
}

/// `post_processor` as read: the items of the single-sequence template.
#[derive(Deserialize)]
pub struct TemplateIn {
    #[serde(default)]
    pub single: Vec<TemplatePieceIn>,
}

/// A template item as read.
#[derive(Deserialize)]
pub enum TemplatePieceIn {
    SpecialToken { id: String },
    Sequence {},
}

/// `model.vocab`, naming the first entry that is not `[piece, score]`.
fn vocab<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<(String, f64)>, D::Error> {
    deserializer.deserialize_seq(Indexed::new("model.vocab", "[piece, score]"))
}

/// `added_tokens`, naming the first entry without an id or content.
fn added_tokens<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<AddedToken>, D::Error> {
    deserializer.deserialize_seq(Indexed::new("added_tokens", "{id, content, …}"))
}

/// Reads a list; a bad element fails with its index (`what[i] is not expected`).
struct Indexed<T> {
    what: &'static str,
    expected: &'static str,
    element: PhantomData<T>,
}

impl<T> Indexed<T> {
    fn new(what: &'static str, expected: &'static str) -> Self {
        Self {
            what,
            expected,
            element: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Indexed<T> {
    type Value = Vec<T>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        write!(formatter, "{}: a list of {}", self.what, self.expected)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        loop {
            match seq.next_element() {
                Ok(Some(item)) => items.push(item),
                Ok(None) => return Ok(items),
                Err(_) => {
                    return Err(de::Error::custom(format_args!(
                        "{}[{}] is not {}",
                        self.what,
                        items.len(),
                        self.expected
                    )));
                }
            }
        }
    }
}
