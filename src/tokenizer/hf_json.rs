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
//! When reading, the roles of the specials come from the file itself: `<unk>` from
//! `model.unk_id`, `<s>`/`</s>` from the first and last special token of the post-processor's
//! single template, `<pad>` is the remaining special added token.

use std::path::Path;

use serde_json::{Value, json};

use super::normalizer::{BR_TAG, BrHandling};
use super::unigram::model::parse_byte_piece;
use super::{
    META, Normalizer, Piece, PieceKind, Result, ScoreAccumulation, SpecialTokens, Tokenizer,
    TokenizerError, UnigramModel,
};

fn metaspace() -> Value {
    json!({"type": "Metaspace", "replacement": META.to_string(), "prepend_scheme": "always", "split": true})
}

impl Tokenizer {
    /// The tokenizer as HuggingFace `tokenizer.json` text.
    pub fn to_json_string(&self) -> String {
        to_json(self)
    }

    /// Reads a tokenizer from `tokenizer.json` text; `origin` names it in errors.
    pub fn from_json_str(json: &str, origin: &Path) -> Result<Self> {
        from_json(json, origin)
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

/// Serializes `tok` as `tokenizer.json` text.
pub fn to_json(tok: &Tokenizer) -> String {
    let model = tok.model();
    let sp = tok.special_tokens();
    let added: Vec<Value> = sp
        .all()
        .iter()
        .map(|t| {
            json!({"id": tok.token_to_id(t), "content": t, "single_word": false, "lstrip": false,
                   "rstrip": false, "normalized": false, "special": true})
        })
        .collect();
    let vocab: Vec<Value> = model
        .pieces()
        .iter()
        .map(|p| json!([p.text, p.score]))
        .collect();
    let special = |t: &str, type_id: u32| json!({"SpecialToken": {"id": t, "type_id": type_id}});
    let seq = |id: &str, type_id: u32| json!({"Sequence": {"id": id, "type_id": type_id}});
    let specials_map: serde_json::Map<String, Value> =
        [(&sp.bos, tok.bos_id()), (&sp.eos, tok.eos_id())]
            .into_iter()
            .map(|(t, id)| (t.clone(), json!({"id": t, "ids": [id], "tokens": [t]})))
            .collect();
    let accumulation = match model.accumulation() {
        ScoreAccumulation::F32 => "f32",
        ScoreAccumulation::F64 => "f64",
    };
    let doc = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": match tok.normalizer().br {
            BrHandling::Keep => Value::Null,
            BrHandling::Space => json!({"type": "Replace", "pattern": {"String": BR_TAG}, "content": " "}),
        },
        "pre_tokenizer": metaspace(),
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special(&sp.bos, 0), seq("A", 0), special(&sp.eos, 0)],
            "pair": [special(&sp.bos, 0), seq("A", 0), special(&sp.eos, 0), seq("B", 1), special(&sp.eos, 1)],
            "special_tokens": specials_map,
        },
        "decoder": {"type": "Sequence", "decoders": [metaspace(), {"type": "ByteFallback"}]},
        "model": {
            "type": "Unigram",
            "unk_id": model.unk_id(),
            "vocab": vocab,
            "byte_fallback": model.has_byte_fallback(),
            "score_accumulation": accumulation,
        },
    });
    serde_json::to_string_pretty(&doc).expect("JSON values always serialize")
}

