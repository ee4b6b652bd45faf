//! A fastText-style bag of token n-grams added to the classifier's logits.
//!
//! Each text is the *set* of its token unigrams and hashed bigrams; each member has a learned
//! pair of class scores, and the branch adds their sum divided by `√(set size)` (the L2 norm of
//! the binary feature vector, as a TF-IDF model normalizes) to the encoder's logits. This is a
//! logistic regression over unigrams and bigrams trained jointly with the network: the wide
//! half of a wide-and-deep model. Word order beyond two tokens is left to the encoder.

use dfdx::nn::tensor_collection::{ModuleVisitor, TensorCollection};
use dfdx::prelude::*;

use super::backend::{Path, SequenceDevice};
use super::linear::Logits;
use super::params::{R2, from_f64};

/// The n-gram score table: rows `0..vocab` are unigrams (the token id), rows `vocab..buckets`
/// hold bigrams by hash.
#[derive(Clone, Debug)]
pub struct NgramBag<E: Dtype, D: Device<E>> {
    pub weight: R2<E, D>,
}

/// Hashes a token bigram into `0..m` (SplitMix64's finalizer: cheap and well mixed).
fn bigram_bucket(a: usize, b: usize, m: usize) -> usize {
    let mut z = ((a as u64) << 32 | b as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z % m as u64) as usize
}

/// The distinct feature rows of one text: its token ids and its hashed bigrams, sorted.
pub fn text_features(tokens: &[usize], vocab: usize, buckets: usize) -> Vec<usize> {
    let mut f: Vec<usize> = tokens.to_vec();
    f.extend(
        tokens
            .windows(2)
            .map(|w| vocab + bigram_bucket(w[0], w[1], buckets - vocab)),
    );
    f.sort_unstable();
    f.dedup();
    f
}

/// Naive-Bayes log-count ratios over the same features as [`NgramBag`] (Wang & Manning's
/// NBSVM): `r = ln((n₊+1)/N₊) − ln((n₋+1)/N₋)` for a feature seen in `n₊` positive and `n₋`
/// negative texts; unseen features get 0.
#[derive(Clone, Debug)]
pub struct NaiveBayes {
    pub vocab: usize,
    pub ratios: Vec<f64>,
    /// How many texts hold each feature (both classes).
    pub documents: Vec<f64>,
}

impl NaiveBayes {
    /// Counts each text's distinct features (token ids, labels 0/1) into `buckets` rows.
    pub fn fit(texts: &[Vec<u32>], labels: &[usize], vocab: usize, buckets: usize) -> Self {
        let mut counts = vec![[0f64; 2]; buckets];
        for (ids, &label) in texts.iter().zip(labels) {
            let ids: Vec<usize> = ids.iter().map(|&i| i as usize).collect();
            for f in text_features(&ids, vocab, buckets) {
                counts[f][label.min(1)] += 1.0;
            }
        }
        let total = |c: usize| counts.iter().map(|n| n[c] + 1.0).sum::<f64>();
        let (neg, pos) = (total(0), total(1));
        let ratios = counts
            .iter()
            .map(|n| {
                if n[0] + n[1] > 0.0 {
                    ((n[1] + 1.0) / pos).ln() - ((n[0] + 1.0) / neg).ln()
                } else {
                    0.0
                }
            })
            .collect();
        let documents = counts.iter().map(|n| n[0] + n[1]).collect();
        Self {
            vocab,
            ratios,
            documents,
        }
    }

    /// Pulls the ratios of the given rows toward a prior ratio, weighted as if the prior had
    /// been seen in `pseudo_count` texts: `r ← (n·r + k·prior) / (n + k)` for a row held by `n`
    /// texts. A row no text holds takes the prior; a frequent one keeps about its own ratio.
    pub fn blend_prior(&mut self, priors: &[(usize, f64)], pseudo_count: f64) {
        for &(row, prior) in priors {
            let n = self.documents[row];
            if n + pseudo_count > 0.0 {
                self.ratios[row] =
                    (n * self.ratios[row] + pseudo_count * prior) / (n + pseudo_count);
            }
        }
    }

