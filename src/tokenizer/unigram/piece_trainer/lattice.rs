//! Forward–backward and Viterbi over one word's nodes (the trainer's own compact lattice).

use super::corpus::Node;

/// Buffers reused across words so the hot loops never allocate.
#[derive(Default)]
pub struct Scratch {
    alpha: Vec<f64>,
    beta: Vec<f64>,
    back: Vec<u32>,
}

/// Below this the probability-space forward pass risks underflow; such (long, rare)
/// words are redone in log space.
const TINY: f64 = 1e-250;

/// One distinct word of the corpus: its lattice nodes, its length in characters and how
/// often it occurs.
#[derive(Clone, Copy)]
pub struct Word<'a> {
    pub nodes: &'a [Node],
    pub chars: usize,
    pub freq: f64,
}

/// Adds `freq` × the posterior probability of every node to `expected[piece]` and returns
/// ln Z, the log marginal likelihood of the word.
///
/// Works with probabilities (not logs) because words are short: one multiply–add per node
/// instead of an `exp` and a `ln`.
pub fn add_expected(
    word: Word<'_>,
    probs: &[f64],
    logp: &[f64],
    expected: &mut [f64],
    scratch: &mut Scratch,
) -> f64 {
    let z = forward_backward::<Probability>(word, probs, scratch);
    if !(z > TINY && z.is_finite()) {
        return add_expected_log(word, logp, expected, scratch);
    }
    let Scratch { alpha, beta, .. } = scratch;
    let scale = word.freq / z;
    for n in word.nodes {
        let p = n.piece as usize;
        expected[p] += alpha[n.start as usize] * probs[p] * beta[n.end()] * scale;
    }
    z.ln()
}

/// The same computation in log space (slow, exact for any word length).
fn add_expected_log(
    word: Word<'_>,
    logp: &[f64],
    expected: &mut [f64],
    scratch: &mut Scratch,
) -> f64 {
    let log_z = forward_backward::<LogProbability>(word, logp, scratch);
    let Scratch { alpha, beta, .. } = scratch;
    for n in word.nodes {
        let p = n.piece as usize;
        expected[p] +=
            word.freq * (alpha[n.start as usize] + logp[p] + beta[n.end()] - log_z).exp();
    }
    log_z
}

/// How path weights combine: multiplied along a path, added across paths.
trait PathWeight {
    /// The weight of no path.
    const ZERO: f64;
    /// The weight of the empty path.
    const ONE: f64;
    /// Extends a path by a piece.
    fn times(a: f64, b: f64) -> f64;
    /// Joins two sets of paths.
    fn plus(a: f64, b: f64) -> f64;
}

/// Probabilities.
struct Probability;

impl PathWeight for Probability {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    #[inline]
    fn times(a: f64, b: f64) -> f64 {
        a * b
    }
    #[inline]
    fn plus(a: f64, b: f64) -> f64 {
        a + b
    }
}

/// Log-probabilities.
struct LogProbability;

impl PathWeight for LogProbability {
    const ZERO: f64 = f64::NEG_INFINITY;
    const ONE: f64 = 0.0;
    #[inline]
    fn times(a: f64, b: f64) -> f64 {
        a + b
    }
    #[inline]
    fn plus(a: f64, b: f64) -> f64 {
        log_add(a, b)
    }
}

/// Fills `scratch.alpha` and `scratch.beta` for `word` under `weight`; returns the total
/// weight of all its paths.
fn forward_backward<W: PathWeight>(word: Word<'_>, weight: &[f64], scratch: &mut Scratch) -> f64 {
    forward::<W>(word.nodes, word.chars, weight, &mut scratch.alpha);
    backward::<W>(word.nodes, word.chars, weight, &mut scratch.beta);
    scratch.alpha[word.chars]
}

/// `alpha[i]`: the total weight of the paths over the first `i` characters.
#[inline]
fn forward<W: PathWeight>(nodes: &[Node], chars: usize, weight: &[f64], alpha: &mut Vec<f64>) {
    alpha.clear();
    alpha.resize(chars + 1, W::ZERO);
    alpha[0] = W::ONE;
    for n in nodes {
        let end = n.end();
        alpha[end] = W::plus(
            alpha[end],
            W::times(alpha[n.start as usize], weight[n.piece as usize]),
        );
    }
}

/// `beta[i]`: the total weight of the paths from character `i` to the end.
#[inline]
fn backward<W: PathWeight>(nodes: &[Node], chars: usize, weight: &[f64], beta: &mut Vec<f64>) {
    beta.clear();
    beta.resize(chars + 1, W::ZERO);
    beta[chars] = W::ONE;
    for n in nodes.iter().rev() {
        let start = n.start as usize;
        beta[start] = W::plus(
            beta[start],
            W::times(weight[n.piece as usize], beta[n.end()]),
        );
    }
}