/// Parses `tokenizer.json` text; `origin` names the file in errors.
pub fn from_json(text: &str, origin: &Path) -> Result<Tokenizer> {
    let bad = |reason: String| TokenizerError::MalformedFile {
        path: origin.to_path_buf(),
        reason,
    };
    let doc: Value = serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let model = doc.get("model").ok_or_else(|| bad("no \"model\"".into()))?;
    match model.get("type").and_then(Value::as_str) {
        Some("Unigram") => {}
        other => return Err(bad(format!("model type {other:?}, expected \"Unigram\""))),
    }
    let vocab = model
        .get("vocab")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("model.vocab is not an array".into()))?;
    let unk_id = match model.get("unk_id") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|&u| (u as usize) < vocab.len())
                .ok_or_else(|| bad(format!("model.unk_id {v} is not an id of the vocabulary")))?
                as u32,
        ),
    };
    let byte_fallback = model
        .get("byte_fallback")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if model.get("byte_fallback") == Some(&Value::Bool(false)) {
        return Err(bad(
            "model.byte_fallback is false, expected true (this tokenizer encodes unseen \
             characters as bytes)"
                .into(),
        ));
    }
    let accumulation = match model.get("score_accumulation").and_then(Value::as_str) {
        None | Some("f64") => ScoreAccumulation::F64,
        Some("f32") => ScoreAccumulation::F32,
        Some(o) => {
            return Err(bad(format!(
                "model.score_accumulation {o:?}, expected f32 or f64"
            )));
        }
    };

    // Special added tokens, by id.
    let mut special_ids = Vec::new();
    for (i, t) in doc
        .get("added_tokens")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let id = t.get("id").and_then(Value::as_u64);
        let content = t.get("content").and_then(Value::as_str);
        let (Some(id), Some(content)) = (id, content) else {
            return Err(bad(format!("added_tokens[{i}] lacks id or content")));
        };
        if vocab
            .get(id as usize)
            .and_then(|v| v.get(0))
            .and_then(Value::as_str)
            != Some(content)
        {
            return Err(bad(format!(
                "added token {content:?} is not vocabulary entry {id}"
            )));
        }
        if t.get("special").and_then(Value::as_bool).unwrap_or(false) {
            special_ids.push(id as u32);
        }
    }

    let mut pieces = Vec::with_capacity(vocab.len());
    for (i, entry) in vocab.iter().enumerate() {
        let (text, score) = match entry.as_array().map(Vec::as_slice) {
            Some([Value::String(t), s]) if s.is_number() => (t.clone(), s.as_f64().unwrap_or(0.0)),
            _ => {
                return Err(bad(format!(
                    "model.vocab[{i}] is not [piece, score]: {entry}"
                )));
            }
        };
        let id = i as u32;
        let kind = if Some(id) == unk_id {
            PieceKind::Unknown
        } else if special_ids.contains(&id) {
            PieceKind::Control
        } else if byte_fallback && parse_byte_piece(&text).is_some() {
            PieceKind::Byte
        } else {
            PieceKind::Normal
        };
        pieces.push(Piece::new(text, score, kind));
    }
    let normalizer = check_pipeline(&doc).map_err(&bad)?;
    let specials = special_roles(&doc, &pieces, unk_id, &special_ids).map_err(&bad)?;
    let model = UnigramModel::new(pieces, accumulation).map_err(|e| bad(e.to_string()))?;
    Tokenizer::from_model(model, specials, normalizer).map_err(|e| bad(e.to_string()))
}

/// Checks that normalizer and pre-tokenizer are ones we implement; returns the normalizer.
fn check_pipeline(doc: &Value) -> std::result::Result<Normalizer, String> {
    let br_space = json!({"type": "Replace", "pattern": {"String": BR_TAG}, "content": " "});
    let br = match doc.get("normalizer") {
        None | Some(Value::Null) => BrHandling::Keep,
        Some(n) if *n == br_space => BrHandling::Space,
        Some(n) => {
            return Err(format!(
                "unsupported normalizer {n}; only null and Replace(\"{BR_TAG}\" → \" \") are implemented"
            ));
        }
    };
    let pre = doc.get("pre_tokenizer").unwrap_or(&Value::Null);
    let ok = pre.get("type").and_then(Value::as_str) == Some("Metaspace")
        && pre.get("replacement").and_then(Value::as_str) == Some("▁")
        && pre
            .get("prepend_scheme")
            .and_then(Value::as_str)
            .unwrap_or("always")
            == "always"
        && pre.get("split").and_then(Value::as_bool).unwrap_or(true);
    if !ok {
        return Err(format!(
            "unsupported pre_tokenizer {pre}; expected Metaspace(▁, prepend_scheme always, split)"
        ));
    }
    Ok(Normalizer { br })
}

/// Finds which special token is pad, unk, bos and eos.
fn special_roles(
    doc: &Value,
    pieces: &[Piece],
    unk_id: Option<u32>,
    special_ids: &[u32],
) -> std::result::Result<SpecialTokens, String> {
    let text = |id: u32| pieces[id as usize].text.clone();
    let unk = unk_id.ok_or("model.unk_id is missing")?;
    let template: Vec<String> = doc
        .pointer("/post_processor/single")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            p.pointer("/SpecialToken/id")
                .and_then(Value::as_str)
                .map(String::from)
        })
        .collect();
    let (Some(bos), Some(eos)) = (template.first(), template.last()) else {
        return Err("post_processor.single must be a template <s> $A </s>".into());
    };
    if template.len() != 2 {
        return Err("post_processor.single must have exactly two special tokens".into());
    }
    let rest: Vec<u32> = special_ids
        .iter()
        .copied()
        .filter(|&id| id != unk && text(id) != *bos && text(id) != *eos)
        .collect();
    let [pad] = rest[..] else {
        return Err(format!(
            "expected exactly one special added token besides unk, bos and eos, found {}",
            rest.len()
        ));
    };
    Ok(SpecialTokens {
        pad: text(pad),
        unk: text(unk),
        bos: bos.clone(),
        eos: eos.clone(),
    })
}
