//! The segmentation lattice of one text: every vocabulary piece (and unknown-character node)
//! at every position, for sampling and for checking Viterbi against an explicit graph.

use super::model::UnigramModel;

/// One lattice node: piece `id` covering bytes `start..end` of the text.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Node {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Piece id, or `u32::MAX` for an unknown character.
    pub id: u32,
    /// The piece's score (log probability).
    pub score: f64,
}

/// All candidate pieces of a text, indexed by end position.
#[derive(Clone, Debug)]
pub struct Lattice {
    len: usize,
    nodes: Vec<Node>,
    /// `ends_at[p]`: indices of nodes ending at byte `p`, in insertion order.
    ends_at: Vec<Vec<usize>>,
}

impl Lattice {
    /// Builds the lattice of `text` (already normalized) under `model`.
    pub fn new(model: &UnigramModel, text: &str) -> Self {
        let mut nodes = Vec::new();
        let mut ends_at = vec![Vec::new(); text.len() + 1];
        model.for_each_node(text, |start, end, id, score| {
            ends_at[end].push(nodes.len());
            nodes.push(Node {
                start,
                end,
                id,
                score,
            });
        });
        Lattice {
            len: text.len(),
            nodes,
            ends_at,
        }
    }

    /// Length of the text in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All nodes, ordered by start, then by length.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Indices of the nodes ending at byte `pos`.
    pub fn ending_at(&self, pos: usize) -> &[usize] {
        &self.ends_at[pos]
    }

    /// `alpha[p]` = log of the summed weight of all paths from 0 to `p`, each node weighted
    /// `exp(theta * score)`; `-inf` where no path ends (inside a character).
    pub fn forward(&self, theta: f64) -> Vec<f64> {
        let mut alpha = vec![f64::NEG_INFINITY; self.len + 1];
        alpha[0] = 0.0;
        for pos in 1..=self.len {
            let ends = &self.ends_at[pos];
            if ends.is_empty() {
                continue;
            }
            let terms = ends
                .iter()
                .map(|&i| alpha[self.nodes[i].start] + theta * self.nodes[i].score);
            alpha[pos] = log_sum_exp(terms);
        }
        alpha
    }

    /// The best path as node indices (f64 sums, ties to the first-found path).
    pub fn viterbi(&self) -> Vec<usize> {
        let mut best = vec![f64::NEG_INFINITY; self.len + 1];
        let mut back = vec![usize::MAX; self.len + 1];
        best[0] = 0.0;
        for (i, n) in self.nodes.iter().enumerate() {
            let cand = best[n.start] + n.score;
            if back[n.end] == usize::MAX || cand > best[n.end] {
                best[n.end] = cand;
                back[n.end] = i;
            }
        }
        let mut path = Vec::new();
        let mut pos = self.len;
        while pos > 0 {
            let i = back[pos];
            path.push(i);
            pos = self.nodes[i].start;
        }
        path.reverse();
        path
    }
}

/// `log(sum(exp(x)))`, stable.
pub fn log_sum_exp(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = xs.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + xs.map(|x| (x - max).exp()).sum::<f64>().ln()
}
