//! # sentiment-rnn
//!
//! Tokenization and sentiment classification with convolutional and recurrent networks,
//! written from scratch on the `dfdx` tensor/autodiff crate.
//!
//! Data flows one way, and the modules follow it:
//!
//! ```text
//! text files ─► data ─► tokenizer ─► batches ─► nn model ─► train ─► study ─► report
//! ```
//!
//! - [`data`]: reading the line-per-text files (with CSV quoting), downloading and verifying
//!   them, train/validation splits and the batching `DataLoader`.
//! - [`tokenizer`]: a Unigram tokenizer (SentencePiece-style training, Viterbi encoding, byte
//!   fallback) behind a HuggingFace-style API, saved as HF `tokenizer.json`.
//! - [`nn`]: Conv1d CNN, RNN and LSTM (gate ablation, stacking, bidirectional) classifiers.
//! - [`train`]: optimizer, gradient clipping, the training loop, metrics and checkpoints.
//! - [`saved`]: the run config of one trained model and its folder (save, verify, load).
//! - [`study`]: the homework's experiments as data, run over seeds with a cache.
//! - [`report`]: figures (plotters) and the generated `REPORT.md`.
//! - [`cpu`]: flushes subnormal floats on every computing thread (called by the binaries,
//!   the trainer and evaluation).

pub mod cli;
pub mod cpu;
pub mod data;
pub mod nn;
pub mod report;
pub mod saved;
pub mod study;
pub mod tokenizer;
pub mod train;
