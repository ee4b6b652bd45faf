//! Subword regularization (Kudo 2018): sampling a segmentation from the lattice.
//!
//! A segmentation `x` is drawn with probability `P(x)^alpha / Z` by forward filtering (summing
//! the weights of all paths into each position) and backward sampling (walking back from the
//! end, picking each predecessor node in proportion to its path weight). `alpha` → ∞ gives
//! Viterbi, `alpha = 0` the uniform distribution over segmentations.

use rand::Rng;

use super::lattice::Lattice;
use super::model::UnigramModel;

/// Samples one segmentation of `text` (already normalized) and calls `f(id, start, end)` for
/// its tokens, with unknown characters fused and byte fallback applied as in Viterbi.
pub fn sample_with<R: Rng + ?Sized>(
    model: &UnigramModel,
    text: &str,
    alpha: f64,
    rng: &mut R,
    f: impl FnMut(u32, usize, usize),
) {
    let lattice = Lattice::new(model, text);
    let fwd = lattice.forward(alpha);
    let nodes = lattice.nodes();
    let mut spans = Vec::new();
    let mut pos = lattice.len();
    while pos > 0 {
        let ends = lattice.ending_at(pos);
        let weights = ends
            .iter()
            .map(|&i| (fwd[nodes[i].start] + alpha * nodes[i].score - fwd[pos]).exp());
        let total: f64 = weights.clone().sum();
        let mut u = rng.r#gen::<f64>() * total;
        // Fall back to the last candidate against rounding leaving `u` just above the sum.
        let mut pick = *ends.last().expect("every character position has a node");
        for (w, &i) in weights.zip(ends) {
            if u < w {
                pick = i;
                break;
            }
            u -= w;
        }
        let n = nodes[pick];
        spans.push((n.start as u32, n.end as u32, n.id));
        pos = n.start;
    }
    spans.reverse();
    model.emit(text, &spans, f);
}

/// Samples one segmentation of `text` and returns its ids.
pub fn sample_ids<R: Rng + ?Sized>(
    model: &UnigramModel,
    text: &str,
    alpha: f64,
    rng: &mut R,
) -> Vec<u32> {
    let mut ids = Vec::new();
    sample_with(model, text, alpha, rng, |id, _, _| ids.push(id));
    ids
}