#[inline]
fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// The best segmentation of characters `from..to` using only nodes inside that span
/// (and, when `skip` is given, not that node). Pieces are pushed to `path` in order;
/// returns the path's total log-probability (−∞ when no path exists).
///
/// Ties keep the earlier candidate: starts left to right, shorter pieces first, a
/// candidate wins only when strictly better (SentencePiece's rule).
pub fn viterbi(
    nodes: &[Node],
    from: usize,
    to: usize,
    logp: &[f64],
    skip: Option<usize>,
    path: &mut Vec<u32>,
    s: &mut Scratch,
) -> f64 {
    let width = to - from;
    let best = &mut s.alpha;
    best.clear();
    best.resize(width + 1, f64::NEG_INFINITY);
    best[0] = 0.0;
    let back = &mut s.back;
    back.clear();
    back.resize(width + 1, u32::MAX);
    for (i, n) in nodes.iter().enumerate() {
        let (st, e) = (n.start as usize, n.end());
        if st < from || e > to || Some(i) == skip {
            continue;
        }
        let cand = best[st - from] + logp[n.piece as usize];
        if cand > best[e - from] {
            best[e - from] = cand;
            back[e - from] = i as u32;
        }
    }
    let score = best[width];
    path.clear();
    if score == f64::NEG_INFINITY {
        return score;
    }
    let mut pos = width;
    while pos > 0 {
        let n = nodes[back[pos] as usize];
        path.push(n.piece);
        pos = n.start as usize - from;
    }
    path.reverse();
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    /// All segmentations of `0..chars` by the nodes, as lists of node indices.
    fn segmentations(nodes: &[Node], chars: usize) -> Vec<Vec<usize>> {
        fn go(
            nodes: &[Node],
            pos: usize,
            chars: usize,
            cur: &mut Vec<usize>,
            out: &mut Vec<Vec<usize>>,
        ) {
            if pos == chars {
                out.push(cur.clone());
                return;
            }
            for (i, n) in nodes.iter().enumerate() {
                if n.start as usize == pos {
                    cur.push(i);
                    go(nodes, n.end(), chars, cur, out);
                    cur.pop();
                }
            }
        }
        let mut out = Vec::new();
        go(nodes, 0, chars, &mut Vec::new(), &mut out);
        out
    }

    /// Every substring of a 5-character word as a node (piece = node index), sorted by
    /// start then length, with arbitrary probabilities.
    fn full_lattice() -> (Vec<Node>, Vec<f64>) {
        let mut nodes = Vec::new();
        for start in 0..5u32 {
            for len in 1..=(5 - start).min(3) {
                nodes.push(Node {
                    start,
                    len,
                    piece: nodes.len() as u32,
                });
            }
        }
        let logp = (0..nodes.len())
            .map(|i| -1.0 - 0.37 * ((i * 7) % 11) as f64)
            .collect();
        (nodes, logp)
    }

    #[test]
    fn expected_counts_match_brute_force_enumeration() {
        let (nodes, logp) = full_lattice();
        let probs: Vec<f64> = logp.iter().map(|l: &f64| l.exp()).collect();
        let paths = segmentations(&nodes, 5);
        let weight = |p: &Vec<usize>| p.iter().map(|&i| probs[i]).product::<f64>();
        let z: f64 = paths.iter().map(weight).sum();
        let mut want = vec![0.0; nodes.len()];
        for p in &paths {
            for &i in p {
                want[i] += 3.0 * weight(p) / z;
            }
        }
        let mut got = vec![0.0; nodes.len()];
        let mut s = Scratch::default();
        let word = Word {
            nodes: &nodes,
            chars: 5,
            freq: 3.0,
        };
        let log_z = add_expected(word, &probs, &logp, &mut got, &mut s);
        assert!((log_z - z.ln()).abs() < 1e-12);
        let mut got_log = vec![0.0; nodes.len()];
        let log_z2 = add_expected_log(word, &logp, &mut got_log, &mut s);
        assert!((log_z2 - z.ln()).abs() < 1e-12);
        for i in 0..nodes.len() {
            assert!(
                (got[i] - want[i]).abs() < 1e-12,
                "node {i}: {} vs {}",
                got[i],
                want[i]
            );
            assert!((got_log[i] - want[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn viterbi_matches_brute_force_and_honours_skip_and_span() {
        let (nodes, logp) = full_lattice();
        let score = |p: &Vec<usize>| p.iter().map(|&i| logp[i]).sum::<f64>();
        let best = segmentations(&nodes, 5)
            .into_iter()
            .map(|p| score(&p))
            .fold(f64::NEG_INFINITY, f64::max);
        let (mut path, mut s) = (Vec::new(), Scratch::default());
        let got = viterbi(&nodes, 0, 5, &logp, None, &mut path, &mut s);
        assert!((got - best).abs() < 1e-12);
        assert!((path.iter().map(|&p| logp[p as usize]).sum::<f64>() - got).abs() < 1e-12);
        // The span 1..4 without its own 3-character node (start 1, len 3).
        let own = nodes
            .iter()
            .position(|n| n.start == 1 && n.len == 3)
            .unwrap();
        let sub: Vec<Node> = nodes
            .iter()
            .copied()
            .filter(|n| n.start >= 1 && n.end() <= 4)
            .collect();
        let sub_best = segmentations(
            &sub.iter()
                .map(|n| Node {
                    start: n.start - 1,
                    ..*n
                })
                .collect::<Vec<_>>(),
            3,
        )
        .into_iter()
        .filter(|p| p.len() > 1)
        .map(|p| p.iter().map(|&i| logp[sub[i].piece as usize]).sum::<f64>())
        .fold(f64::NEG_INFINITY, f64::max);
        let got = viterbi(&nodes, 1, 4, &logp, Some(own), &mut path, &mut s);
        assert!((got - sub_best).abs() < 1e-12);
        assert!(!path.contains(&(own as u32)));
    }
}
