//! Text → ids: the fast id-only paths, full [`Encoding`]s with offsets, batches (in
//! parallel), the never-empty rows a model is fed, and sampled segmentations.

use rand::SeedableRng;
use rayon::prelude::*;

use super::cache;
use super::normalizer::META;
use super::unigram;
use super::{EncodeOptions, Encoding, PieceKind, Result, Tokenizer, TokenizerError};

impl Tokenizer {
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
        let mut enc = self.encode_finished(text, opts)?;
        if let Some(len) = opts.padded_len(std::iter::once(enc.len())) {
            enc.pad_to(len, self.pad());
        }
        Ok(enc)
    }

    /// Encodes `text` with special tokens and truncation from `opts` (no padding).
    fn encode_finished(&self, text: &str, opts: &EncodeOptions) -> Result<Encoding> {
        let mut enc = self.encode(text)?;
        opts.finish(&mut enc, self.bos(), self.eos());
        Ok(enc)
    }

    /// The ids of `text` with special tokens and truncation from `opts` (no padding).
    fn encode_ids_finished(&self, text: &str, opts: &EncodeOptions) -> Result<Vec<u32>> {
        let mut ids = self.encode_ids(text)?;
        opts.finish_ids(&mut ids, self.bos_id(), self.eos_id());
        Ok(ids)
    }

    /// Encodes many texts in parallel (rayon), then pads the batch.
    pub fn encode_batch<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        opts: &EncodeOptions,
    ) -> Result<Vec<Encoding>> {
        self.encode_padded(
            texts,
            opts,
            |text| self.encode_finished(text, opts),
            Encoding::len,
            |enc, len| enc.pad_to(len, self.pad()),
        )
    }

    /// The fast bulk path: ids only, in parallel, with specials, truncation and padding (pad
    /// id) from `opts`.
    pub fn encode_batch_ids<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        opts: &EncodeOptions,
    ) -> Result<Vec<Vec<u32>>> {
        let pad = self.pad_id();
        self.encode_padded(
            texts,
            opts,
            |text| self.encode_ids_finished(text, opts),
            Vec::len,
            |ids, len| {
                if ids.len() < len {
                    ids.resize(len, pad);
                }
            },
        )
    }

    /// Encodes `texts` in parallel with `encode_one`, then pads every row with `pad_to` to the
    /// batch length `opts` asks for.
    fn encode_padded<S: AsRef<str> + Sync, T: Send>(
        &self,
        texts: &[S],
        opts: &EncodeOptions,
        encode_one: impl Fn(&str) -> Result<T> + Sync,
        row_len: impl Fn(&T) -> usize,
        pad_to: impl Fn(&mut T, usize) + Sync,
    ) -> Result<Vec<T>> {
        let mut rows = texts
            .par_iter()
            .map(|text| encode_one(text.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        if let Some(len) = opts.padded_len(rows.iter().map(row_len)) {
            rows.par_iter_mut().for_each(|row| pad_to(row, len));
        }
        Ok(rows)
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
}
