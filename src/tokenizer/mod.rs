//! A Unigram tokenizer with a HuggingFace-style interface.
//!
//! ```text
//! text ─► words (split at ' ', each becomes "▁word") ─► per-word cache / Viterbi ─► ids
//! ids  ─► pieces ─► '▁' → ' ', byte pieces → bytes, drop the leading '▁' ─► text
//! ```
//!
//! Nothing is lost: characters the vocabulary lacks become byte-fallback pieces `<0xNN>`, so
//! `decode(encode(t)) == t` for every non-empty text (with the default normalizer; the opt-in
//! [`BrHandling::Space`] turns `<br />` into a space). A literal `▁` in the input is always
//! written as its three byte pieces (`<0xE2><0x96><0x81>`), because a `▁` inside a piece means
//! a space; decoding turns byte pieces back into bytes, never into spaces.
//!
//! Vocabulary layout of a trained tokenizer: the special tokens (`<pad>`, `<unk>`, `<s>`,
//! `</s>` by default, ids 0..4), the 256 byte pieces, then the normal pieces, best first.
//! Saved as a HuggingFace `tokenizer.json` (see [`hf_json`]) that the Python `tokenizers`
//! library loads and that encodes identically (except for texts containing a literal `▁` or a
//! special token's text, which HuggingFace treats as a space / as the special token).

mod cache;
pub mod encoding;
pub mod error;
pub mod hf_json;
pub mod normalizer;
pub mod train;
pub mod unigram;

use std::path::Path;

use rand::SeedableRng;
use rayon::prelude::*;

pub use encoding::{EncodeOptions, Encoding, Padding};
pub use error::{Result, TokenizerError};
pub use normalizer::{BrHandling, META, Normalizer};
pub use train::TokenizerTrainConfig;
pub use unigram::{Piece, PieceKind, ScoreAccumulation, UnigramModel};

use cache::WordCache;
use unigram::model::parse_byte_piece;

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

/// Score given to byte pieces in a trained vocabulary: far below every normal piece, so that
/// HuggingFace (whose trie also holds byte pieces) never prefers `<0x41>` as *text* over the
/// characters `<`, `0`, `x`, … it spells.
pub const BYTE_PIECE_PENALTY: f64 = 1000.0;

