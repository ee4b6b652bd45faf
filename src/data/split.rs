//! A seeded, stratified train/validation split: each class keeps its share in both parts.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Indices into a dataset: the two sides of a split, each sorted ascending.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitIndices {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

/// Splits `0..labels.len()` into train and validation indices, taking
/// `round(valid_fraction × n_c)` samples of every class `c` for validation.
///
/// Deterministic for a seed; the two sides are disjoint and together cover every index.
/// `valid_fraction` is clamped to `[0, 1]`.
pub fn stratified_split(labels: &[usize], valid_fraction: f64, seed: u64) -> SplitIndices {
    let frac = if valid_fraction.is_nan() {
        0.0
    } else {
        valid_fraction.clamp(0.0, 1.0)
    };
    let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); classes];
    for (i, &l) in labels.iter().enumerate() {
        by_class[l].push(i);
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut train = Vec::with_capacity(labels.len());
    let mut valid = Vec::new();
    for mut members in by_class {
        members.shuffle(&mut rng);
        let n_valid = (members.len() as f64 * frac).round() as usize;
        valid.extend_from_slice(&members[..n_valid]);
        train.extend_from_slice(&members[n_valid..]);
    }
    train.sort_unstable();
    valid.sort_unstable();
    SplitIndices { train, valid }
}
