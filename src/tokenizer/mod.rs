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
//!
//! Files: [`vocab`] (the type and its vocabulary layout), [`special`], [`encode`], [`decode`],
//! [`encoding`] (the result and batch options), [`normalizer`], [`train`] (from texts),
//! [`hf_json`] (saving and loading), [`unigram`] (the model and its piece trainer).

mod cache;
pub mod decode;
pub mod encode;
pub mod encoding;
pub mod error;
pub mod hf_json;
pub mod normalizer;
pub mod special;
pub mod train;
pub mod unigram;
pub mod vocab;

pub use encoding::{EncodeOptions, Encoding, Padding};
pub use error::{Result, TokenizerError, VocabError};
pub use normalizer::{BrHandling, META, Normalizer};
pub use special::SpecialTokens;
pub use train::TokenizerTrainConfig;
pub use unigram::{Piece, PieceKind, ScoreAccumulation, UnigramModel};
pub use vocab::{BYTE_PIECE_PENALTY, Tokenizer, snap_score};
