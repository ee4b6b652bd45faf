//! The Unigram language model: vocabulary, trie, lattice, Viterbi, sampling and training.

pub mod lattice;
pub mod model;
pub mod piece_trainer;
pub mod sampling;
pub mod trie;

pub use model::{Piece, PieceKind, ScoreAccumulation, UnigramModel};