    /// The text's evidence for "positive": its features' ratios summed, divided by √(count)
    /// as the bag normalizes (0 for an empty text).
    pub fn score(&self, ids: &[u32]) -> f64 {
        let ids: Vec<usize> = ids.iter().map(|&i| i as usize).collect();
        let f = text_features(&ids, self.vocab, self.ratios.len());
        if f.is_empty() {
            return 0.0;
        }
        f.iter().map(|&i| self.ratios[i]).sum::<f64>() / (f.len() as f64).sqrt()
    }
}

impl<E: Dtype, D: Device<E>> NgramBag<E, D> {
    /// A zero table of `buckets` rows (the branch starts neutral, like a fresh logistic
    /// regression). `buckets` must exceed `vocab`; the classifier checks it.
    pub fn new(dev: &D, buckets: usize) -> Self {
        Self {
            weight: dev.zeros_like(&(buckets, 2)),
        }
    }

    /// Sets each seen feature's scores to `∓r/2`, where `r` is its naive-Bayes log-count
    /// ratio over `texts` (see [`NaiveBayes`]). The branch then starts as a naive-Bayes
    /// classifier and training refines it alongside the encoder; unseen rows stay 0. Texts
    /// are whole training reviews.
    pub fn init_naive_bayes(&mut self, texts: &[Vec<u32>], labels: &[usize], vocab: usize) {
        self.set_naive_bayes(&NaiveBayes::fit(texts, labels, vocab, self.buckets()));
    }

    /// Sets each feature's scores to `∓r/2` from ratios already counted (over this table's
    /// number of rows).
    pub fn set_naive_bayes(&mut self, nb: &NaiveBayes) {
        let buckets = self.buckets();
        assert_eq!(
            nb.ratios.len(),
            buckets,
            "naive-Bayes ratios for another table size"
        );
        let mut table = vec![E::default(); 2 * buckets];
        for (f, &r) in nb.ratios.iter().enumerate() {
            table[2 * f] = from_f64(-r / 2.0);
            table[2 * f + 1] = from_f64(r / 2.0);
        }
        self.weight = self.weight.device().tensor_from_vec(table, (buckets, 2));
    }

    /// Rows in the table.
    pub fn buckets(&self) -> usize {
        self.weight.shape().0
    }

    /// `(B, 2)` scores of the texts in `ids` (row-major `(B, t)`, row `r` valid up to
    /// `lengths[r]`) for a `vocab`-sized tokenizer, recorded on `tape`.
    pub fn forward<T: Tape<E, D>>(
        &self,
        ids: &[usize],
        lengths: &[usize],
        t: usize,
        vocab: usize,
        tape: T,
    ) -> Logits<E, D, T>
    where
        D: SequenceDevice<E>,
    {
        let b = lengths.len();
        let buckets = self.buckets();
        let rows: Vec<Vec<usize>> = lengths
            .iter()
            .enumerate()
            .map(|(r, &len)| text_features(&ids[r * t..r * t + len], vocab, buckets))
            .collect();
        let k = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
        // Padding points at row 0 with weight 0: it adds nothing and receives no gradient.
        let mut flat = vec![0usize; b * k];
        let mut scale = vec![E::default(); b * k];
        for (r, f) in rows.iter().enumerate() {
            let w: E = from_f64(1.0 / (f.len().max(1) as f64).sqrt());
            flat[r * k..r * k + f.len()].copy_from_slice(f);
            scale[r * k..r * k + f.len()].fill(w);
        }
        let dev = self.weight.device().clone();
        let scores = D::embed(
            self.weight.clone().put_tape(tape),
            &flat,
            b,
            k,
            Path::Fastest,
        );
        let scale: Tensor<(usize, usize), E, D> = dev.tensor_from_vec(scale, (b, k));
        let weighted = scores * scale.broadcast_like::<_, Axis<2>>(&(b, k, 2));
        weighted
            .sum::<(usize, usize), Axis<1>>()
            .reshape_like(&(b, Const::<2>))
    }
}

