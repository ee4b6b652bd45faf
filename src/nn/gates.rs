//! Which LSTM gates are enabled, and where their blocks sit in the fused weight layout.

use serde::{Deserialize, Serialize};

/// One of the three LSTM gates that the study can switch off.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// f_t: how much of C_{t-1} is kept.
    Forget,
    /// i_t: how much of the candidate C̃_t is written.
    Input,
    /// o_t: how much of tanh(C_t) is exposed as h_t.
    Output,
}

/// A column block of the LSTM's fused weights `w_x: (E, G·H)`, `w_h: (H, G·H)`, `b: (G·H,)`.
///
/// Blocks are laid out in the order [input i, forget f, candidate g, output o]; the blocks of
/// disabled gates are absent, so `G = 4 − #disabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Block {
    Input,
    Forget,
    Candidate,
    Output,
}

/// Which of the forget/input/output gates are enabled. A disabled gate outputs the constant 1
/// and has no weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GateSet {
    pub forget: bool,
    pub input: bool,
    pub output: bool,
}

impl Default for GateSet {
    fn default() -> Self {
        Self::ALL
    }
}

impl GateSet {
    /// The standard LSTM: all gates enabled.
    pub const ALL: Self = Self {
        forget: true,
        input: true,
        output: true,
    };

    /// All gates except `gate`.
    pub fn without(gate: Gate) -> Self {
        let mut s = Self::ALL;
        match gate {
            Gate::Forget => s.forget = false,
            Gate::Input => s.input = false,
            Gate::Output => s.output = false,
        }
        s
    }

    /// From an optional disabled gate (the config's `disabled_gate`).
    pub fn with_disabled(gate: Option<Gate>) -> Self {
        gate.map_or(Self::ALL, Self::without)
    }

    /// Whether `gate` is enabled.
    pub fn is_enabled(&self, gate: Gate) -> bool {
        match gate {
            Gate::Forget => self.forget,
            Gate::Input => self.input,
            Gate::Output => self.output,
        }
    }

    /// Number of column blocks `G` (the candidate block is always present).
    pub fn num_blocks(&self) -> usize {
        1 + self.forget as usize + self.input as usize + self.output as usize
    }

    /// Column-block index of `block` in the fused layout, `None` when its gate is disabled.
    pub fn block_index(&self, block: Block) -> Option<usize> {
        let i = self.input as usize;
        let f = self.forget as usize;
        match block {
            Block::Input => self.input.then_some(0),
            Block::Forget => self.forget.then_some(i),
            Block::Candidate => Some(i + f),
            Block::Output => self.output.then_some(i + f + 1),
        }
    }

    /// Encodes the set as 3 bits (forget = 1, input = 2, output = 4), for checkpoints.
    pub fn to_bits(self) -> usize {
        self.forget as usize | (self.input as usize) << 1 | (self.output as usize) << 2
    }

    /// Inverse of [`GateSet::to_bits`].
    pub fn from_bits(bits: usize) -> Self {
        Self {
            forget: bits & 1 != 0,
            input: bits & 2 != 0,
            output: bits & 4 != 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_layout_skips_disabled_gates() {
        let all = GateSet::ALL;
        assert_eq!(all.num_blocks(), 4);
        assert_eq!(all.block_index(Block::Output), Some(3));
        let no_f = GateSet::without(Gate::Forget);
        assert_eq!(no_f.num_blocks(), 3);
        assert_eq!(no_f.block_index(Block::Forget), None);
        assert_eq!(no_f.block_index(Block::Candidate), Some(1));
        assert_eq!(no_f.block_index(Block::Output), Some(2));
        let no_i = GateSet::without(Gate::Input);
        assert_eq!(no_i.block_index(Block::Forget), Some(0));
        assert_eq!(no_i.block_index(Block::Candidate), Some(1));
        for bits in 0..8 {
            assert_eq!(GateSet::from_bits(bits).to_bits(), bits);
        }
    }
}
