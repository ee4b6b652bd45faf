//! Pruning by likelihood loss (SentencePiece's `PruneSentencePieces`).
//!
//! For every piece, the best segmentation of the piece *without itself* is its stand-in.
//! A piece whose stand-in scores higher is never chosen by Viterbi and goes at once; for
//! the others, the loss is the drop in corpus log-likelihood when all its Viterbi
//! occurrences are replaced by the stand-in (frequencies re-estimated accordingly). The
//! pieces with the smallest loss are removed.

use rayon::prelude::*;

use super::corpus::Corpus;
use super::lattice::{Scratch, viterbi};

/// Viterbi frequency of every piece over the corpus, and the total word frequency.
fn viterbi_counts(corpus: &Corpus, logp: &[f64]) -> (Vec<f64>, f64) {
    let partial: Vec<Vec<f64>> = corpus
        .chunks()
        .into_par_iter()
        .map(|range| {
            let mut freq = vec![0.0; logp.len()];
            let mut scratch = Scratch::default();
            let mut path = Vec::new();
            for w in &corpus.words[range] {
                viterbi(
                    corpus.word_nodes(w),
                    0,
                    w.chars,
                    logp,
                    None,
                    &mut path,
                    &mut scratch,
                );
                for &p in &path {
                    freq[p as usize] += w.freq;
                }
            }
            freq
        })
        .collect();
    let mut iter = partial.into_iter();
    let mut freq = iter.next().unwrap_or_default();
    for f in iter {
        for (a, b) in freq.iter_mut().zip(&f) {
            *a += b;
        }
    }
    (freq, corpus.total_freq())
}

/// What to do with one piece.
enum Verdict {
    Remove,
    Candidate(f64),
}

/// Keeps at most `target` pieces: every single character, then the pieces with the
/// largest loss. Updates `alive` and `logp` (removed pieces get −∞).
pub fn prune(
    corpus: &Corpus,
    num_chars: usize,
    target: usize,
    alive: &mut [bool],
    logp: &mut [f64],
) {
    let (freq, vsum) = viterbi_counts(corpus, logp);
    let sum: f64 = freq.iter().sum();
    let log_sum = sum.ln();
    let ids: Vec<usize> = (num_chars..alive.len()).filter(|&i| alive[i]).collect();
    let verdicts: Vec<Verdict> = ids
        .par_iter()
        .map_init(
            || (Scratch::default(), Vec::new()),
            |(scratch, path), &id| {
                if freq[id] == 0.0 {
                    return Verdict::Remove;
                }
                let (w, start) = corpus.occurrence[id];
                let word = &corpus.words[w as usize];
                let nodes = corpus.word_nodes(word);
                let start = start as usize;
                let first = nodes.partition_point(|n| (n.start as usize) < start);
                let own = nodes[first..]
                    .iter()
                    .position(|n| n.piece as usize == id)
                    .map(|i| first + i)
                    .expect("a live piece has its node at its occurrence");
                let end = nodes[own].end();
                let last = first + nodes[first..].partition_point(|n| (n.start as usize) < end);
                let span = &nodes[first..last];
                let alt = viterbi(span, start, end, logp, Some(own - first), path, scratch);
                if alt > logp[id] {
                    return Verdict::Remove;
                }
                let f = freq[id];
                let logprob_sp = f.ln() - log_sum;
                let log_sum_alt = (sum + f * (path.len() as f64 - 1.0)).ln();
                let logprob_alt: f64 = path
                    .iter()
                    .map(|&p| (freq[p as usize] + f).ln() - log_sum_alt)
                    .sum();
                Verdict::Candidate(f / vsum * (logprob_sp - logprob_alt))
            },
        )
        .collect();

    let mut ranked: Vec<(usize, f64)> = Vec::with_capacity(ids.len());
    for (&id, v) in ids.iter().zip(&verdicts) {
        match v {
            Verdict::Remove => {}
            Verdict::Candidate(loss) => ranked.push((id, *loss)),
        }
    }
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let keep_n = target.saturating_sub(num_chars).min(ranked.len());
    let mut keep = vec![false; alive.len()];
    for &(id, _) in &ranked[..keep_n] {
        keep[id] = true;
    }
    for id in num_chars..alive.len() {
        if alive[id] && !keep[id] {
            alive[id] = false;
            logp[id] = f64::NEG_INFINITY;
        }
    }
}
