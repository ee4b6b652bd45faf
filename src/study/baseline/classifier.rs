//! The TF-IDF + logistic-regression classifier: checked fit, probabilities and accuracy.

use rayon::prelude::*;

use super::lbfgs::lbfgs;
use super::logistic::{Objective, dot, sigmoid};
use super::tfidf::{SparseRow, TfidfVectorizer};
use super::{BaselineConfig, BaselineError};
use crate::data::valence::ValenceTagger;
use crate::nn::valence::text_features;

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
        check_training_data(texts, labels, config)?;
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
        let (params, iterations) = lbfgs(
            objective.dim + 1,
            |params| objective.eval(params),
            config.max_iter,
        );
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

/// Rejects what the fit cannot use: labels not one per text or not 0/1, a single class, or
/// settings out of range.
fn check_training_data(
    texts: &[String],
    labels: &[usize],
    config: &BaselineConfig,
) -> Result<(), BaselineError> {
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
    Ok(())
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
