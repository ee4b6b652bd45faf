//! A non-neural baseline: TF-IDF features (word unigrams, optionally bigrams, optionally
//! through the [`YelpStyleNormalizer`]) and an L2-regularized logistic regression fitted by
//! full-batch L-BFGS. The objective is convex, so the fit is deterministic and exact up to the
//! tolerance: no seed, no learning rate.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::data::YelpStyleNormalizer;
use crate::data::valence::ValenceTagger;
use crate::nn::valence::text_features;

/// Features and regularization of the baseline.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BaselineConfig {
    /// Longest word n-gram used as a feature: 1 = unigrams, 2 = unigrams + bigrams.
    /// The vectorizer ignores values above 2; [`TfidfLogReg::fit`] rejects them.
    pub max_ngram: usize,
    /// Normalize texts first; `None`: split the raw text on whitespace.
    pub normalizer: Option<YelpStyleNormalizer>,
    /// Keep only n-grams occurring in at least this many training texts.
    pub min_df: usize,
    /// Use `1 + ln(tf)` instead of the raw count.
    pub sublinear_tf: bool,
    /// Inverse regularization strength, as in scikit-learn: the loss is
    /// `C · Σ log-loss + ½‖w‖²` (the bias is not regularized).
    pub c: f64,
    /// L-BFGS iterations at most.
    pub max_iter: usize,
}

impl Default for BaselineConfig {
    /// Unigrams + bigrams of Yelp-style normalized text.
    fn default() -> Self {
        Self {
            max_ngram: 2,
            normalizer: Some(YelpStyleNormalizer::yelp_style()),
            min_df: 2,
            sublinear_tf: true,
            c: 30.0,
            max_iter: 100,
        }
    }
}

/// The baseline cannot be fitted on the given data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    /// Texts and labels differ in number.
    #[error("{texts} texts but {labels} labels (expected one label per text)")]
    LabelCount { texts: usize, labels: usize },
    /// A label other than 0 or 1.
    #[error("label {label} of text {index} (expected 0 = negative or 1 = positive)")]
    BadLabel { index: usize, label: usize },
    /// Fewer than two classes, or no features survived `min_df`.
    #[error("cannot fit: {0}")]
    Degenerate(String),
    /// A setting out of range.
    #[error("invalid baseline setting: {0}")]
    Config(String),
}

/// A sparse row: (feature, value) pairs sorted by feature.
type SparseRow = Vec<(u32, f64)>;

