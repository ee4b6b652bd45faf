//! Prior sentiment knowledge inside the classifier, read from each batch's per-token valence
//! ([`crate::data::valence`]):
//!
//! - [`ValenceChannel`]: the valence as one more input feature next to each token's embedding,
//!   so the encoder sees the polarity of a word its training texts never used;
//! - [`LexiconHead`]: three text-level valence features (mean positive valence, mean negative
//!   valence, mean valence of the tokens that have one) through a linear map added to the
//!   logits, like the n-gram bag: the wide half's view of the lexicon.

use dfdx::prelude::*;

use super::linear::Logits;
use super::params::{R2, R3, from_f64};
use crate::data::lexicon::MAX_VALENCE;

/// The number of text-level features [`LexiconHead`] reads.
pub const LEXICON_FEATURES: usize = 3;

/// Scales the mean positive and negative valence per token (a few tenths) to about 1.
const MEAN_SCALE: f64 = 10.0;

/// The valence channel: `(B, T, 1)` valences times a learned scale (started at
/// `1 / MAX_VALENCE`, so ±4 reads as ±1, the range of the other inputs).
#[derive(Clone, Debug)]
pub struct ValenceChannel<E: Dtype, D: Device<E>> {
    /// `(1, 1)`.
    pub weight: R2<E, D>,
}

impl<E: Dtype, D: Device<E>> ValenceChannel<E, D> {
    /// A channel with its scale at `1 / MAX_VALENCE`.
    pub fn new(dev: &D) -> Self {
        Self {
            weight: dev.tensor_from_vec(vec![from_f64(1.0 / f64::from(MAX_VALENCE))], (1, 1)),
        }
    }

    /// `embedded` `(B, T, E)` with the scaled `valence` (row-major `(B, T)`) appended as
    /// feature `E`: `(B, T, E + 1)`. The tape rides on `embedded`.
    pub fn append<T: Tape<E, D>>(&self, embedded: R3<E, D, T>, valence: &[f32]) -> R3<E, D, T> {
        let (b, t, _) = *embedded.shape();
        let (embedded, tape) = embedded.split_tape();
        let dev = self.weight.device().clone();
        let values = valence.iter().map(|&v| from_f64(f64::from(v))).collect();
        let valence: R3<E, D> = dev.tensor_from_vec(values, (b, t, 1));
        let scale = self
            .weight
            .clone()
            .put_tape(tape)
            .reshape_like(&())
            .broadcast_like::<_, Axes3<0, 1, 2>>(&(b, t, 1usize));
        let channel = scale * valence;
        (embedded.retaped::<T>(), channel).concat_along(Axis::<2>)
    }
}

crate::weight_only_collection!(ValenceChannel);

/// A linear map from [`text_features`] to the two logits, started at zero (the branch starts
/// neutral, like a fresh logistic regression).
#[derive(Clone, Debug)]
pub struct LexiconHead<E: Dtype, D: Device<E>> {
    /// `(LEXICON_FEATURES, 2)`.
    pub weight: R2<E, D>,
}

impl<E: Dtype, D: Device<E>> LexiconHead<E, D> {
    /// A zero map.
    pub fn new(dev: &D) -> Self {
        Self {
            weight: dev.zeros_like(&(LEXICON_FEATURES, 2)),
        }
    }

    /// Sets the map so that the logit margin (positive − negative) is `coefficients · features`:
    /// each feature's scores are `∓c/2`, as the n-gram bag starts from naive-Bayes ratios.
    pub fn set_margin(&mut self, coefficients: [f64; LEXICON_FEATURES]) {
        let table = coefficients
            .iter()
            .flat_map(|&c| [from_f64(-c / 2.0), from_f64(c / 2.0)])
            .collect();
        self.weight = self
            .weight
            .device()
            .tensor_from_vec(table, (LEXICON_FEATURES, 2));
    }

