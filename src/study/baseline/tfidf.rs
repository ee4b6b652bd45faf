//! The baseline's features: word n-grams as integer keys, a vocabulary of those in at least
//! `min_df` training texts, and L2-normalized TF-IDF rows.

use std::collections::HashMap;

use rayon::prelude::*;

use super::BaselineConfig;

/// A sparse row: (feature, value) pairs sorted by feature.
pub(super) type SparseRow = Vec<(u32, f64)>;

/// An n-gram as a number: a unigram is its word id `a`, a bigram `((a + 1) << 32) | b`.
pub(super) type GramKey = u64;

/// A fast hasher for the integer keys (the default SipHash is several times slower here).
#[derive(Default, Clone, Copy)]
struct IntHasher(u64);

impl std::hash::Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7C_C1_B7_27_22_0A_95);
    }
}

/// A hash map over integer keys with [`IntHasher`].
type IntMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<IntHasher>>;

/// Maps texts to L2-normalized TF-IDF vectors over a fitted n-gram vocabulary.
#[derive(Clone, Debug)]
pub struct TfidfVectorizer {
    config: BaselineConfig,
    /// Every word seen in training (also those only in dropped n-grams).
    words: HashMap<String, u32>,
    /// Kept n-gram → feature id.
    features: IntMap<GramKey, u32>,
    idf: Vec<f64>,
}

impl TfidfVectorizer {
    /// Builds the vocabulary (n-grams in ≥ `min_df` texts) and smoothed idf
    /// `ln((1 + n) / (1 + df)) + 1` from `texts`.
    pub fn fit(texts: &[String], config: &BaselineConfig) -> Self {
        Self::fit_with_keys(texts, config).0
    }

    /// Fits and also returns each text's n-gram keys (sorted), so they are not recomputed.
    pub(super) fn fit_with_keys(
        texts: &[String],
        config: &BaselineConfig,
    ) -> (Self, Vec<Vec<GramKey>>) {
        let tokenized: Vec<Vec<String>> = texts.par_iter().map(|t| tokens(t, config)).collect();
        let mut words: HashMap<String, u32> = HashMap::new();
        let ids: Vec<Vec<u32>> = tokenized
            .into_iter()
            .map(|toks| {
                toks.into_iter()
                    .map(|w| {
                        let next = words.len() as u32;
                        *words.entry(w).or_insert(next)
                    })
                    .collect()
            })
            .collect();
        let keys: Vec<Vec<GramKey>> = ids
            .par_iter()
            .map(|doc| {
                let mut k = gram_keys(doc, config.max_ngram);
                k.sort_unstable();
                k
            })
            .collect();
        let mut df: IntMap<GramKey, u32> = IntMap::default();
        for doc in &keys {
            let mut prev = None;
            for &k in doc {
                if prev != Some(k) {
                    *df.entry(k).or_default() += 1;
                    prev = Some(k);
                }
            }
        }
        let mut kept: Vec<(GramKey, u32)> = df
            .into_iter()
            .filter(|&(_, d)| d as usize >= config.min_df)
            .collect();
        // Sorted, so feature ids do not depend on hash order.
        kept.sort_unstable();
        let n = texts.len() as f64;
        let idf = kept
            .iter()
            .map(|&(_, d)| ((1.0 + n) / (1.0 + f64::from(d))).ln() + 1.0)
            .collect();
        let features = kept
            .into_iter()
            .enumerate()
            .map(|(i, (k, _))| (k, i as u32))
            .collect();
        let vectorizer = Self {
            config: config.clone(),
            words,
            features,
            idf,
        };
        (vectorizer, keys)
    }

    /// Number of features.
    pub fn num_features(&self) -> usize {
        self.idf.len()
    }

    /// The text's tokens as the features see them (after normalization, if any).
    pub fn tokens(&self, text: &str) -> Vec<String> {
        tokens(text, &self.config)
    }

    /// The text's TF-IDF vector, L2-normalized; n-grams outside the vocabulary are ignored.
    pub fn transform(&self, text: &str) -> Vec<(u32, f64)> {
        // Unknown words get ids past the vocabulary: their n-grams match no feature.
        let unknown = self.words.len() as u32;
        let ids: Vec<u32> = tokens(text, &self.config)
            .iter()
            .map(|w| self.words.get(w).copied().unwrap_or(unknown))
            .collect();
        let mut keys = gram_keys(&ids, self.config.max_ngram);
        keys.sort_unstable();
        self.transform_keys(&keys)
    }

    /// The TF-IDF row of a text given its sorted n-gram keys.
    pub(super) fn transform_keys(&self, keys: &[GramKey]) -> SparseRow {
        let mut row: SparseRow = Vec::new();
        for run in keys.chunk_by(|a, b| a == b) {
            if let Some(&id) = self.features.get(&run[0]) {
                let tf = run.len() as f64;
                let tf = if self.config.sublinear_tf {
                    1.0 + tf.ln()
                } else {
                    tf
                };
                row.push((id, tf * self.idf[id as usize]));
            }
        }
        row.sort_unstable_by_key(|&(id, _)| id);
        let norm = row.iter().map(|(_, v)| v * v).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|(_, v)| *v /= norm);
        }
        row
    }
}

/// The text's words: normalized first when the config has a normalizer.
fn tokens(text: &str, config: &BaselineConfig) -> Vec<String> {
    match &config.normalizer {
        Some(n) => n
            .normalize(text)
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        None => text.split_whitespace().map(str::to_string).collect(),
    }
}

/// The unigram and (when `max_ngram` = 2) bigram keys of a text's word ids.
fn gram_keys(ids: &[u32], max_ngram: usize) -> Vec<GramKey> {
    let mut keys: Vec<GramKey> = ids.iter().map(|&a| GramKey::from(a)).collect();
    if max_ngram >= 2 {
        keys.extend(
            ids.windows(2)
                .map(|w| ((GramKey::from(w[0]) + 1) << 32) | GramKey::from(w[1])),
        );
    }
    keys
}
