//! Command-line front ends shared by the binaries.

pub mod tokenizer;
