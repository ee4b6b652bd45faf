//! The LSTM layer (op-by-op reference path, or the fused CPU op).

pub use super::gates::{Block, Gate, GateSet};
