//! Expectation–maximization: expected piece counts by forward–backward (E-step, parallel
//! over word chunks) and the Bayesian digamma re-estimation (M-step).

use rayon::prelude::*;

use super::corpus::Corpus;
use super::digamma::digamma;
use super::lattice::{Scratch, Word, add_expected};

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
                let word = Word {
                    nodes: corpus.word_nodes(w),
                    chars: w.chars,
                    freq: w.freq,
                };
                let log_z = add_expected(word, &probs, logp, &mut expected, &mut scratch);
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
/// count is below `min_count` are dropped (`alive` false, log-probability −∞), the rarest
/// first, but never so many that fewer than `keep_at_least` pieces remain. The others get
/// ψ(c) − ψ(Σc): the variational-Bayes update with a sparse Dirichlet prior, which pushes
/// rare pieces further down than plain ln(c/Σc). Counts are floored at `floor` so that
/// every kept piece (a character above all) has a finite score.
pub fn m_step(
    expected: &[f64],
    num_chars: usize,
    min_count: f64,
    floor: f64,
    keep_at_least: usize,
    alive: &mut [bool],
    logp: &mut [f64],
) {
    let mut rare: Vec<usize> = (num_chars..expected.len())
        .filter(|&id| alive[id] && expected[id] < min_count)
        .collect();
    let live = alive.iter().filter(|&&a| a).count();
    let droppable = live.saturating_sub(keep_at_least);
    if rare.len() > droppable {
        rare.sort_by(|&a, &b| expected[a].total_cmp(&expected[b]).then(a.cmp(&b)));
        rare.truncate(droppable);
    }
    for id in rare {
        alive[id] = false;
        logp[id] = f64::NEG_INFINITY;
    }
    let sum: f64 = (0..expected.len())
        .filter(|&id| alive[id])
        .map(|id| expected[id].max(floor))
        .sum();
    let log_sum = digamma(sum);
    for (id, &c) in expected.iter().enumerate() {
        if alive[id] {
            logp[id] = digamma(c.max(floor)) - log_sum;
        }
    }
}