crate::weight_only_collection!(NgramBag);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_distinct_unigrams_then_bigrams_in_range() {
        let f = text_features(&[3, 4, 3, 4], 10, 50);
        // Unigrams 3 and 4; bigrams (3,4) twice and (4,3) once.
        assert!(f.contains(&3) && f.contains(&4));
        let bigrams: Vec<_> = f.iter().filter(|&&x| x >= 10).collect();
        assert!((1..=2).contains(&bigrams.len()), "{f:?}");
        assert!(f.iter().all(|&x| x < 50));
        assert!(f.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn scores_are_the_normalized_sum_over_distinct_features() {
        let dev = Cpu::default();
        let (vocab, buckets) = (4, 11);
        let table: Vec<f64> = (0..2 * buckets).map(|i| (i as f64 * 0.37).sin()).collect();
        let bag = NgramBag {
            weight: dev.tensor_from_vec(table.clone(), (buckets, 2)),
        };
        // Two rows padded to t = 5; the padding (id 3) must not count.
        let ids = [1, 2, 1, 2, 3, 0, 3, 3, 3, 3];
        let lengths = [4, 2];
        let got = bag.forward(&ids, &lengths, 5, vocab, NoneTape).as_vec();
        for (r, &len) in lengths.iter().enumerate() {
            let f = text_features(&ids[r * 5..r * 5 + len], vocab, buckets);
            for c in 0..2 {
                let want: f64 =
                    f.iter().map(|&i| table[2 * i + c]).sum::<f64>() / (f.len() as f64).sqrt();
                assert!((got[2 * r + c] - want).abs() < 1e-12, "row {r} class {c}");
            }
        }
    }

    #[test]
    fn naive_bayes_init_signs_features_by_class_and_leaves_unseen_rows_zero() {
        let dev = Cpu::default();
        let (vocab, buckets) = (5, 40);
        let mut bag = NgramBag::<f64, Cpu>::new(&dev, buckets);
        // Token 1 only in positive texts, 2 only in negative ones, 3 in both equally.
        let texts = vec![vec![1, 3], vec![1, 3], vec![2, 3], vec![2, 3]];
        bag.init_naive_bayes(&texts, &[1, 1, 0, 0], vocab);
        let w = bag.weight.as_vec();
        let r = |f: usize| w[2 * f + 1] - w[2 * f];
        assert!(r(1) > 0.5 && r(2) < -0.5, "{w:?}");
        assert!(r(3).abs() < 1e-12);
        assert_eq!(
            (w[0], w[1], w[8], w[9]),
            (0.0, 0.0, 0.0, 0.0),
            "tokens 0 and 4 unseen"
        );
        let seen = text_features(&[1, 3], vocab, buckets)[2];
        assert!(r(seen) > 0.0, "the bigram (1, 3) is positive");
    }

    #[test]
    fn naive_bayes_score_is_the_bags_logit_margin_at_its_start() {
        let dev = Cpu::default();
        let (vocab, buckets) = (6, 60);
        let texts = vec![vec![1, 2, 3], vec![1, 4], vec![5, 2, 2], vec![5, 3]];
        let labels = [1, 1, 0, 0];
        let nb = NaiveBayes::fit(&texts, &labels, vocab, buckets);
        let mut bag = NgramBag::<f64, Cpu>::new(&dev, buckets);
        bag.init_naive_bayes(&texts, &labels, vocab);
        let ids = [1, 2, 5, 5, 3];
        let l = bag.forward(&ids, &[5], 5, vocab, NoneTape).as_vec();
        let score = nb.score(&[1, 2, 5, 5, 3]);
        assert!((score - (l[1] - l[0])).abs() < 1e-12, "{score} vs {l:?}");
        // Plain sums: the positive-only token 1 counts for, the negative-only 5 against.
        assert!(nb.score(&[1]) > 0.0 && nb.score(&[5]) < 0.0);
        assert_eq!(nb.score(&[]), 0.0);
    }

    #[test]
    fn a_prior_decides_unseen_rows_and_yields_to_counts() {
        let texts = vec![vec![1, 2], vec![1], vec![3], vec![3]];
        let mut nb = NaiveBayes::fit(&texts, &[1, 1, 0, 0], 5, 30);
        assert_eq!(nb.documents[1..5], [2.0, 1.0, 2.0, 0.0]);
        let (r1, r2) = (nb.ratios[1], nb.ratios[2]);
        nb.blend_prior(&[(1, -1.0), (2, -1.0), (4, 0.7)], 2.0);
        assert!((nb.ratios[1] - (2.0 * r1 - 2.0) / 4.0).abs() < 1e-12);
        assert!((nb.ratios[2] - (r2 - 2.0) / 3.0).abs() < 1e-12);
        assert_eq!(nb.ratios[4], 0.7, "token 4 is in no text: the prior alone");
        assert!(nb.ratios[1] > nb.ratios[2], "more counts, less pull");
    }
}