    /// `(B, 2)` scores of the rows of `valence` (row-major `(B, t)`, row `r` valid up to
    /// `lengths[r]`), recorded on `tape`.
    pub fn forward<T: Tape<E, D>>(
        &self,
        valence: &[f32],
        lengths: &[usize],
        t: usize,
        tape: T,
    ) -> Logits<E, D, T> {
        let b = lengths.len();
        let features: Vec<E> = lengths
            .iter()
            .enumerate()
            .flat_map(|(row, &len)| text_features(&valence[row * t..row * t + len]))
            .map(from_f64)
            .collect();
        let dev = self.weight.device().clone();
        let x: R2<E, D> = dev.tensor_from_vec(features, (b, LEXICON_FEATURES));
        x.put_tape(tape)
            .matmul(self.weight.clone())
            .reshape_like(&(b, Const::<2>))
    }
}

crate::weight_only_collection!(LexiconHead);

/// One text's lexicon features from its tokens' valences: the summed positive valence per
/// token and the summed negative valence per token (both ×10), and the mean valence of the
/// tokens that have one (0 when none has).
pub fn text_features(valence: &[f32]) -> [f64; LEXICON_FEATURES] {
    let n = valence.len().max(1) as f64;
    let values = valence.iter().map(|&v| f64::from(v));
    let positive: f64 = values.clone().filter(|&v| v > 0.0).sum();
    let negative: f64 = values.clone().filter(|&v| v < 0.0).sum();
    let rated = values.clone().filter(|&v| v != 0.0).count();
    let mean = if rated == 0 {
        0.0
    } else {
        (positive + negative) / rated as f64
    };
    [MEAN_SCALE * positive / n, MEAN_SCALE * negative / n, mean]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_features_are_per_token_sums_and_the_rated_mean() {
        let f = text_features(&[2.0, 0.0, -1.0, 0.0]);
        assert_eq!(f, [5.0, -2.5, 0.5]);
        assert_eq!(text_features(&[0.0, 0.0]), [0.0, 0.0, 0.0]);
    }

    #[test]
    fn the_channel_is_appended_scaled_after_the_embedding() {
        let dev = Cpu::default();
        let channel = ValenceChannel::<f64, Cpu>::new(&dev);
        let embedded: R3<f64, Cpu> =
            dev.tensor_from_vec((0..12).map(f64::from).collect(), (2, 3, 2));
        let valence = [4.0, 0.0, -2.0, 1.0, 0.0, 0.0];
        let out = channel.append(embedded, &valence).as_vec();
        assert_eq!(out.len(), 2 * 3 * 3);
        for (token, &v) in valence.iter().enumerate() {
            let row = &out[token * 3..token * 3 + 3];
            assert_eq!(row[..2], [(2 * token) as f64, (2 * token + 1) as f64]);
            assert!((row[2] - f64::from(v) / 4.0).abs() < 1e-12);
        }
    }

    #[test]
    fn the_head_maps_each_rows_features_and_ignores_padding() {
        let dev = Cpu::default();
        let mut head = LexiconHead::<f64, Cpu>::new(&dev);
        let w = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
        head.weight = dev.tensor_from_vec(w.to_vec(), (LEXICON_FEATURES, 2));
        // Row 0 has 2 tokens; its padding (9.0) must not count.
        let valence = [2.0, -1.0, 9.0, 1.0, 1.0, 1.0];
        let got = head.forward(&valence, &[2, 3], 3, NoneTape).as_vec();
        for (row, tokens) in [&valence[0..2], &valence[3..6]].iter().enumerate() {
            let f = text_features(tokens);
            for class in 0..2 {
                let want: f64 = (0..LEXICON_FEATURES).map(|k| f[k] * w[2 * k + class]).sum();
                assert!((got[2 * row + class] - want).abs() < 1e-12);
            }
        }
        assert_eq!(
            LexiconHead::<f64, Cpu>::new(&dev)
                .forward(&valence, &[2, 3], 3, NoneTape)
                .as_vec(),
            [0.0; 4]
        );
    }
}
