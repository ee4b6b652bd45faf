//! The Unigram model: pieces with log-probability scores, and Viterbi segmentation.
//!
//! Segmentation follows SentencePiece (and HuggingFace `tokenizers`) exactly:
//! - only [`PieceKind::Normal`] pieces take part;
//! - start positions are visited left to right and, at each start, pieces shortest first; a
//!   candidate replaces the best path ending at the same position only if it scores strictly
//!   higher (so ties go to the path found first);
//! - a character with no single-character piece gets an "unknown" node scored
//!   `min(all scores) - 10`; consecutive unknown characters are fused, then written as
//!   byte-fallback pieces `<0xNN>` of their UTF-8 bytes when the model has all 256 of them,
//!   else as one `<unk>`.
//!
//! Path scores are summed in `f32` (SentencePiece) or `f64` (HuggingFace), see
//! [`ScoreAccumulation`]; the two differ only on near-exact ties.

use std::collections::HashMap;

use super::trie::Trie;

/// Penalty below the lowest piece score given to an unknown character (as SentencePiece).
pub const UNK_PENALTY: f64 = 10.0;

/// What a vocabulary entry is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PieceKind {
    /// An ordinary subword that Viterbi may choose.
    Normal,
    /// The `<unk>` token.
    Unknown,
    /// A special token (`<pad>`, `<s>`, …); never produced by segmentation.
    Control,
    /// A byte-fallback piece `<0xNN>`.
    Byte,
}

/// Which float type path scores are accumulated in.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ScoreAccumulation {
    /// `f32`, like SentencePiece (reproduces its segmentations bit for bit).
    F32,
    /// `f64`, like HuggingFace `tokenizers` (the default).
    #[default]
    F64,
}

/// One vocabulary entry.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Piece {
    /// The piece's text (`▁` marks a word start).
    pub text: String,
    /// Its log probability.
    pub score: f64,
    /// Its role.
    pub kind: PieceKind,
}

impl Piece {
    /// A new piece.
    pub fn new(text: impl Into<String>, score: f64, kind: PieceKind) -> Self {
        Piece {
            text: text.into(),
            score,
            kind,
        }
    }
}

/// Why a vocabulary cannot form a model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    /// The same piece text appears twice.
    #[error("piece {piece:?} appears twice in the vocabulary (ids {first} and {second})")]
    DuplicatePiece {
        /// The repeated text.
        piece: String,
        /// Its first id.
        first: u32,
        /// Its second id.
        second: u32,
    },
    /// Without `<unk>` or the 256 byte pieces, unseen characters could not be encoded.
    #[error("the vocabulary needs an <unk> piece or all 256 byte pieces <0x00>..<0xFF>")]
    NoFallback,
    /// More than one piece has kind `unknown`.
    #[error("more than one <unk> piece (ids {0} and {1})")]
    TwoUnknowns(u32, u32),
    /// A byte piece's text is not `<0xNN>`.
    #[error("byte piece {0:?} is not of the form <0xNN>")]
    BadBytePiece(String),
    /// A normal piece is empty or its score is not finite.
    #[error("piece {id} ({piece:?}) is empty or has a non-finite score {score}")]
    BadPiece {
        /// Its id.
        id: u32,
        /// Its text.
        piece: String,
        /// Its score.
        score: f64,
    },
}

/// The text of the byte-fallback piece for `b`: `<0x41>` for `A`.
pub fn byte_piece(byte: u8) -> String {
    format!("<0x{byte:02X}>")
}

