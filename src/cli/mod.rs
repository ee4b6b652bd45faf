//! Command-line front ends shared by the binaries.

pub mod eval;
pub mod predict;
pub mod tokenizer;
pub mod train;
