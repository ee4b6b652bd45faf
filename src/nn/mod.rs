//! Neural network layers and classifiers built from dfdx tensor ops.
//!
//! Everything is sized at runtime (`Tensor<(usize, …), E, D>`, see [`params`]) from a serde
//! [`config::ModelConfig`], generic over the float type `E` and the dfdx device `D`:
//!
//! ```text
//! Batch ─► Embedding ─┬─► CnnEncoder: Conv1d branches ─► masked max over time ─► ReLU ─┐
//!                     └─► RecurrentStack<Rnn | Lstm> (Bidirectional layers) ─► Pooling ─┴─► dropout ─► Head ─► + ─► logits (B, 2)
//! Batch ─► NgramBag (optional): distinct unigrams + hashed bigrams ─► normalized sum of scores ──────────────────────┤
//! Batch valence ─► ValenceChannel (optional): one more input feature per token, beside the embedding                │
//! Batch valence ─► LexiconHead (optional): three text-level valence features ─► linear ────────────────────────────┘
//! ```
//!
//! - [`classifier::Classifier`]: the model; a dfdx `TensorCollection`, so `alloc_grads`,
//!   optimizers and safetensors work on it. [`linear::Logits`] is its output.
//! - [`ngram`]: an optional bag of token unigrams and hashed bigrams whose scores are added
//!   to the logits (a jointly trained logistic regression: wide and deep).
//! - [`valence`]: prior sentiment knowledge from a lexicon, read from the batch's per-token
//!   valence: a channel beside the embeddings and a head over text-level features.
//! - [`conv1d`], [`rnn`], [`lstm`] (+ [`gates`]), [`bidirectional`], [`stack`], [`pooling`]:
//!   the layers. Recurrent layers map `(B, T, E)` + lengths to `(B, T, H)`, zero at padding.
//! - [`reference`](mod@crate::nn::reference): op-by-op formulations of the recurrences (every device; traces states);
//!   [`fused`]: whole-sequence CPU ops; [`backend`] picks one per device and float type.
//!
//! Modules depend on lower rows only (never on their own row), so the files read bottom-up:
//!
//! ```text
//! 9  classifier
//! 8  stack
//! 7  bidirectional
//! 6  rnn, lstm, cnn, ngram                 the layers, dispatched through the backend
//! 5  sequence_layer                        what a stack needs from a recurrent layer
//! 4  backend                               fused or reference, per device and float type
//! 3  config, fused
//! 2  conv1d, pooling, reference, valence
//! 1  sequence, directions, embedding, linear
//! 0  params, gates
//! ```

pub mod backend;
pub mod bidirectional;
pub mod classifier;
pub mod cnn;
pub mod config;
pub mod conv1d;
pub mod directions;
pub mod embedding;
pub mod fused;
pub mod gates;
pub mod linear;
pub mod lstm;
pub mod ngram;
pub mod params;
pub mod pooling;
pub mod reference;
pub mod rnn;
pub mod sequence;
pub mod sequence_layer;
pub mod stack;
pub mod valence;

#[cfg(test)]
mod layering;
