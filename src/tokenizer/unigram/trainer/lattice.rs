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

/// Adds `freq` × the posterior probability of every node to `expected[piece]` and returns
/// ln Z, the log marginal likelihood of the word.
///
/// Works with probabilities (not logs) because words are short: one multiply–add per node
/// instead of an `exp` and a `ln`.
pub fn add_expected(
    nodes: &[Node],
    chars: usize,
    probs: &[f64],
    logp: &[f64],
    freq: f64,
    expected: &mut [f64],
    s: &mut Scratch,
) -> f64 {
    let alpha = &mut s.alpha;
    alpha.clear();
    alpha.resize(chars + 1, 0.0);
    alpha[0] = 1.0;
    for n in nodes {
        alpha[n.end()] += alpha[n.start as usize] * probs[n.piece as usize];
    }
    let z = alpha[chars];
    if !(z > TINY && z.is_finite()) {
        return add_expected_log(nodes, chars, logp, freq, expected, s);
    }
    let beta = &mut s.beta;
    beta.clear();
    beta.resize(chars + 1, 0.0);
    beta[chars] = 1.0;
    for n in nodes.iter().rev() {
        beta[n.start as usize] += probs[n.piece as usize] * beta[n.end()];
    }
    let scale = freq / z;
    for n in nodes {
        let p = n.piece as usize;
        expected[p] += alpha[n.start as usize] * probs[p] * beta[n.end()] * scale;
    }
    z.ln()
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

/// The same computation in log space (slow, exact for any word length).
fn add_expected_log(
    nodes: &[Node],
    chars: usize,
    logp: &[f64],
    freq: f64,
    expected: &mut [f64],
    s: &mut Scratch,
) -> f64 {
    let alpha = &mut s.alpha;
    alpha.clear();
    alpha.resize(chars + 1, f64::NEG_INFINITY);
    alpha[0] = 0.0;
    for n in nodes {
        let e = n.end();
        alpha[e] = log_add(alpha[e], alpha[n.start as usize] + logp[n.piece as usize]);
    }
    let beta = &mut s.beta;
    beta.clear();
    beta.resize(chars + 1, f64::NEG_INFINITY);
    beta[chars] = 0.0;
    for n in nodes.iter().rev() {
        let st = n.start as usize;
        beta[st] = log_add(beta[st], logp[n.piece as usize] + beta[n.end()]);
    }
    let log_z = alpha[chars];
    for n in nodes {
        let p = n.piece as usize;
        expected[p] += freq * (alpha[n.start as usize] + logp[p] + beta[n.end()] - log_z).exp();
    }
    log_z
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
