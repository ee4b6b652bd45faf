//! A Unigram tokenizer with a HuggingFace-style interface.

pub mod encoding;
pub mod hf_json;
pub mod normalizer;
pub mod unigram;
