//! # sentiment-rnn
//!
//! Tokenization and sentiment classification with convolutional and recurrent networks,
//! written from scratch on the `dfdx` tensor/autodiff crate.
//!
//! Modules depend one way, in the order data flows through them (a module uses only the
//! ones before it; `tests/architecture.rs` checks this and that files import no cycle):
//!
//! ```text
//! cpu, tokenizer ─► data ─► nn ─► train ─► saved ─► study ─► report ─► cli ─► bin/*
//! ```
//!
//! - [`cpu`]: flushes subnormal floats on every computing thread (called by the binaries,
//!   the trainer and evaluation).
//! - [`tokenizer`]: a Unigram tokenizer (SentencePiece-style training, Viterbi encoding, byte
//!   fallback) behind a HuggingFace-style API, saved as HF `tokenizer.json`.
//! - [`data`]: reading the line-per-text files (with CSV quoting), downloading and verifying
//!   them, the VADER lexicon, train/validation splits and the batching `DataLoader`.
//! - [`nn`]: Conv1d CNN, RNN and LSTM (gate ablation, stacking, bidirectional) classifiers.
//! - [`train`]: optimizer, gradient clipping, the training loop, metrics and checkpoints.
//! - [`saved`]: the run config of one trained model and its folder (save, verify, load).
//! - [`study`]: the homework's experiments as data, run over seeds with a cache.
//! - [`report`]: figures (plotters) and the generated `REPORT.md`.
//! - [`cli`]: the `sentiment-rnn` command's subcommands (train, eval, predict, tokenizer).

pub mod cli;
pub mod cpu;
pub mod data;
pub mod nn;
pub mod report;
pub mod saved;
pub mod study;
pub mod tokenizer;
pub mod train;
