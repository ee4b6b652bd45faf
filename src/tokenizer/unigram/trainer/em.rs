//! Expectation–maximization: expected piece counts by forward–backward (E-step, parallel
//! over word chunks) and the Bayesian digamma re-estimation (M-step).

use rayon::prelude::*;

use super::corpus::Corpus;
use super::digamma::digamma;
use super::lattice::{Scratch, add_expected};

/// Expected count of every piece, and the objective: the negative log-likelihood per word
/// token (SentencePiece's `obj`).
pub fn e_step(corpus: &Corpus, logp: &[f64]) -> (Vec<f64>, f64) {
    let probs: Vec<f64> = logp.iter().map(|&l| l.exp()).collect();
    let partial: Vec<(Vec<f64>, f64)> = corpus
        .chunks()
        .into_par_iter()
        .map(|range| {
            let mut expected = vec![0.0; logp.len()];
            let mut scratch = Scratch::default();
            let mut loglik = 0.0;
            for w in &corpus.words[range] {
                let log_z = add_expected(
                    corpus.word_nodes(w),
                    w.chars,
                    &probs,
                    logp,
                    w.freq,
                    &mut expected,
                    &mut scratch,
                );
                loglik += w.freq * log_z;
            }
            (expected, loglik)
        })
        .collect();
    // Summed in chunk order: the result does not depend on the thread count.
    let mut iter = partial.into_iter();
    let (mut expected, mut loglik) = iter.next().unwrap_or_default();
    for (e, l) in iter {
        for (a, b) in expected.iter_mut().zip(&e) {
            *a += b;
        }
        loglik += l;
    }
    (expected, -loglik / corpus.total_freq())
}

/// The M-step. Pieces (other than single characters, which are always kept) whose expected
/// count is below `min_count` are dropped (`alive` false, log-probability −∞). The others
/// get ψ(c) − ψ(Σc): the variational-Bayes update with a sparse Dirichlet prior, which
/// pushes rare pieces further down than plain ln(c/Σc). Characters' counts are floored at
/// `floor` so that a character always has a finite score.
pub fn m_step(
    expected: &[f64],
    num_chars: usize,
    min_count: f64,
    floor: f64,
    alive: &mut [bool],
    logp: &mut [f64],
) {
    let mut sum = 0.0;
    for (id, &c) in expected.iter().enumerate() {
        if !alive[id] {
            continue;
        }
        if id >= num_chars && c < min_count {
            alive[id] = false;
            logp[id] = f64::NEG_INFINITY;
            continue;
        }
        sum += c.max(floor);
    }
    let log_sum = digamma(sum);
    for (id, &c) in expected.iter().enumerate() {
        if alive[id] {
            logp[id] = digamma(c.max(floor)) - log_sum;
        }
    }
}
