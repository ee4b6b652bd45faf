//! The training corpus as lattices: for every distinct word, the candidate pieces that
//! occur in it, stored flat (one `Vec` of nodes for all words) so that EM and pruning
//! stream through memory instead of re-matching strings.

use std::ops::Range;

/// One candidate piece occurrence inside a word: characters `start..start + len`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    pub start: u32,
    pub len: u32,
    pub piece: u32,
}

impl Node {
    /// Position (in characters) just after the piece.
    #[inline]
    pub fn end(&self) -> usize {
        (self.start + self.len) as usize
    }
}

/// A distinct training word: its nodes in `Corpus::nodes`, length and frequency.
#[derive(Clone, Debug)]
pub struct Word {
    pub nodes: Range<usize>,
    pub chars: usize,
    pub freq: f64,
}

/// All words' lattices. Nodes of a word are sorted by start, then by length, which is
/// the order forward–backward and Viterbi need (a node's start is final when it is read).
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    pub words: Vec<Word>,
    pub nodes: Vec<Node>,
    /// For every piece, one place it occurs: (word index, start); its own sub-lattice
    /// (for pruning) is the word's nodes inside that span.
    pub occurrence: Vec<(u32, u32)>,
}

/// Number of word chunks the parallel passes use. Fixed (not the thread count) so that
/// floating-point sums are added in the same order on every machine: training is
/// deterministic.
pub const CHUNKS: usize = 8;

impl Corpus {
    /// The nodes of word `w`.
    #[inline]
    pub fn word_nodes(&self, word: &Word) -> &[Node] {
        &self.nodes[word.nodes.clone()]
    }

    /// Drops the nodes of pieces that are no longer alive.
    pub fn retain(&mut self, alive: &[bool]) {
        let mut out = 0;
        for w in &mut self.words {
            let begin = out;
            for i in w.nodes.clone() {
                let node = self.nodes[i];
                if alive[node.piece as usize] {
                    self.nodes[out] = node;
                    out += 1;
                }
            }
            w.nodes = begin..out;
        }
        self.nodes.truncate(out);
    }

    /// Total word frequency (the number of word tokens in the training text).
    pub fn total_freq(&self) -> f64 {
        self.words.iter().map(|w| w.freq).sum()
    }

    /// [`CHUNKS`] contiguous word ranges of about equal node counts.
    pub fn chunks(&self) -> Vec<Range<usize>> {
        let per = self.nodes.len().div_ceil(CHUNKS).max(1);
        let mut out = Vec::with_capacity(CHUNKS);
        let mut begin = 0;
        for (i, w) in self.words.iter().enumerate() {
            if w.nodes.end >= per * (out.len() + 1) && out.len() + 1 < CHUNKS {
                out.push(begin..i + 1);
                begin = i + 1;
            }
        }
        out.push(begin..self.words.len());
        out
    }
}
