//! Reading: a [`TokenizerFileIn`] checked against what we implement, then built into a
//! [`Tokenizer`].

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::HfJsonError;
use super::schema::{
    AddedToken, Known, Metaspace, ModelTypeOnly, Replace, TemplateIn, TemplatePieceIn,
    TokenizerFileIn, UnigramSection,
};
use super::write::{br_to_space, metaspace};
use crate::tokenizer::normalizer::BrHandling;
use crate::tokenizer::unigram::model::parse_byte_piece;
use crate::tokenizer::{
    Normalizer, Piece, PieceKind, ScoreAccumulation, SpecialTokens, Tokenizer, UnigramModel,
};

type Result<T> = std::result::Result<T, HfJsonError>;

/// Parses `tokenizer.json` text.
pub fn from_json(text: &str) -> Result<Tokenizer> {
    // The type first: another model's vocabulary has another shape.
    let header: ModelTypeOnly = parse(text)?;
    let model_type = header.model.ok_or(HfJsonError::NoModel)?.kind;
    if model_type.as_deref() != Some("Unigram") {
        return Err(HfJsonError::ModelType(model_type));
    }
    let file: TokenizerFileIn = parse(text)?;
    let model = file.model.ok_or(HfJsonError::NoModel)?;
    let unk_id = match model.unk_id {
        None => None,
        Some(id) if id < model.vocab.len() as u64 => Some(id as u32),
        Some(id) => return Err(HfJsonError::UnkIdOutOfRange(id)),
    };
    if model.byte_fallback == Some(false) {
        return Err(HfJsonError::NoByteFallback);
    }
    let special_ids = special_added_ids(&file.added_tokens, &model)?;
    let accumulation = model
        .score_accumulation
        .unwrap_or(ScoreAccumulation::default());
    let pieces = pieces(model, unk_id, &special_ids);
    let normalizer = normalizer(file.normalizer)?;
    check_pre_tokenizer(file.pre_tokenizer)?;
    let specials = special_roles(file.post_processor, &pieces, unk_id, &special_ids)?;
    let model = UnigramModel::new(pieces, accumulation)?;
    Ok(Tokenizer::checked(model, specials, normalizer)?)
}

/// Deserializes `text`, telling broken JSON from JSON of the wrong shape.
fn parse<T: DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|err| {
        if err.is_syntax() || err.is_eof() {
            HfJsonError::NotJson(err)
        } else {
            HfJsonError::Shape(err)
        }
    })
}

/// The ids of the special added tokens, each checked against its vocabulary entry.
fn special_added_ids(added_tokens: &[AddedToken], model: &UnigramSection) -> Result<Vec<u32>> {
    let mut special_ids = Vec::new();
    for token in added_tokens {
        let entry = model.vocab.get(token.id as usize);
        if entry.map(|(text, _)| text) != Some(&token.content) {
            return Err(HfJsonError::AddedTokenMismatch {
                content: token.content.clone(),
                id: token.id,
            });
        }
        if token.special {
            special_ids.push(token.id);
        }
    }
    Ok(special_ids)
}

/// The vocabulary with each piece's kind: unknown, control (special), byte or normal.
fn pieces(model: UnigramSection, unk_id: Option<u32>, special_ids: &[u32]) -> Vec<Piece> {
    let byte_fallback = model.byte_fallback.unwrap_or(false);
    model
        .vocab
        .into_iter()
        .enumerate()
        .map(|(index, (text, score))| {
            let id = index as u32;
            let kind = if Some(id) == unk_id {
                PieceKind::Unknown
            } else if special_ids.contains(&id) {
                PieceKind::Control
            } else if byte_fallback && parse_byte_piece(&text).is_some() {
                PieceKind::Byte
            } else {
                PieceKind::Normal
            };
            Piece::new(text, score, kind)
        })
        .collect()
}

/// The normalizer: none, or `<br />` → space.
fn normalizer(section: Option<Known<Replace>>) -> Result<Normalizer> {
    let br = match section {
        None => BrHandling::Keep,
        Some(Known::Shaped(replace)) if replace == br_to_space() => BrHandling::Space,
        Some(other) => return Err(HfJsonError::UnsupportedNormalizer(quote(&other))),
    };
    Ok(Normalizer { br })
}

/// The pre-tokenizer must be our Metaspace.
fn check_pre_tokenizer(section: Option<Known<Metaspace>>) -> Result<()> {
    match section {
        Some(Known::Shaped(pre)) if pre == metaspace() => Ok(()),
        None => Err(HfJsonError::UnsupportedPreTokenizer("null".into())),
        Some(other) => Err(HfJsonError::UnsupportedPreTokenizer(quote(&other))),
    }
}

/// A section as compact JSON, for an error message.
fn quote<T: Serialize>(section: &Known<T>) -> String {
    match section {
        Known::Shaped(shaped) => serde_json::to_string(shaped).unwrap_or_default(),
        Known::Other(raw) => raw.to_string(),
    }
}

/// Finds which special token is pad, unk, bos and eos.
fn special_roles(
    template: Option<TemplateIn>,
    pieces: &[Piece],
    unk_id: Option<u32>,
    special_ids: &[u32],
) -> Result<SpecialTokens> {
    let text = |id: u32| pieces[id as usize].text.clone();
    let unk = unk_id.ok_or(HfJsonError::NoUnkId)?;
    let template: Vec<String> = template
        .map(|template| template.single)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|piece| match piece {
            TemplatePieceIn::SpecialToken { id } => Some(id),
            TemplatePieceIn::Sequence {} => None,
        })
        .collect();
    let (Some(bos), Some(eos)) = (template.first(), template.last()) else {
        return Err(HfJsonError::NoTemplate);
    };
    if template.len() != 2 {
        return Err(HfJsonError::TemplateSpecials);
    }
    let rest: Vec<u32> = special_ids
        .iter()
        .copied()
        .filter(|&id| id != unk && text(id) != *bos && text(id) != *eos)
        .collect();
    let [pad] = rest[..] else {
        return Err(HfJsonError::PadCount(rest.len()));
    };
    Ok(SpecialTokens {
        pad: text(pad),
        unk: text(unk),
        bos: bos.clone(),
        eos: eos.clone(),
    })
}