/// A Unigram tokenizer: model, normalizer, special tokens and a word cache.
pub struct Tokenizer {
    model: UnigramModel,
    normalizer: Normalizer,
    specials: SpecialTokens,
    /// Ids of pad, unk, bos, eos.
    special_ids: [u32; 4],
    /// Byte pieces of a literal `▁` (E2 96 81).
    meta_bytes: [u32; 3],
    cache: WordCache,
    /// Tags this instance's entries in the per-thread front caches.
    cache_owner: u64,
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
        pieces.extend((0..=255u8).map(|b| {
            Piece::new(
                unigram::model::byte_piece(b),
                min - BYTE_PIECE_PENALTY,
                PieceKind::Byte,
            )
        }));
        let reserved: std::collections::HashSet<String> =
            pieces.iter().map(|p| p.text.clone()).collect();
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
        let mut special_ids = [0; 4];
        for (slot, text) in special_ids.iter_mut().zip(specials.all()) {
            *slot = model.piece_to_id(text).ok_or_else(|| {
                TokenizerError::InvalidVocab(format!("no special token {text:?}"))
            })?;
        }
        if !model.has_byte_fallback() {
            return Err(TokenizerError::InvalidVocab(
                "byte fallback needs all 256 pieces <0x00>..<0xFF>".into(),
            ));
        }
        match model
            .piece_to_id(&META.to_string())
            .and_then(|id| model.piece(id))
        {
            Some(p) if p.kind == PieceKind::Normal => {}
            _ => {
                return Err(TokenizerError::InvalidVocab(format!(
                    "no normal piece {META:?} (needed for spaces)"
                )));
            }
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

    /// The special tokens' texts.
    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.specials
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

    /// Appends the ids of one word (`"▁" + body`), from the caches when possible.
    #[inline]
    fn word_ids(&self, front: &mut cache::FrontCache, body: &str, out: &mut Vec<u32>) {
        let hash = cache::owner_hash(body, self.cache_owner);
        if front.extend_into(body, hash, out) {
            return;
        }
        let start = out.len();
        if !self.cache.extend_into(body, out) {
            self.word_ids_uncached(body, out);
            self.cache.insert(body, &out[start..]);
        }
        front.insert(body, hash, &out[start..]);
    }

    /// Viterbi on one word; a literal `▁` inside it becomes byte pieces.
    fn word_ids_uncached(&self, body: &str, out: &mut Vec<u32>) {
        let mut parts = body.split(META);
        let mut word = String::with_capacity(body.len() + 3);
        word.push(META);
        word.push_str(parts.next().unwrap_or(""));
        self.model.encode_ids(&word, out);
        for part in parts {
            // A literal `▁`: bytes, so that decoding gives `▁` back rather than a space.
            out.extend_from_slice(&self.meta_bytes);
            if !part.is_empty() {
                self.model.encode_ids(part, out);
            }
        }
    }

    /// Appends the ids of `text` to `out` (the fast path: no strings, no offsets).
    pub fn encode_ids_into(&self, text: &str, out: &mut Vec<u32>) -> Result<()> {
        if text.is_empty() {
            return Err(TokenizerError::EmptyText);
        }
        let (text, _) = self.normalizer.prepare(text);
        cache::with_front(|front| {
            for w in self.normalizer.word_spans(&text) {
                self.word_ids(front, w.body, out);
            }
        });
        Ok(())
    }

    /// The ids of `text`, without special tokens.
    pub fn encode_ids(&self, text: &str) -> Result<Vec<u32>> {
        let mut ids = Vec::with_capacity(text.len() / 3);
        self.encode_ids_into(text, &mut ids)?;
        Ok(ids)
    }

    /// Byte length of a piece in normalized text.
    fn piece_len(&self, id: u32) -> usize {
        let p = &self.model.pieces()[id as usize];
        if p.kind == PieceKind::Byte {
            1
        } else {
            p.text.len()
        }
    }

    /// Encodes `text` (no special tokens, truncation or padding).
    pub fn encode(&self, text: &str) -> Result<Encoding> {
        if text.is_empty() {
            return Err(TokenizerError::EmptyText);
        }
        let (text, map) = self.normalizer.prepare(text);
        let text = text.as_ref();
        let mut ids = Vec::with_capacity(text.len() / 3);
        let mut offsets = Vec::with_capacity(text.len() / 3);
        let meta_len = META.len_utf8();
        cache::with_front(|front| {
            for w in self.normalizer.word_spans(text) {
                let first = ids.len();
                self.word_ids(front, w.body, &mut ids);
                // Position in the normalized word "▁" + body; its first 3 bytes are the space.
                let mut pos = 0;
                for &id in &ids[first..] {
                    let end = pos + self.piece_len(id);
                    let orig_start = if pos == 0 {
                        w.space.unwrap_or(w.body_start)
                    } else {
                        w.body_start + pos - meta_len
                    };
                    offsets.push((orig_start, w.body_start + end - meta_len));
                    pos = end;
                }
            }
        });
        if let Some(map) = map {
            for o in &mut offsets {
                *o = (map[o.0], map[o.1]);
            }
        }
        let tokens = ids
            .iter()
            .map(|&id| self.model.pieces()[id as usize].text.clone())
            .collect();
        Ok(Encoding {
            attention_mask: vec![1; ids.len()],
            input_ids: ids,
            tokens,
            offsets,
        })
    }

    /// Encodes `text` with special tokens and truncation from `opts` (padding only if
    /// `opts.padding` is a fixed length).
    pub fn encode_with(&self, text: &str, opts: &EncodeOptions) -> Result<Encoding> {
        let mut enc = self.encode(text)?;
        opts.finish(&mut enc, self.bos(), self.eos());
        if let Some(len) = opts.padded_len(std::iter::once(enc.len())) {
            enc.pad_to(len, self.pad());
        }
        Ok(enc)
    }

    fn pad(&self) -> (u32, &str) {
        (self.pad_id(), &self.specials.pad)
    }
    fn bos(&self) -> (u32, &str) {
        (self.bos_id(), &self.specials.bos)
    }
    fn eos(&self) -> (u32, &str) {
        (self.eos_id(), &self.specials.eos)
    }

    /// Encodes many texts in parallel (rayon), then pads the batch.
    pub fn encode_batch<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        opts: &EncodeOptions,
    ) -> Result<Vec<Encoding>> {
        let mut encs = texts
            .par_iter()
            .map(|t| {
                let mut enc = self.encode(t.as_ref())?;
                opts.finish(&mut enc, self.bos(), self.eos());
                Ok(enc)
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(len) = opts.padded_len(encs.iter().map(Encoding::len)) {
            encs.par_iter_mut().for_each(|e| e.pad_to(len, self.pad()));
        }
        Ok(encs)
    }

    /// The fast bulk path: ids only, in parallel, with specials, truncation and padding (pad
    /// id) from `opts`.
    pub fn encode_batch_ids<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        opts: &EncodeOptions,
    ) -> Result<Vec<Vec<u32>>> {
        let mut all = texts
            .par_iter()
            .map(|t| {
                let mut ids = self.encode_ids(t.as_ref())?;
                opts.finish_ids(&mut ids, self.bos_id(), self.eos_id());
                Ok(ids)
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(len) = opts.padded_len(all.iter().map(Vec::len)) {
            let pad = self.pad_id();
            all.par_iter_mut().for_each(|ids| {
                if ids.len() < len {
                    ids.resize(len, pad);
                }
            });
        }
        Ok(all)
    }

    /// The ids a model is fed: each text encoded (no specials, in parallel), cut to `max_len`
    /// tokens when given. A row with no tokens (the empty text, or any text with `max_len` 0)
    /// becomes `[<unk>]`, so that every row can be batched.
    pub fn encode_batch_for_model<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        max_len: Option<usize>,
    ) -> Result<Vec<Vec<u32>>> {
        texts
            .par_iter()
            .map(|text| {
                let text = text.as_ref();
                let mut ids = if text.is_empty() {
                    Vec::new()
                } else {
                    self.encode_ids(text)?
                };
                if let Some(max_len) = max_len {
                    ids.truncate(max_len);
                }
                if ids.is_empty() {
                    ids.push(self.unk_id());
                }
                Ok(ids)
            })
            .collect()
    }

    /// Samples a segmentation of `text` (subword regularization, Kudo 2018) with smoothing
    /// `alpha` from `rng`; see [`unigram::sampling`]. Literal `▁` stays bytes as in `encode`.
    pub fn sample_ids_with<R: rand::Rng + ?Sized>(
        &self,
        text: &str,
        alpha: f64,
        rng: &mut R,
    ) -> Result<Vec<u32>> {
        if text.is_empty() {
            return Err(TokenizerError::EmptyText);
        }
        let mut ids = Vec::new();
        let (text, _) = self.normalizer.prepare(text);
        for w in self.normalizer.word_spans(&text) {
            let mut parts = w.body.split(META);
            let word = format!("{META}{}", parts.next().unwrap_or(""));
            ids.extend(unigram::sampling::sample_ids(
                &self.model,
                &word,
                alpha,
                rng,
            ));
            for part in parts {
                ids.extend_from_slice(&self.meta_bytes);
                if !part.is_empty() {
                    ids.extend(unigram::sampling::sample_ids(&self.model, part, alpha, rng));
                }
            }
        }
        Ok(ids)
    }

    /// [`Self::sample_ids_with`] from a fresh generator seeded with `seed` (reproducible).
    pub fn sample_ids(&self, text: &str, alpha: f64, seed: u64) -> Result<Vec<u32>> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        self.sample_ids_with(text, alpha, &mut rng)
    }

    /// Turns ids back into text. Normal pieces give their text with `▁` as a space (the very
    /// first token's leading `▁` is the one the encoder added, and is dropped); runs of byte
    /// pieces give their bytes (invalid UTF-8: one U+FFFD per byte, as HuggingFace); special
    /// tokens give their text unless `skip_special_tokens`.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        let mut out = String::with_capacity(ids.len() * 4);
        let mut bytes: Vec<u8> = Vec::new();
        let mut first = true;
        for &id in ids {
            let piece = self.model.piece(id).ok_or(TokenizerError::UnknownId {
                id,
                vocab_size: self.vocab_size(),
            })?;
            match piece.kind {
                PieceKind::Byte => {
                    bytes.push(parse_byte_piece(&piece.text).expect("checked by the model"));
                }
                PieceKind::Control | PieceKind::Unknown if skip_special_tokens => continue,
                kind => {
                    flush_bytes(&mut bytes, &mut out);
                    if kind == PieceKind::Normal {
                        let text = if first {
                            piece.text.strip_prefix(META).unwrap_or(&piece.text)
                        } else {
                            &piece.text
                        };
                        out.extend(text.chars().map(|c| if c == META { ' ' } else { c }));
                    } else {
                        out.push_str(&piece.text);
                    }
                }
            }
            first = false;
        }
        flush_bytes(&mut bytes, &mut out);
        Ok(out)
    }

