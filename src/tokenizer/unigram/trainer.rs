//! SentencePiece-style Unigram training: seed substrings, EM, pruning.
//!
//! Interface (agreed between the model and the trainer):
//! `train(word_counts, config, progress) -> Vec<(String, f64)>` returns the *normal* pieces
//! with their log-probability scores, best first. Special tokens and the 256 byte-fallback
//! pieces are added by the model, not here.