/// Parses `<0xNN>` back to its byte.
pub fn parse_byte_piece(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

/// Id used inside the lattice for an unknown character before fallback.
pub(crate) const UNK_NODE: u32 = u32::MAX;

/// A Unigram language model over a fixed vocabulary.
#[derive(Clone, Debug)]
pub struct UnigramModel {
    pieces: Vec<Piece>,
    /// Scores by id, dense (Viterbi reads them in its inner loop).
    scores64: Vec<f64>,
    scores32: Vec<f32>,
    piece_ids: HashMap<String, u32>,
    trie: Trie,
    unk_id: Option<u32>,
    byte_ids: Option<Box<[u32; 256]>>,
    unk_score: f64,
    accumulation: ScoreAccumulation,
}

/// Scratch buffers reused across Viterbi calls on one thread.
#[derive(Default)]
struct Scratch {
    best64: Vec<f64>,
    best32: Vec<f32>,
    from: Vec<u32>,
    id: Vec<u32>,
    spans: Vec<(u32, u32, u32)>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

impl UnigramModel {
    /// Builds a model; ids are positions in `pieces`.
    pub fn new(pieces: Vec<Piece>, accumulation: ScoreAccumulation) -> Result<Self, ModelError> {
        let mut piece_ids = HashMap::with_capacity(pieces.len());
        let mut unk_id = None;
        let mut bytes = [u32::MAX; 256];
        let mut min_score = f64::INFINITY;
        for (i, p) in pieces.iter().enumerate() {
            let id = i as u32;
            if let Some(first) = piece_ids.insert(p.text.clone(), id) {
                return Err(ModelError::DuplicatePiece {
                    piece: p.text.clone(),
                    first,
                    second: id,
                });
            }
            if p.text.is_empty() || !p.score.is_finite() {
                return Err(ModelError::BadPiece {
                    id,
                    piece: p.text.clone(),
                    score: p.score,
                });
            }
            min_score = min_score.min(p.score);
            match p.kind {
                PieceKind::Unknown => {
                    if let Some(u) = unk_id {
                        return Err(ModelError::TwoUnknowns(u, id));
                    }
                    unk_id = Some(id);
                }
                PieceKind::Byte => {
                    let b = parse_byte_piece(&p.text)
                        .ok_or_else(|| ModelError::BadBytePiece(p.text.clone()))?;
                    bytes[b as usize] = id;
                }
                _ => {}
            }
        }
        let byte_ids = bytes
            .iter()
            .all(|&b| b != u32::MAX)
            .then(|| Box::new(bytes));
        if unk_id.is_none() && byte_ids.is_none() {
            return Err(ModelError::NoFallback);
        }
        let trie = Trie::new(
            pieces
                .iter()
                .enumerate()
                .filter(|(_, p)| p.kind == PieceKind::Normal)
                .map(|(i, p)| (p.text.as_str(), i as u32)),
        );
        let scores32 = pieces.iter().map(|p| p.score as f32).collect();
        let scores64 = pieces.iter().map(|p| p.score).collect();
        Ok(UnigramModel {
            pieces,
            scores64,
            scores32,
            piece_ids,
            trie,
            unk_id,
            byte_ids,
            unk_score: min_score - UNK_PENALTY,
            accumulation,
        })
    }

    /// All pieces, in id order.
    pub fn pieces(&self) -> &[Piece] {
        &self.pieces
    }

    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Whether the vocabulary is empty (never true for a built model).
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The id of `piece`, if present.
    pub fn piece_to_id(&self, piece: &str) -> Option<u32> {
        self.piece_ids.get(piece).copied()
    }

    /// The piece with id `id`.
    pub fn piece(&self, id: u32) -> Option<&Piece> {
        self.pieces.get(id as usize)
    }

    /// The `<unk>` id, if the vocabulary has one.
    pub fn unk_id(&self) -> Option<u32> {
        self.unk_id
    }

    /// The id of byte piece `<0xNN>` when the model has byte fallback.
    pub fn byte_id(&self, byte: u8) -> Option<u32> {
        self.byte_ids.as_ref().map(|t| t[byte as usize])
    }

    /// Whether unseen characters become byte pieces (all 256 are present).
    pub fn has_byte_fallback(&self) -> bool {
        self.byte_ids.is_some()
    }

    /// The score an unknown character's node gets.
    pub fn unk_score(&self) -> f64 {
        self.unk_score
    }

    /// How path scores are summed.
    pub fn accumulation(&self) -> ScoreAccumulation {
        self.accumulation
    }

    /// Changes how path scores are summed.
    pub fn set_accumulation(&mut self, accumulation: ScoreAccumulation) {
        self.accumulation = accumulation;
    }

    /// Calls `f(start, end, id, score)` for every lattice node of `text` (byte positions), in
    /// SentencePiece's order: by start, then shortest first. Unknown characters get a node with
    /// id [`UNK_NODE`] and [`Self::unk_score`].
    pub(crate) fn for_each_node(&self, text: &str, mut f: impl FnMut(usize, usize, u32, f64)) {
        let bytes = text.as_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let char_len = utf8_len(bytes[start]);
            let mut single = false;
            self.trie.common_prefix_search(&bytes[start..], |len, id| {
                single |= len == char_len;
                f(start, start + len, id, self.scores64[id as usize]);
            });
            if !single {
                f(start, start + char_len, UNK_NODE, self.unk_score);
            }
            start += char_len;
        }
    }

    /// Viterbi-segments `text` (already normalized) and appends the ids to `out`.
    pub fn encode_ids(&self, text: &str, out: &mut Vec<u32>) {
        self.encode_with(text, |id, _, _| out.push(id));
    }

    /// Viterbi-segments `text` and calls `f(id, start, end)` for each token in order, where
    /// `start..end` is the token's byte range in `text` (one byte per byte-fallback piece).
    pub fn encode_with(&self, text: &str, f: impl FnMut(u32, usize, usize)) {
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            match self.accumulation {
                ScoreAccumulation::F64 => self.viterbi_f64(text, &mut s),
                ScoreAccumulation::F32 => self.viterbi_f32(text, &mut s),
            }
            self.emit(text, &s.spans, f);
        })
    }

    /// Writes the tokens of a segmentation given as `(start, end, id)` spans in order,
    /// fusing unknown characters and applying byte fallback.
    pub(crate) fn emit(
        &self,
        text: &str,
        spans: &[(u32, u32, u32)],
        mut f: impl FnMut(u32, usize, usize),
    ) {
        let mut i = 0;
        while i < spans.len() {
            let (start, mut end, id) = spans[i];
            i += 1;
            if id != UNK_NODE {
                f(id, start as usize, end as usize);
                continue;
            }
            while i < spans.len() && spans[i].2 == UNK_NODE {
                end = spans[i].1;
                i += 1;
            }
            let (start, end) = (start as usize, end as usize);
            match (&self.byte_ids, self.unk_id) {
                (Some(table), _) => {
                    for (k, &b) in text.as_bytes()[start..end].iter().enumerate() {
                        f(table[b as usize], start + k, start + k + 1);
                    }
                }
                (None, Some(unk)) => f(unk, start, end),
                (None, None) => unreachable!("checked in UnigramModel::new"),
            }
        }
    }
}