    /// Decodes many id sequences in parallel.
    pub fn decode_batch<S: AsRef<[u32]> + Sync>(
        &self,
        seqs: &[S],
        skip_special_tokens: bool,
    ) -> Result<Vec<String>> {
        seqs.par_iter()
            .map(|s| self.decode(s.as_ref(), skip_special_tokens))
            .collect()
    }

    /// The tokenizer as HuggingFace `tokenizer.json` text.
    pub fn to_json_string(&self) -> String {
        hf_json::to_json(self)
    }

    /// Reads a tokenizer from `tokenizer.json` text; `origin` names it in errors.
    pub fn from_json_str(json: &str, origin: &Path) -> Result<Self> {
        hf_json::from_json(json, origin)
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

/// Rounds a score to 12 significant digits, so that every JSON reader parses the saved
/// decimal back to exactly this `f64`: a 17-digit shortest representation can come back one
/// ulp off from a fast parser (serde_json's default one, which HuggingFace also uses), and one
/// ulp decides exact ties between segmentations.
pub fn snap_score(score: f64) -> f64 {
    format!("{score:.11e}").parse().unwrap_or(score)
}

/// Appends pending byte-fallback bytes as text.
fn flush_bytes(bytes: &mut Vec<u8>, out: &mut String) {
    if bytes.is_empty() {
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => out.extend(std::iter::repeat_n('\u{FFFD}', bytes.len())),
    }
    bytes.clear();
}
