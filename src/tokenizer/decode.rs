//! Ids → text: pieces back to characters (`▁` as a space), byte pieces back to bytes.

use rayon::prelude::*;

use super::normalizer::META;
use super::unigram::model::parse_byte_piece;
use super::{PieceKind, Result, Tokenizer, TokenizerError};

impl Tokenizer {
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
