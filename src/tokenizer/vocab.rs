//! The [`Tokenizer`] type: its vocabulary layout (specials, the 256 byte pieces, the normal
//! pieces), construction, and lookups between ids and pieces.

use std::collections::HashSet;

use super::cache::{self, WordCache};
use super::error::VocabError;
use super::normalizer::META;
use super::special::SpecialTokens;
use super::unigram::model::byte_piece;
use super::{Normalizer, Piece, PieceKind, Result, ScoreAccumulation, UnigramModel};

/// Score given to byte pieces in a trained vocabulary: far below every normal piece, so that
/// HuggingFace (whose trie also holds byte pieces) never prefers `<0x41>` as *text* over the
/// characters `<`, `0`, `x`, … it spells.
pub const BYTE_PIECE_PENALTY: f64 = 1000.0;

/// A Unigram tokenizer: model, normalizer, special tokens and a word cache.
pub struct Tokenizer {
    pub(super) model: UnigramModel,
    pub(super) normalizer: Normalizer,
    pub(super) specials: SpecialTokens,
    /// Ids of pad, unk, bos, eos.
    pub(super) special_ids: [u32; 4],
    /// Byte pieces of a literal `▁` (E2 96 81).
    pub(super) meta_bytes: [u32; 3],
    pub(super) cache: WordCache,
    /// Tags this instance's entries in the per-thread front caches.
    pub(super) cache_owner: u64,
}

impl Clone for Tokenizer {
    /// Clones everything but the cache, which starts empty.
    fn clone(&self) -> Self {
        Tokenizer {
            model: self.model.clone(),
            normalizer: self.normalizer.clone(),
            specials: self.specials.clone(),
            special_ids: self.special_ids,
            meta_bytes: self.meta_bytes,
            cache: WordCache::default(),
            cache_owner: cache::next_owner_id(),
        }
    }
}

impl PartialEq for Tokenizer {
    fn eq(&self, other: &Self) -> bool {
        self.model.pieces() == other.model.pieces()
            && self.model.accumulation() == other.model.accumulation()
            && self.normalizer == other.normalizer
            && self.specials == other.specials
    }
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab_size", &self.vocab_size())
            .field("specials", &self.specials)
            .field("normalizer", &self.normalizer)
            .field("accumulation", &self.model.accumulation())
            .finish()
    }
}

impl Tokenizer {
    /// A tokenizer over `normal` pieces (text, log-prob score), laid out as specials, the 256
    /// byte pieces, then `normal` in the given order. Normal pieces whose text equals a special
    /// or byte piece are dropped (their characters still encode). Scores are rounded to 12
    /// significant digits (see [`snap_score`]).
    pub fn from_pieces(
        normal: Vec<(String, f64)>,
        specials: SpecialTokens,
        normalizer: Normalizer,
        accumulation: ScoreAccumulation,
    ) -> Result<Self> {
        let normal: Vec<(String, f64)> = normal
            .into_iter()
            .map(|(t, s)| (t, snap_score(s)))
            .collect();
        let min = normal.iter().map(|p| p.1).fold(0.0, f64::min);
        let mut pieces: Vec<Piece> = specials
            .all()
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let kind = if i == 1 {
                    PieceKind::Unknown
                } else {
                    PieceKind::Control
                };
                Piece::new(*t, 0.0, kind)
            })
            .collect();
        pieces.extend(
            (0..=255u8)
                .map(|b| Piece::new(byte_piece(b), min - BYTE_PIECE_PENALTY, PieceKind::Byte)),
        );
        let reserved: HashSet<String> = pieces.iter().map(|p| p.text.clone()).collect();
        pieces.extend(
            normal
                .into_iter()
                .filter(|(t, _)| !reserved.contains(t))
                .map(|(t, s)| Piece::new(t, s, PieceKind::Normal)),
        );
        let model = UnigramModel::new(pieces, accumulation)?;
        Self::from_model(model, specials, normalizer)
    }

    /// Wraps a model whose vocabulary holds the four specials, the 256 byte pieces and a normal
    /// `▁` piece.
    pub fn from_model(
        model: UnigramModel,
        specials: SpecialTokens,
        normalizer: Normalizer,
    ) -> Result<Self> {
        Ok(Self::checked(model, specials, normalizer)?)
    }

    /// [`Self::from_model`], failing only on what the vocabulary lacks.
    pub(super) fn checked(
        model: UnigramModel,
        specials: SpecialTokens,
        normalizer: Normalizer,
    ) -> std::result::Result<Self, VocabError> {
        let mut special_ids = [0; 4];
        for (slot, text) in special_ids.iter_mut().zip(specials.all()) {
            *slot = model
                .piece_to_id(text)
                .ok_or_else(|| VocabError::MissingSpecial { text: text.into() })?;
        }
        if !model.has_byte_fallback() {
            return Err(VocabError::NoByteFallback);
        }
        match model
            .piece_to_id(&META.to_string())
            .and_then(|id| model.piece(id))
        {
            Some(piece) if piece.kind == PieceKind::Normal => {}
            _ => return Err(VocabError::NoMetaPiece),
        }
        let mut meta_bytes = [0; 3];
        for (slot, b) in meta_bytes.iter_mut().zip(META.to_string().bytes()) {
            *slot = model.byte_id(b).expect("checked above");
        }
        Ok(Tokenizer {
            model,
            normalizer,
            specials,
            special_ids,
            meta_bytes,
            cache: WordCache::default(),
            cache_owner: cache::next_owner_id(),
        })
    }

    /// The Unigram model.
    pub fn model(&self) -> &UnigramModel {
        &self.model
    }

    /// The normalizer.
    pub fn normalizer(&self) -> &Normalizer {
        &self.normalizer
    }

    /// Number of ids.
    pub fn vocab_size(&self) -> usize {
        self.model.len()
    }

    /// The id of a token (piece) text.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.model.piece_to_id(token)
    }

    /// The token (piece) text of an id.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.model.piece(id).map(|p| p.text.as_str())
    }

    /// The same vocabulary with another normalizer (empty cache).
    pub fn with_normalizer(mut self, normalizer: Normalizer) -> Self {
        self.normalizer = normalizer;
        self.cache.clear();
        self.cache_owner = cache::next_owner_id();
        self
    }

    /// Switches score accumulation (f64: HuggingFace, f32: SentencePiece); clears the cache.
    pub fn set_accumulation(&mut self, accumulation: ScoreAccumulation) {
        self.model.set_accumulation(accumulation);
        self.cache.clear();
        self.cache_owner = cache::next_owner_id();
    }
}

/// Rounds a score to 12 significant digits, so that every JSON reader parses the saved
/// decimal back to exactly this `f64`: a 17-digit shortest representation can come back one
/// ulp off from a fast parser (serde_json's default one, which HuggingFace also uses), and one
/// ulp decides exact ties between segmentations.
pub fn snap_score(score: f64) -> f64 {
    format!("{score:.11e}").parse().unwrap_or(score)
}

/// The special tokens' texts and ids.
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
