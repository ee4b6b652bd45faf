//! Writing: a [`Tokenizer`] as the [`TokenizerFile`] HuggingFace loads.

use super::schema::{
    AddedToken, Decoder, Metaspace, Replace, ReplacePattern, TemplatePiece, TemplateProcessing,
    TemplateSpecial, TokenizerFile, TypeTag, UnigramSection,
};
use crate::tokenizer::normalizer::{BR_TAG, BrHandling};
use crate::tokenizer::{META, Tokenizer};

/// Our pre-tokenizer (and first decoder): spaces → `▁`, one `▁` prepended, split before each.
pub fn metaspace() -> Metaspace {
    Metaspace {
        prepend_scheme: "always".into(),
        replacement: META.to_string(),
        split: true,
        kind: "Metaspace".into(),
    }
}

/// The normalizer of [`BrHandling::Space`].
pub fn br_to_space() -> Replace {
    Replace {
        content: " ".into(),
        pattern: ReplacePattern {
            literal: BR_TAG.into(),
        },
        kind: "Replace".into(),
    }
}

/// Serializes `tokenizer` as `tokenizer.json` text.
pub fn to_json(tokenizer: &Tokenizer) -> String {
    let model = tokenizer.model();
    let specials = tokenizer.special_tokens();
    let added_tokens = specials
        .all()
        .iter()
        .map(|&text| AddedToken {
            content: text.into(),
            id: tokenizer
                .token_to_id(text)
                .expect("specials are in the vocabulary"),
            lstrip: false,
            normalized: false,
            rstrip: false,
            single_word: false,
            special: true,
        })
        .collect();
    let file = TokenizerFile {
        added_tokens,
        decoder: Decoder {
            decoders: (
                metaspace(),
                TypeTag {
                    kind: "ByteFallback",
                },
            ),
            kind: "Sequence",
        },
        model: UnigramSection {
            byte_fallback: Some(model.has_byte_fallback()),
            score_accumulation: Some(model.accumulation()),
            kind: "Unigram".into(),
            unk_id: model.unk_id().map(u64::from),
            vocab: model
                .pieces()
                .iter()
                .map(|piece| (piece.text.clone(), piece.score))
                .collect(),
        },
        normalizer: match tokenizer.normalizer().br {
            BrHandling::Keep => None,
            BrHandling::Space => Some(br_to_space()),
        },
        padding: None,
        post_processor: template(tokenizer),
        pre_tokenizer: metaspace(),
        truncation: None,
        version: "1.0",
    };
    serde_json::to_string_pretty(&file).expect("the file's types always serialize")
}

/// `<s> $A </s>` for one sequence, `<s> $A </s> $B </s>` for a pair.
fn template(tokenizer: &Tokenizer) -> TemplateProcessing<'_> {
    let specials = tokenizer.special_tokens();
    let (bos, eos) = (specials.bos.as_str(), specials.eos.as_str());
    let special = |id, type_id| TemplatePiece::SpecialToken { id, type_id };
    let sequence = |id, type_id| TemplatePiece::Sequence { id, type_id };
    TemplateProcessing {
        pair: vec![
            special(bos, 0),
            sequence("A", 0),
            special(eos, 0),
            sequence("B", 1),
            special(eos, 1),
        ],
        single: vec![special(bos, 0), sequence("A", 0), special(eos, 0)],
        special_tokens: [(bos, tokenizer.bos_id()), (eos, tokenizer.eos_id())]
            .into_iter()
            .map(|(text, id)| {
                let entry = TemplateSpecial {
                    id: text,
                    ids: [id],
                    tokens: [text],
                };
                (text, entry)
            })
            .collect(),
        kind: "TemplateProcessing",
    }
}