/// An n-gram as a number: a unigram is its word id `a`, a bigram `((a + 1) << 32) | b`.
type GramKey = u64;

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
    fn fit_with_keys(texts: &[String], config: &BaselineConfig) -> (Self, Vec<Vec<GramKey>>) {
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
    fn transform_keys(&self, keys: &[GramKey]) -> SparseRow {
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

/// TF-IDF + logistic regression sentiment classifier.
#[derive(Clone, Debug)]
pub struct TfidfLogReg {
    vectorizer: TfidfVectorizer,
    /// Appends the text's lexicon features ([`text_features`] of its words' valences) to
    /// its TF-IDF row, when set.
    lexicon: Option<ValenceTagger>,
    weights: Vec<f64>,
    bias: f64,
    /// L-BFGS iterations used by the fit.
    pub iterations: usize,
}

impl TfidfLogReg {
    /// Fits the vocabulary and the classifier on `texts` with `labels` (1 = positive).
    pub fn fit(
        texts: &[String],
        labels: &[usize],
        config: &BaselineConfig,
    ) -> Result<Self, BaselineError> {
        Self::fit_with_lexicon(texts, labels, config, None)
    }

    /// [`Self::fit`] with each text's three lexicon features (from `lexicon`'s valences of its
    /// words) appended to its TF-IDF features.
    pub fn fit_with_lexicon(
        texts: &[String],
        labels: &[usize],
        config: &BaselineConfig,
        lexicon: Option<ValenceTagger>,
    ) -> Result<Self, BaselineError> {
        if texts.len() != labels.len() {
            return Err(BaselineError::LabelCount {
                texts: texts.len(),
                labels: labels.len(),
            });
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|&(_, &l)| l > 1) {
            return Err(BaselineError::BadLabel { index, label });
        }
        if !(1..=2).contains(&config.max_ngram) {
            return Err(BaselineError::Config(format!(
                "max_ngram = {} (expected 1 or 2)",
                config.max_ngram
            )));
        }
        if !(config.c > 0.0 && config.c.is_finite()) {
            return Err(BaselineError::Config(format!(
                "C = {} (expected > 0)",
                config.c
            )));
        }
        let positives = labels.iter().filter(|&&l| l == 1).count();
        if positives == 0 || positives == labels.len() {
            return Err(BaselineError::Degenerate(
                "the training labels hold a single class".into(),
            ));
        }
        let (vectorizer, keys) = TfidfVectorizer::fit_with_keys(texts, config);
        if vectorizer.num_features() == 0 {
            return Err(BaselineError::Degenerate(format!(
                "no n-gram occurs in min_df = {} texts",
                config.min_df
            )));
        }
        let mut rows: Vec<SparseRow> = keys
            .par_iter()
            .map(|k| vectorizer.transform_keys(k))
            .collect();
        drop(keys);
        if let Some(tagger) = &lexicon {
            rows.par_iter_mut().zip(texts).for_each(|(row, text)| {
                append_lexicon(row, tagger, &vectorizer, text);
            });
        }
        let targets: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
        let extra = if lexicon.is_some() { 3 } else { 0 };
        let objective = Objective {
            rows: &rows,
            targets: &targets,
            c: config.c,
            dim: vectorizer.num_features() + extra,
        };
        let (params, iterations) = lbfgs(&objective, config.max_iter);
        let bias = params[objective.dim];
        let mut weights = params;
        weights.truncate(objective.dim);
        Ok(Self {
            vectorizer,
            lexicon,
            weights,
            bias,
            iterations,
        })
    }

    /// The fitted vectorizer.
    pub fn vectorizer(&self) -> &TfidfVectorizer {
        &self.vectorizer
    }

    /// P(positive | text).
    pub fn predict_proba(&self, text: &str) -> f64 {
        let mut row = self.vectorizer.transform(text);
        if let Some(tagger) = &self.lexicon {
            append_lexicon(&mut row, tagger, &self.vectorizer, text);
        }
        sigmoid(self.bias + dot(&self.weights, &row))
    }

    /// P(positive | text) for each text (in parallel).
    pub fn predict_proba_all(&self, texts: &[String]) -> Vec<f64> {
        texts.par_iter().map(|t| self.predict_proba(t)).collect()
    }

    /// The predicted class: 1 when P(positive) ≥ 0.5.
    pub fn predict(&self, text: &str) -> usize {
        usize::from(self.predict_proba(text) >= 0.5)
    }

    /// Fraction of `texts` whose predicted class equals the label (0 for no texts).
    pub fn accuracy(&self, texts: &[String], labels: &[usize]) -> f64 {
        if texts.is_empty() {
            return 0.0;
        }
        let correct = self
            .predict_proba_all(texts)
            .iter()
            .zip(labels)
            .filter(|&(&p, &l)| usize::from(p >= 0.5) == l)
            .count();
        correct as f64 / texts.len() as f64
    }
}

/// Appends the text's lexicon features after the TF-IDF features.
fn append_lexicon(
    row: &mut SparseRow,
    tagger: &ValenceTagger,
    vectorizer: &TfidfVectorizer,
    text: &str,
) {
    let features = text_features(&tagger.word_valences(&vectorizer.tokens(text)));
    let first = vectorizer.num_features() as u32;
    row.extend((first..).zip(features));
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

fn dot(w: &[f64], row: &[(u32, f64)]) -> f64 {
    row.iter().map(|&(i, v)| w[i as usize] * v).sum()
}

/// `C · Σ log-loss + ½‖w‖²` over parameters `[w, bias]`.
struct Objective<'a> {
    rows: &'a [SparseRow],
    targets: &'a [f64],
    c: f64,
    dim: usize,
}

impl Objective<'_> {
    /// Value and gradient at `params`, summed over chunks of rows in parallel.
    fn eval(&self, params: &[f64]) -> (f64, Vec<f64>) {
        let (w, bias) = (&params[..self.dim], params[self.dim]);
        // A fixed chunk count (not the thread count) keeps the sums' order fixed.
        let chunk = self.rows.len().div_ceil(16).max(1);
        let (loss, mut grad) = self
            .rows
            .par_chunks(chunk)
            .zip(self.targets.par_chunks(chunk))
            .map(|(rows, targets)| {
                let mut grad = vec![0.0; self.dim + 1];
                let mut loss = 0.0;
                for (row, &t) in rows.iter().zip(targets) {
                    let z = bias + dot(w, row);
                    // log(1 + e^z) - t z, computed stably.
                    loss += z.max(0.0) + (-z.abs()).exp().ln_1p() - t * z;
                    let r = sigmoid(z) - t;
                    for &(i, v) in row {
                        grad[i as usize] += r * v;
                    }
                    grad[self.dim] += r;
                }
                (loss, grad)
            })
            .collect::<Vec<_>>()
            .into_iter()
            // Summed in chunk order, so the fit does not depend on thread scheduling.
            .fold((0.0, vec![0.0; self.dim + 1]), |(la, mut ga), (lb, gb)| {
                ga.iter_mut().zip(&gb).for_each(|(a, b)| *a += b);
                (la + lb, ga)
            });
        grad.iter_mut().for_each(|g| *g *= self.c);
        grad[..self.dim]
            .iter_mut()
            .zip(w)
            .for_each(|(g, wi)| *g += wi);
        let value = self.c * loss + 0.5 * dot_dense(w, w);
        (value, grad)
    }
}

fn dot_dense(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Minimizes the objective with L-BFGS (memory 10, backtracking Armijo line search) from zero;
/// returns the parameters and the iterations used.
fn lbfgs(obj: &Objective<'_>, max_iter: usize) -> (Vec<f64>, usize) {
    const MEMORY: usize = 10;
    let n = obj.dim + 1;
    let mut x = vec![0.0; n];
    let (mut f, mut g) = obj.eval(&x);
    let g0 = dot_dense(&g, &g).sqrt();
    let mut history: Vec<(Vec<f64>, Vec<f64>, f64)> = Vec::new();
    for iter in 0..max_iter {
        let gnorm = dot_dense(&g, &g).sqrt();
        if gnorm <= 1e-6 * g0.max(1.0) {
            return (x, iter);
        }
        // Two-loop recursion: d = -H g.
        let mut d: Vec<f64> = g.iter().map(|v| -v).collect();
        let mut alphas = Vec::with_capacity(history.len());
        for (s, y, rho) in history.iter().rev() {
            let a = rho * dot_dense(s, &d);
            d.iter_mut().zip(y).for_each(|(di, yi)| *di -= a * yi);
            alphas.push(a);
        }
        let gamma = history
            .last()
            .map_or(1.0 / gnorm, |(s, y, _)| dot_dense(s, y) / dot_dense(y, y));
        d.iter_mut().for_each(|di| *di *= gamma);
        for ((s, y, rho), a) in history.iter().zip(alphas.into_iter().rev()) {
            let b = rho * dot_dense(y, &d);
            d.iter_mut().zip(s).for_each(|(di, si)| *di += (a - b) * si);
        }
        let slope = dot_dense(&g, &d);
        if slope >= 0.0 {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            history.clear();
            d = g.iter().map(|v| -v / gnorm).collect();
        }
        let slope = dot_dense(&g, &d);
        let mut step = 1.0;
        let (x_new, f_new, g_new) = loop {
            let cand: Vec<f64> = x.iter().zip(&d).map(|(xi, di)| xi + step * di).collect();
            let (fc, gc) = obj.eval(&cand);
            if fc <= f + 1e-4 * step * slope || step < 1e-12 {
                break (cand, fc, gc);
            }
            step *= 0.5;
        };
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot_dense(&s, &y);
        let converged = (f - f_new).abs() <= 1e-9 * f.abs().max(1.0);
        x = x_new;
        f = f_new;
        g = g_new;
        if converged {
            return (x, iter + 1);
        }
        if sy > 1e-12 {
            if history.len() == MEMORY {
                history.remove(0);
            }
            history.push((s, y, 1.0 / sy));
        }
    }
    (x, max_iter)
}