/// Generates the Viterbi forward pass for one accumulator float type.
macro_rules! viterbi_impl {
    ($name:ident, $best:ident, $t:ty, $score:expr) => {
        impl UnigramModel {
            fn $name(&self, text: &str, s: &mut Scratch) {
                let n = text.len();
                let Scratch {
                    $best: best,
                    from,
                    id,
                    spans,
                    ..
                } = s;
                best.clear();
                best.resize(n + 1, 0.0);
                from.clear();
                from.resize(n + 1, u32::MAX);
                id.clear();
                id.resize(n + 1, 0);
                let score_of = $score;
                self.for_each_node(text, |start, end, pid, score| {
                    let cand: $t = best[start] + score_of(self, pid, score);
                    if from[end] == u32::MAX || cand > best[end] {
                        best[end] = cand;
                        from[end] = start as u32;
                        id[end] = pid;
                    }
                });
                spans.clear();
                let mut end = n;
                while end > 0 {
                    let start = from[end];
                    spans.push((start, end as u32, id[end]));
                    end = start as usize;
                }
                spans.reverse();
            }
        }
    };
}

viterbi_impl!(
    viterbi_f64,
    best64,
    f64,
    |_: &UnigramModel, _: u32, score: f64| score
);
viterbi_impl!(
    viterbi_f32,
    best32,
    f32,
    |m: &UnigramModel, pid: u32, _: f64| {
        if pid == UNK_NODE {
            m.unk_score as f32
        } else {
            m.scores32[pid as usize]
        }
    }
);

/// Length of the UTF-8 sequence starting with `lead`.
#[inline]
pub(crate) fn utf8_len(lead: u8) -> usize {
    match lead {
        0..0x80 => 1,
        0xE0..0xF0 => 3,
        0xF0.. => 4,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(extra: &[(&str, f64)]) -> UnigramModel {
        let mut pieces = vec![Piece::new("<unk>", 0.0, PieceKind::Unknown)];
        pieces.extend(
            extra
                .iter()
                .map(|&(t, s)| Piece::new(t, s, PieceKind::Normal)),
        );
        UnigramModel::new(pieces, ScoreAccumulation::F64).unwrap()
    }

    #[test]
    fn hf_doc_example() {
        // The example from HuggingFace's Unigram::encode documentation.
        let m = model(&[
            ("a", 0.0),
            ("b", 0.0),
            ("c", 0.0),
            ("d", 0.0),
            ("cd", 1.0),
            ("ab", 2.0),
            ("abc", 5.0),
            ("abcd", 10.0),
        ]);
        let mut ids = Vec::new();
        m.encode_ids("abcdacdxx", &mut ids);
        let toks: Vec<_> = ids
            .iter()
            .map(|&i| m.pieces()[i as usize].text.as_str())
            .collect();
        // "xx" is two unknown characters fused into one <unk>.
        assert_eq!(toks, vec!["abcd", "a", "cd", "<unk>"]);
    }

    #[test]
    fn ties_go_to_the_path_found_first() {
        // "ab" = a+b = -2 ties the single piece "ab" = -2: the single piece wins because it is
        // found from start 0, before "b" from start 1.
        let m = model(&[("a", -1.0), ("b", -1.0), ("ab", -2.0)]);
        let mut ids = Vec::new();
        m.encode_ids("ab", &mut ids);
        assert_eq!(ids, vec![3]);
    }
}
