//! Op-by-op formulations of the recurrent layers, one dfdx op per term of the equations.
//!
//! They are the layers' path on every device, the ground truth the fused CPU ops are tested
//! against, and the only path that exposes the per-step hidden states (gradient-flow analysis).
//!
//! Contract shared with `crate::nn::fused`: `x: (B, T, E)` with `lengths[r]` real tokens per
//! row → `(B, T, H)` with zeros at padded positions; `reverse` runs from `t = len − 1` down to 0
//! over each row's real tokens with outputs aligned to input positions; `h_0 = C_0 = 0`.

pub mod lstm;
mod recur;
pub mod rnn;

pub use lstm::{lstm_sequence, lstm_sequence_traced};
pub use rnn::{rnn_sequence, rnn_sequence_traced};
