//! Question 8: an IMDb-trained model that labels Yelp sentences it has never seen.
//!
//! The recipe is data ([`YelpRecipe`]): every ingredient that might help the transfer is a
//! switch, so the ablation runner can measure each one on and off. The shift it fights:
//! films vs restaurants, ~110-word reviews vs single sentences (median 9 tokens), and raw text
//! with `<br />` vs lowercased, pre-tokenized text (`do n't`, `_num_`, stray `@@ `).
//!
//! Rules kept here: nothing from Yelp enters training, the tokenizer or the vocabulary;
//! Yelp/dev is only scored (and may pick among finished recipes); `Yelp/reviews.txt` is only
//! predicted.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use dfdx::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::augment::{Augmentation, epoch_sequences, sentence_pieces};
use crate::data::loader::{Batch, DataLoader, LoaderConfig, LoaderError, Truncation};
use crate::data::{Corpus, DataRoot, LabeledSplit, YelpStyleNormalizer};
use crate::nn::classifier::Classifier;
use crate::nn::config::{ModelConfig, ModelKind};
use crate::nn::ngram::NaiveBayes;
use crate::nn::pooling::Aggregation;
use crate::study::baseline::{BaselineConfig, TfidfLogReg};
use crate::study::yelp_errors::YelpDevErrors;
use crate::tokenizer::{Tokenizer, TokenizerTrainConfig};
use crate::train::checkpoint::{Checkpoint, load_weights};
use crate::train::{TrainConfig, Trainer, evaluate};

/// The encoder and how it pools a sequence into one vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YelpModel {
    /// Conv1d widths 3/4/5 with max over time: position-free, fine on 5-token inputs.
    CnnMax,
    /// BiLSTM with feature-wise max over time.
    BiLstmMax,
    /// LSTM read out at its last state (the pooling that suits long reviews least well).
    LstmFinal,
}

impl YelpModel {
    /// Short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            YelpModel::CnnMax => "CNN max",
            YelpModel::BiLstmMax => "BiLSTM max",
            YelpModel::LstmFinal => "LSTM final",
        }
    }
}

/// One recipe: each field an ingredient that can be switched on or off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YelpRecipe {
    /// Both sources through [`YelpStyleNormalizer::yelp_style`] (off: raw text for both).
    pub normalize: bool,
    /// Train on the sentences of each IMDb review, each with its review's label (off: whole
    /// reviews).
    pub sentence_pieces: bool,
    /// Probability of replacing a training token with `<unk>` each epoch (0: off).
    pub token_dropout: f64,
    /// Unigram subword sampling of the training texts each epoch with this smoothing α
    /// (`None`: the Viterbi segmentation).
    pub subword_alpha: Option<f64>,
    /// Encoder and pooling.
    pub model: YelpModel,
    /// Keep the epoch with the best IMDb validation accuracy (off: the last epoch).
    pub early_stopping: bool,
    /// Add a bag of token unigrams and hashed bigrams to the logits, started from naive-Bayes
    /// ratios over the IMDb training reviews (see [`crate::nn::ngram`]).
    #[serde(default)]
    pub ngram_bag: bool,
    /// Also train on the rest of the 50k-review aclImdb corpus (its train and test halves),
    /// minus every review whose text is in the course test split or the validation reviews,
    /// so neither scoring set leaks into training. Only budgets that use all reviews see it.
    /// Measured with [`Self::chosen`]'s other switches before the piece filter (seed 0, final
    /// budget): 4.5× the training reviews moved Yelp/dev only from 83.2% to 83.6% (IMDb test
    /// 91.5% → 91.9%, with at most 6 of its 9,763 reviews leaked: the whitespace-insensitive
    /// exclusion came after) for 30 min of training (other jobs sharing the cores) instead of
    /// 2, so the handed-in recipe leaves it off. With [`Self::chosen`] (piece filter 0.1,
    /// seed 0, final budget) it gave 86.0% Yelp/dev and 90.9% IMDb test (chosen without it:
    /// 86.65% / 90.92%) in 20 min; with the filter at 0.3, 87.6% Yelp/dev but 89.3% IMDb test,
    /// 2 points below the best in-distribution model, outside the 1-point bound.
    #[serde(default)]
    pub more_imdb: bool,
    /// Drop this fraction of the training sentence pieces: those whose naive-Bayes score
    /// (ratios counted over the whole training reviews) least agrees with the label they
    /// inherited, i.e. plot summaries and asides of a review rather than its verdict (0: off;
    /// only with sentence pieces).
    #[serde(default)]
    pub piece_filter: f64,
    /// Score each piece for the filter with ratios counted on the other half of the training
    /// reviews (halves by review index), so a piece's own review, whose label it carries,
    /// never votes on it (only with the piece filter). In-sample ratios favour keeping pieces
    /// whose rare words occur only in their own review. Measured at the final budget with
    /// [`Self::chosen`]'s other switches, Yelp/dev / IMDb test % over seeds 0–4: filter 0.1
    /// cross-fitted 84.7 ± 0.4 / 90.8 (seeds 0–2 only), filter 0.2 cross-fitted
    /// 85.96 ± 0.25 / 90.44 ± 0.48, against the chosen in-sample filter 0.1 at
    /// 85.35 ± 0.83 / 90.99 ± 0.14: it trades IMDb accuracy for Yelp like a larger filter
    /// does (seed 3 fell 1.7 points below the best in-distribution model), so the handed-in
    /// recipe leaves it off.
    #[serde(default)]
    pub cross_fit_filter: bool,
}

impl YelpRecipe {
    /// Every ingredient on, with the CNN.
    pub fn full() -> Self {
        Self {
            normalize: true,
            sentence_pieces: true,
            token_dropout: 0.1,
            subword_alpha: Some(0.2),
            model: YelpModel::CnnMax,
            early_stopping: true,
            ngram_bag: false,
            more_imdb: false,
            piece_filter: 0.0,
            cross_fit_filter: false,
        }
    }

    /// The recipe whose predictions are handed in: every ingredient on, with a BiLSTM, max
    /// pooling, the n-gram bag and the naive-Bayes filter dropping 10% of the pieces.
    /// Final budget, Yelp/dev / IMDb test % (seeds 0, 1): filter 0.1: 86.7/90.9, 84.6/90.8;
    /// 0.2: 85.7/90.4, 84.8/90.7; 0.3: 85.0/89.7, 85.0/90.4; 0.4 (seed 0): 83.8/89.4; no filter
    /// (seed 0): 83.2/91.5. Before the filter the bag moved IMDb test from 89.5% to 91.5% at
    /// the same Yelp/dev (83.55% → 83.2%); without the bag: BiLSTM max 84.7%, one-way LSTM
    /// final 84.0%, CNN max 81.8% on Yelp/dev (one seed each).
    pub fn chosen() -> Self {
        Self {
            model: YelpModel::BiLstmMax,
            ngram_bag: true,
            piece_filter: 0.1,
            ..Self::full()
        }
    }

    /// Every ingredient off: raw whole reviews, LSTM final state, last epoch.
    pub fn plain() -> Self {
        Self {
            normalize: false,
            sentence_pieces: false,
            token_dropout: 0.0,
            subword_alpha: None,
            model: YelpModel::LstmFinal,
            early_stopping: false,
            ngram_bag: false,
            more_imdb: false,
            piece_filter: 0.0,
            cross_fit_filter: false,
        }
    }

    /// A one-line description of the switches, e.g. `norm+ sent+ tokdrop0.1 sw0.2 CNN max es+`.
    pub fn switches(&self) -> String {
        let pm = |b: bool| if b { "+" } else { "-" };
        let drop = if self.token_dropout > 0.0 {
            format!("tokdrop{}", self.token_dropout)
        } else {
            "tokdrop-".to_string()
        };
        let sw = self
            .subword_alpha
            .map_or("sw-".to_string(), |a| format!("sw{a}"));
        format!(
            "norm{} sent{} {drop} {sw} {} es{}{}{}{}",
            pm(self.normalize),
            pm(self.sentence_pieces),
            self.model.name(),
            pm(self.early_stopping),
            if self.ngram_bag { " bag+" } else { "" },
            if self.more_imdb { " imdb50k+" } else { "" },
            if self.piece_filter > 0.0 {
                let cross = if self.cross_fit_filter { " xfit" } else { "" };
                format!(" nbfilter{}{cross}", self.piece_filter)
            } else {
                String::new()
            }
        )
    }

    /// The per-epoch augmentations of the training texts.
    pub fn augmentation(&self) -> Augmentation {
        Augmentation {
            sentence_pieces: self.sentence_pieces,
            piece_words: 0,
            subword_alpha: self.subword_alpha,
            token_dropout: self.token_dropout,
        }
    }

    /// The text normalizer both sources go through.
    pub fn normalizer(&self) -> YelpStyleNormalizer {
        if self.normalize {
            YelpStyleNormalizer::yelp_style()
        } else {
            YelpStyleNormalizer::none()
        }
    }
}

/// How much data and compute one run gets (the same for every recipe of an ablation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct YelpBudget {
    /// IMDb training reviews used (balanced; 0: all after the validation split).
    pub train_reviews: usize,
    /// Fraction of IMDb train held out for early stopping.
    pub valid_fraction: f64,
    /// IMDb validation reviews scored after each epoch (0: all held out).
    pub valid_reviews: usize,
    /// IMDb test reviews scored (0: all).
    pub test_reviews: usize,
    pub epochs: usize,
    /// Tokenizer vocabulary (specials and byte pieces included).
    pub vocab_size: usize,
    /// Longest training/evaluation sentence in tokens.
    pub sentence_max_len: usize,
    /// Longest whole review in tokens (training without sentence pieces, IMDb scoring).
    pub review_max_len: usize,
    pub batch_size: usize,
    pub lr: f64,
    pub embedding_dim: usize,
    /// CNN channels per width, or LSTM hidden size per direction.
    pub width: usize,
    pub dropout: f64,
}

impl Default for YelpBudget {
    /// The final budget: all IMDb train reviews, 96-dim, 3 epochs (~2.5 min on 2 cores; the
    /// chosen recipe's validation peaked at epoch 3 of 4).
    fn default() -> Self {
        Self {
            train_reviews: 0,
            valid_fraction: 0.1,
            valid_reviews: 0,
            test_reviews: 0,
            epochs: 3,
            vocab_size: 8000,
            sentence_max_len: 64,
            review_max_len: 400,
            batch_size: 64,
            lr: 2e-3,
            embedding_dim: 96,
            width: 96,
            dropout: 0.5,
        }
    }
}

impl YelpBudget {
    /// A short description for row labels, e.g. `3000 reviews, 64-dim, 3 ep`.
    pub fn describe(&self) -> String {
        format!(
            "{}, {}-dim, {} ep",
            self.describe_reviews(),
            self.embedding_dim,
            self.epochs
        )
    }

    /// The training data part of [`Self::describe`], e.g. `3000 reviews`.
    pub fn describe_reviews(&self) -> String {
        match self.train_reviews {
            0 => "all reviews".to_string(),
            n => format!("{n} reviews"),
        }
    }

    /// The ablation's budget: 2000 reviews, 64-dim, 3 epochs, 2000 test reviews (~25 s a
    /// recipe on 2 cores, so every row gets four seeds: two left effects of a point unclear).
    pub fn ablation() -> Self {
        Self {
            train_reviews: 2000,
            valid_reviews: 500,
            test_reviews: 2000,
            epochs: 3,
            embedding_dim: 64,
            width: 64,
            ..Self::default()
        }
    }

    /// A budget small enough for a test (well under a minute).
    pub fn tiny() -> Self {
        Self {
            train_reviews: 1200,
            valid_reviews: 200,
            test_reviews: 400,
            epochs: 2,
            vocab_size: 3000,
            sentence_max_len: 48,
            review_max_len: 200,
            embedding_dim: 48,
            width: 48,
            dropout: 0.3,
            lr: 3e-3,
            ..Self::default()
        }
    }
}

/// The texts a run reads, loaded once.
#[derive(Clone, Debug)]
pub struct YelpData {
    pub imdb_train: LabeledSplit,
    pub imdb_test: LabeledSplit,
    /// Scored only.
    pub yelp_dev: LabeledSplit,
    /// Predicted only: every line of `Yelp/reviews.txt`.
    pub yelp_reviews: Vec<String>,
    /// `aclImdb/{train,test}` together, for recipes with [`YelpRecipe::more_imdb`] (loaded by
    /// [`Self::with_acl_imdb`]).
    pub acl_imdb: Option<LabeledSplit>,
}

impl YelpData {
    /// Reads IMDb train/test, Yelp/dev and `Yelp/reviews.txt` under `root`.
    pub fn load(root: &DataRoot) -> Result<Self> {
        Ok(Self {
            imdb_train: root.labeled(Corpus::ImdbTrain)?,
            imdb_test: root.labeled(Corpus::ImdbTest)?,
            yelp_dev: root.labeled(Corpus::YelpDev)?,
            yelp_reviews: root.yelp_reviews()?.texts,
            acl_imdb: None,
        })
    }

    /// Also reads `aclImdb/train` and `aclImdb/test` (one pool) under `root`.
    pub fn with_acl_imdb(mut self, root: &DataRoot) -> Result<Self> {
        let mut pool = root.labeled(Corpus::AclImdbTrain)?;
        let test = root.labeled(Corpus::AclImdbTest)?;
        pool.texts.extend(test.texts);
        pool.labels.extend(test.labels);
        self.acl_imdb = Some(pool);
        Ok(self)
    }

    /// The aclImdb reviews a [`YelpRecipe::more_imdb`] run adds: every one whose text is
    /// neither in `exclude` (the reviews it is scored on) nor in the course training split
    /// (already there), each text once. Texts are compared with whitespace runs collapsed:
    /// 6 course test reviews differ from their aclImdb copies only in surrounding whitespace.
    fn extra_imdb(&self, exclude: &[&LabeledSplit]) -> Result<LabeledSplit> {
        let pool = self.acl_imdb.as_ref().context(
            "the recipe adds the aclImdb reviews, but they were not loaded \
             (YelpData::with_acl_imdb; expected aclImdb/{train,test}/{positive,negative})",
        )?;
        let key = |t: &str| t.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut seen: std::collections::HashSet<String> = exclude
            .iter()
            .chain([&&self.imdb_train])
            .flat_map(|s| s.texts.iter().map(|t| key(t)))
            .collect();
        let keep: Vec<usize> = (0..pool.len())
            .filter(|&i| seen.insert(key(&pool.texts[i])))
            .collect();
        Ok(pool.subset(&keep))
    }
}

/// One finished run of one recipe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YelpRun {
    /// Which ablation row this is (`full`, `- sentence pieces`, ...).
    pub label: String,
    pub switches: String,
    pub seed: u64,
    /// Accuracy on the 2000 labeled Yelp/dev sentences.
    pub yelp_dev: f32,
    /// IMDb test accuracy, each review scored whole.
    pub imdb_test: f32,
    /// IMDb test accuracy, a review's score the mean of its sentences' probabilities.
    pub imdb_test_sentences: f32,
    /// Best (or last) IMDb validation accuracy.
    pub imdb_val: f32,
    pub best_epoch: usize,
    pub epochs: usize,
    /// Training examples (sentences or reviews).
    pub train_examples: usize,
    pub params: usize,
    pub train_seconds: f64,
    /// Tokenizer training, encoding, training and scoring.
    pub total_seconds: f64,
}

/// A trained recipe: its scores and its labels for every `Yelp/reviews.txt` line.
pub struct FittedRecipe {
    pub run: YelpRun,
    /// 1 = positive, one per line of `Yelp/reviews.txt`.
    pub predictions: Vec<usize>,
    /// Where it goes wrong on Yelp/dev.
    pub dev_errors: YelpDevErrors,
}

/// A tokenizer trained on IMDb train texts after `norm` (never on Yelp).
pub fn train_tokenizer(texts: &[String], vocab_size: usize) -> Result<Tokenizer> {
    let cfg = TokenizerTrainConfig {
        vocab_size,
        ..TokenizerTrainConfig::default()
    };
    Tokenizer::train(texts, &cfg, &|_| {}).context("training the IMDb tokenizer")
}

fn loader_config(
    budget: &YelpBudget,
    max_len: usize,
    pad: u32,
    shuffle: bool,
    seed: u64,
) -> LoaderConfig {
    LoaderConfig {
        batch_size: budget.batch_size,
        max_len,
        truncation: Truncation::Head,
        pad_id: pad,
        shuffle,
        bucket_batches: if shuffle { 50 } else { 1 },
        seed,
    }
}

/// Sorted-by-length evaluation batches (less padding; labels may be empty).
fn eval_batches(
    seqs: &[Vec<u32>],
    labels: Option<&[usize]>,
    budget: &YelpBudget,
    max_len: usize,
    pad: u32,
) -> Result<Vec<Batch>> {
    let mut order: Vec<usize> = (0..seqs.len()).collect();
    order.sort_by_key(|&i| seqs[i].len());
    let mut out = Vec::new();
    for chunk in order.chunks(budget.batch_size.max(1)) {
        let rows: Vec<&[u32]> = chunk
            .iter()
            .map(|&i| &seqs[i][..seqs[i].len().min(max_len)])
            .collect();
        if rows.iter().any(|r| r.is_empty()) {
            anyhow::bail!("an evaluation text encodes to no tokens");
        }
        let lab = labels.map_or(Vec::new(), |l| chunk.iter().map(|&i| l[i]).collect());
        out.push(Batch::from_rows(&rows, lab, chunk.to_vec(), pad));
    }
    Ok(out)
}

/// Probability of "positive" for each sequence, in dataset order.
fn probabilities(model: &Classifier<f32, Cpu>, batches: &[Batch], n: usize) -> Vec<f32> {
    let ev = evaluate(model, batches);
    let mut p = vec![0.5; n];
    for (i, q) in ev.probabilities {
        p[i] = q;
    }
    p
}

fn accuracy(probs: &[f32], labels: &[usize]) -> f32 {
    let hits = probs
        .iter()
        .zip(labels)
        .filter(|(p, l)| usize::from(**p > 0.5) == **l)
        .count();
    hits as f32 / labels.len().max(1) as f32
}

/// `n` items of each class, in order (0: all).
fn balanced(split: &LabeledSplit, idx: &[usize], per_class: usize) -> Vec<usize> {
    if per_class == 0 {
        return idx.to_vec();
    }
    let mut out = Vec::new();
    for class in [1, 0] {
        out.extend(
            idx.iter()
                .copied()
                .filter(|&i| split.labels[i] == class)
                .take(per_class),
        );
    }
    out.sort_unstable();
    out
}

/// Spread `n` picks evenly over `idx` (0: all), so a subset keeps both classes.
fn spread(idx: &[usize], n: usize) -> Vec<usize> {
    if n == 0 || n >= idx.len() {
        return idx.to_vec();
    }
    (0..n).map(|k| idx[k * idx.len() / n]).collect()
}

/// Rows of the recipe's n-gram bag (when on).
const NGRAM_BUCKETS: usize = 1 << 20;

/// The n-gram rows for a budget: room for every token id plus hashed bigrams.
fn ngram_buckets(budget: &YelpBudget) -> usize {
    NGRAM_BUCKETS.max(2 * budget.vocab_size)
}

fn model_config(recipe: &YelpRecipe, budget: &YelpBudget) -> ModelConfig {
    let model = recipe.model;
    let mut c = ModelConfig::new(match model {
        YelpModel::CnnMax => ModelKind::Cnn,
        YelpModel::BiLstmMax | YelpModel::LstmFinal => ModelKind::Lstm,
    });
    c.embedding_dim = budget.embedding_dim;
    c.channels = budget.width;
    c.hidden_size = budget.width;
    c.dropout = budget.dropout;
    if model == YelpModel::BiLstmMax {
        c.bidirectional = true;
        c.aggregation = Aggregation::Max;
    }
    if recipe.ngram_bag {
        c.ngram_buckets = ngram_buckets(budget);
    }
    c
}

/// Each piece's naive-Bayes score, by the scorer of its review's fold: `scorers[k]` scores the
/// pieces of reviews `r` with `r % scorers.len() == k` (one scorer: in-sample).
fn piece_scores(scorers: &[NaiveBayes], ids: &[Vec<u32>], review: &[usize]) -> Vec<f64> {
    ids.par_iter()
        .zip(review)
        .map(|(t, &r)| scorers[r % scorers.len()].score(t))
        .collect()
}

/// The two cross-fitting scorers: `[k]` counts the reviews outside fold `k` (index parity).
fn cross_fit_scorers(
    reviews: &[Vec<u32>],
    labels: &[usize],
    vocab: usize,
    buckets: usize,
) -> Vec<NaiveBayes> {
    (0..2)
        .map(|k| {
            let other: Vec<usize> = (0..reviews.len()).filter(|r| r % 2 != k).collect();
            let texts: Vec<Vec<u32>> = other.iter().map(|&r| reviews[r].clone()).collect();
            let labels: Vec<usize> = other.iter().map(|&r| labels[r]).collect();
            NaiveBayes::fit(&texts, &labels, vocab, buckets)
        })
        .collect()
}

/// Which pieces to keep: all but the fraction `drop` whose naive-Bayes score least agrees
/// with their label (ties kept in order). Agreement is the score, sign-flipped for label 0.
fn agreeing_pieces(scores: &[f64], labels: &[usize], drop: f64) -> Vec<bool> {
    let agree: Vec<f64> = scores
        .iter()
        .zip(labels)
        .map(|(&s, &l)| if l == 1 { s } else { -s })
        .collect();
    let n_drop = ((drop.clamp(0.0, 1.0) * scores.len() as f64) as usize).min(scores.len());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| agree[a].total_cmp(&agree[b]));
    let mut keep = vec![true; scores.len()];
    for &i in &order[..n_drop] {
        keep[i] = false;
    }
    keep
}

/// Keeps `v[i]` where `keep[i]`.
fn retain_kept<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut k = keep.iter();
    v.retain(|_| *k.next().unwrap_or(&true));
}

/// Trains one recipe with one seed and scores it on IMDb test and Yelp/dev.
pub fn fit_recipe(
    recipe: &YelpRecipe,
    budget: &YelpBudget,
    data: &YelpData,
    seed: u64,
    label: &str,
) -> Result<FittedRecipe> {
    anyhow::ensure!(
        (0.0..1.0).contains(&recipe.piece_filter),
        "piece_filter is the fraction of sentence pieces to drop: expected 0 ≤ it < 1, got {}",
        recipe.piece_filter
    );
    let start = Instant::now();
    let norm = recipe.normalizer();
    // The validation split is the same for every recipe and seed.
    let split = crate::data::stratified_split(&data.imdb_train.labels, budget.valid_fraction, 0);
    let train_idx = balanced(&data.imdb_train, &split.train, budget.train_reviews / 2);
    let val_idx = spread(&split.valid, budget.valid_reviews);
    let mut train = data.imdb_train.subset(&train_idx);
    let val = data.imdb_train.subset(&val_idx);
    let test_idx: Vec<usize> = spread(
        &(0..data.imdb_test.len()).collect::<Vec<_>>(),
        budget.test_reviews,
    );
    let test = data.imdb_test.subset(&test_idx);
    if recipe.more_imdb && budget.train_reviews == 0 {
        // Every validation review is excluded, not only the scored ones.
        let all_val = data.imdb_train.subset(&split.valid);
        let extra = data.extra_imdb(&[&data.imdb_test, &all_val])?;
        train.texts.extend(extra.texts);
        train.labels.extend(extra.labels);
    }

    let norm_all =
        |texts: &[String]| -> Vec<String> { texts.par_iter().map(|t| norm.normalize(t)).collect() };
    let train_reviews = norm_all(&train.texts);
    let tok = train_tokenizer(&train_reviews, budget.vocab_size)?;
    let pad = tok.pad_id();
    let aug = recipe.augmentation();
    // The n-gram bag and the piece filter share naive-Bayes ratios over the whole normalized
    // training reviews, as the study counts them.
    let filter = recipe.sentence_pieces && recipe.piece_filter > 0.0;
    let buckets = ngram_buckets(budget);
    let (review_ids, nb) = if recipe.ngram_bag || filter {
        let ids = tok.encode_batch_for_model(&train_reviews, Some(budget.review_max_len))?;
        let nb = NaiveBayes::fit(&ids, &train.labels, tok.vocab_size(), buckets);
        (ids, Some(nb))
    } else {
        (Vec::new(), None)
    };

    let (train_texts, train_labels, train_review, train_max) = if recipe.sentence_pieces {
        let p = sentence_pieces(&train.texts, &train.labels, &norm);
        (p.texts, p.labels, p.review, budget.sentence_max_len)
    } else {
        let review = (0..train.len()).collect();
        (
            train_reviews,
            train.labels.clone(),
            review,
            budget.review_max_len,
        )
    };
    let mut train_ids = tok.encode_batch_for_model(&train_texts, Some(train_max))?;
    let (mut train_texts, mut train_labels) = (train_texts, train_labels);
    if let (true, Some(nb)) = (filter, &nb) {
        let cross;
        let scorers = if recipe.cross_fit_filter {
            cross = cross_fit_scorers(&review_ids, &train.labels, tok.vocab_size(), buckets);
            &cross[..]
        } else {
            std::slice::from_ref(nb)
        };
        let scores = piece_scores(scorers, &train_ids, &train_review);
        let keep = agreeing_pieces(&scores, &train_labels, recipe.piece_filter);
        retain_kept(&mut train_ids, &keep);
        retain_kept(&mut train_texts, &keep);
        retain_kept(&mut train_labels, &keep);
    }
    let val_ids = tok.encode_batch_for_model(&norm_all(&val.texts), Some(budget.review_max_len))?;
    let val_batches = eval_batches(
        &val_ids,
        Some(&val.labels),
        budget,
        budget.review_max_len,
        pad,
    )?;

    let dev = Cpu::seed_from_u64(seed);
    let cfg = model_config(recipe, budget);
    let mut model = Classifier::<f32, Cpu>::new(&cfg, tok.vocab_size(), &dev)?;
    if let Some(nb) = &nb {
        model.init_ngrams_from(nb);
    }
    let tc = TrainConfig {
        lr: budget.lr,
        batch_size: budget.batch_size,
        epochs: budget.epochs,
        clip_norm: Some(1.0),
        seed,
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(tc);
    trainer.quiet = true;
    trainer.label = label.to_string();
    let ck_dir = std::env::temp_dir().join(format!(
        "sentiment-rnn-yelp-{}-{seed}-{}",
        std::process::id(),
        start.elapsed().as_nanos()
    ));
    if !recipe.early_stopping {
        // The checkpoint keeps the last epoch's weights next to the best ones.
        trainer.checkpoint = Some(Checkpoint::new(&ck_dir));
    }
    let lcfg = loader_config(budget, train_max, pad, true, seed);
    let epoch_batches = |epoch: usize| -> Result<Vec<Batch>, LoaderError> {
        let e = epoch as u64;
        let seqs = epoch_sequences(&tok, &train_texts, &train_ids, &aug, train_max, seed, e);
        DataLoader::new(&seqs, Some(&train_labels), lcfg.clone()).map(|l| l.epoch(e))
    };
    let t_train = Instant::now();
    let outcome = trainer.fit(&mut model, epoch_batches, &val_batches)?;
    let train_seconds = t_train.elapsed().as_secs_f64();
    let mut imdb_val = outcome.best_val_accuracy;
    if !recipe.early_stopping {
        load_weights(&mut model, &ck_dir.join("last.safetensors"))?;
        imdb_val = outcome.epochs.last().map_or(0.0, |e| e.val_accuracy);
        let _ = std::fs::remove_dir_all(&ck_dir);
    }

    // IMDb test: whole reviews, and the mean over each review's sentences.
    let test_ids =
        tok.encode_batch_for_model(&norm_all(&test.texts), Some(budget.review_max_len))?;
    let tb = eval_batches(&test_ids, None, budget, budget.review_max_len, pad)?;
    let imdb_test = accuracy(&probabilities(&model, &tb, test_ids.len()), &test.labels);
    let pieces = sentence_pieces(&test.texts, &test.labels, &norm);
    let st_ids = tok.encode_batch_for_model(&pieces.texts, Some(budget.sentence_max_len))?;
    let sp = probabilities(
        &model,
        &eval_batches(&st_ids, None, budget, budget.sentence_max_len, pad)?,
        st_ids.len(),
    );
    let review_p = pieces.mean_per_review(&sp, test.len());
    let imdb_test_sentences = accuracy(&review_p, &test.labels);

    // Yelp: normalized like IMDb, scored as sentences.
    let yelp_score = |texts: &[String]| -> Result<Vec<f32>> {
        let ids = tok.encode_batch_for_model(&norm_all(texts), Some(budget.sentence_max_len))?;
        Ok(probabilities(
            &model,
            &eval_batches(&ids, None, budget, budget.sentence_max_len, pad)?,
            ids.len(),
        ))
    };
    let dev_probs = yelp_score(&data.yelp_dev.texts)?;
    let yelp_dev = accuracy(&dev_probs, &data.yelp_dev.labels);
    let dev_lengths: Vec<usize> = data
        .yelp_dev
        .texts
        .iter()
        .map(|t| t.split_whitespace().count())
        .collect();
    let dev_errors = YelpDevErrors::measure(&dev_probs, &data.yelp_dev.labels, &dev_lengths);
    let predictions = yelp_score(&data.yelp_reviews)?
        .iter()
        .map(|&p| usize::from(p > 0.5))
        .collect();

    let run = YelpRun {
        label: label.to_string(),
        switches: recipe.switches(),
        seed,
        yelp_dev,
        imdb_test,
        imdb_test_sentences,
        imdb_val,
        best_epoch: if recipe.early_stopping {
            outcome.best_epoch
        } else {
            budget.epochs
        },
        epochs: budget.epochs,
        train_examples: train_ids.len(),
        params: model.num_params(),
        train_seconds,
        total_seconds: start.elapsed().as_secs_f64(),
    };
    Ok(FittedRecipe {
        run,
        predictions,
        dev_errors,
    })
}

/// The TF-IDF + logistic regression anchor, trained on the same IMDb reviews.
pub fn fit_anchor(budget: &YelpBudget, data: &YelpData) -> Result<YelpRun> {
    let start = Instant::now();
    let split = crate::data::stratified_split(&data.imdb_train.labels, budget.valid_fraction, 0);
    let train_idx = balanced(&data.imdb_train, &split.train, budget.train_reviews / 2);
    let train = data.imdb_train.subset(&train_idx);
    let test_idx = spread(
        &(0..data.imdb_test.len()).collect::<Vec<_>>(),
        budget.test_reviews,
    );
    let test = data.imdb_test.subset(&test_idx);
    let lr = TfidfLogReg::fit(&train.texts, &train.labels, &BaselineConfig::default())?;
    let train_seconds = start.elapsed().as_secs_f64();
    Ok(YelpRun {
        label: format!("TF-IDF LR anchor [{}]", budget.describe_reviews()),
        switches: "norm+ uni+bigrams".into(),
        seed: 0,
        yelp_dev: lr.accuracy(&data.yelp_dev.texts, &data.yelp_dev.labels) as f32,
        imdb_test: lr.accuracy(&test.texts, &test.labels) as f32,
        imdb_test_sentences: f32::NAN,
        imdb_val: f32::NAN,
        best_epoch: 0,
        epochs: 0,
        train_examples: train.len(),
        params: lr.vectorizer().num_features() + 1,
        train_seconds,
        total_seconds: start.elapsed().as_secs_f64(),
    })
}

/// The ablation: the full recipe, then each ingredient switched off alone (the extra IMDb
/// reviews only where `budget` uses all reviews: a capped budget never sees them).
pub fn ablation_recipes(full: &YelpRecipe, budget: &YelpBudget) -> Vec<(String, YelpRecipe)> {
    let mut v = vec![("full recipe".to_string(), full.clone())];
    let mut off = |name: &str, f: &dyn Fn(&mut YelpRecipe)| {
        let mut r = full.clone();
        f(&mut r);
        v.push((format!("− {name}"), r));
    };
    off("shared normalization", &|r| r.normalize = false);
    off("sentence pieces", &|r| r.sentence_pieces = false);
    off("token dropout", &|r| r.token_dropout = 0.0);
    off("subword sampling", &|r| r.subword_alpha = None);
    off("early stopping", &|r| r.early_stopping = false);
    if full.ngram_bag {
        off("n-gram bag", &|r| r.ngram_bag = false);
    }
    if full.piece_filter > 0.0 && full.sentence_pieces {
        off("naive-Bayes piece filter", &|r| r.piece_filter = 0.0);
        if full.cross_fit_filter {
            off("cross-fitting (in-sample filter ratios)", &|r| {
                r.cross_fit_filter = false
            });
        }
    }
    if full.more_imdb && budget.train_reviews == 0 {
        off("rest of the 50k IMDb reviews", &|r| r.more_imdb = false);
    }
    if full.model == YelpModel::LstmFinal {
        off("LSTM final state (CNN max pooling instead)", &|r| {
            r.model = YelpModel::CnnMax
        });
    } else {
        off("max pooling (LSTM final state)", &|r| {
            r.model = YelpModel::LstmFinal
        });
    }
    v
}

/// Writes one `0`/`1` per line (1 = positive), `\n`-terminated, for all `Yelp/reviews.txt`
/// lines. Refuses label values other than 0/1 and a count other than `expected` (when given).
pub fn write_predictions(path: &Path, labels: &[usize]) -> Result<()> {
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, l)| **l > 1) {
        anyhow::bail!("prediction {i} is {l} (expected 0 or 1)");
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut s = String::with_capacity(labels.len() * 2);
    for l in labels {
        s.push(if *l == 1 { '1' } else { '0' });
        s.push('\n');
    }
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

fn pct(x: f32) -> String {
    if x.is_finite() {
        format!("{:.1}", 100.0 * x)
    } else {
        "–".to_string()
    }
}

/// The ablation as a markdown table: one row per run, in the given order.
pub fn ablation_markdown(runs: &[YelpRun]) -> String {
    let mut o = String::new();
    o.push_str("| recipe | switches | seed | Yelp/dev % | IMDb test % (whole) | IMDb test % (sentence mean) | IMDb val % | best epoch | train s | total s |\n");
    o.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in runs {
        let _ = writeln!(
            o,
            "| {} | `{}` | {} | {} | {} | {} | {} | {}/{} | {:.0} | {:.0} |",
            r.label,
            r.switches,
            r.seed,
            pct(r.yelp_dev),
            pct(r.imdb_test),
            pct(r.imdb_test_sentences),
            pct(r.imdb_val),
            r.best_epoch,
            r.epochs,
            r.train_seconds,
            r.total_seconds
        );
    }
    o
}

/// Writes the runs as CSV (accuracies as fractions with 4 decimals).
pub fn write_ablation_csv(path: &Path, runs: &[YelpRun]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut w = csv::Writer::from_path(path)?;
    w.write_record([
        "label",
        "switches",
        "seed",
        "yelp_dev",
        "imdb_test",
        "imdb_test_sentences",
        "imdb_val",
        "best_epoch",
        "epochs",
        "train_examples",
        "params",
        "train_seconds",
        "total_seconds",
    ])?;
    let f = |x: f32| {
        if x.is_finite() {
            format!("{x:.4}")
        } else {
            String::new()
        }
    };
    for r in runs {
        w.write_record([
            r.label.clone(),
            r.switches.clone(),
            r.seed.to_string(),
            f(r.yelp_dev),
            f(r.imdb_test),
            f(r.imdb_test_sentences),
            f(r.imdb_val),
            r.best_epoch.to_string(),
            r.epochs.to_string(),
            r.train_examples.to_string(),
            r.params.to_string(),
            format!("{:.1}", r.train_seconds),
            format!("{:.1}", r.total_seconds),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// What [`run_yelp_study`] does.
#[derive(Clone, Debug)]
pub struct YelpStudyOptions {
    pub data_root: DataRoot,
    /// Where `yelp_predictions.txt` and `yelp_ablation.csv` go.
    pub out_dir: PathBuf,
    pub recipe: YelpRecipe,
    pub budget: YelpBudget,
    pub seeds: Vec<u64>,
    /// Also run every ingredient off (each with every seed) and the TF-IDF anchor.
    pub ablation: bool,
    /// Only the ablation rows whose label contains one of these (empty: every row).
    pub only_rows: Vec<String>,
    /// The ablation's CSV file name in `out_dir`.
    pub csv_name: String,
}

impl YelpStudyOptions {
    /// The chosen recipe with the default budget and seed 0, no ablation.
    pub fn new(data_root: DataRoot, out_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_root,
            out_dir: out_dir.into(),
            recipe: YelpRecipe::chosen(),
            budget: YelpBudget::default(),
            seeds: vec![0],
            ablation: false,
            only_rows: Vec::new(),
            csv_name: "yelp_ablation.csv".into(),
        }
    }
}

/// The outcome of [`run_yelp_study`].
#[derive(Clone, Debug)]
pub struct YelpOutcome {
    /// The run whose predictions were written (best Yelp/dev among the chosen recipe's seeds).
    pub chosen: YelpRun,
    /// The chosen run's errors on Yelp/dev.
    pub chosen_errors: YelpDevErrors,
    /// Every run, anchor and ablation rows included.
    pub runs: Vec<YelpRun>,
    pub predictions_path: PathBuf,
    pub predicted_lines: usize,
    pub positive_fraction: f32,
}

fn log_run(r: &YelpRun) {
    eprintln!(
        "yelp: {} (seed {}): Yelp/dev {:.3}, IMDb test {:.3} (sentence mean {:.3}), {:.0}s",
        r.label, r.seed, r.yelp_dev, r.imdb_test, r.imdb_test_sentences, r.total_seconds
    );
}

/// Trains the recipe (each seed), optionally the ablation, and writes either
/// `out_dir/yelp_predictions.txt` from the best seed or, with the ablation,
/// `out_dir/yelp_ablation.csv` (its reduced-budget labels go to the temporary folder).
pub fn run_yelp_study(opts: &YelpStudyOptions) -> Result<YelpOutcome> {
    let mut data = YelpData::load(&opts.data_root)?;
    if opts.recipe.more_imdb {
        data = data.with_acl_imdb(&opts.data_root)?;
    }
    let mut runs = Vec::new();
    let mut best: Option<FittedRecipe> = None;
    for &seed in &opts.seeds {
        let label = format!("full recipe [{}]", opts.budget.describe());
        let f = fit_recipe(&opts.recipe, &opts.budget, &data, seed, &label)?;
        log_run(&f.run);
        runs.push(f.run.clone());
        if best
            .as_ref()
            .is_none_or(|b| f.run.yelp_dev > b.run.yelp_dev)
        {
            best = Some(f);
        }
    }
    let best = best.context("no seeds given")?;
    if opts.ablation {
        // Every ingredient off, with every seed: one seed cannot tell a point from noise.
        let rows = ablation_recipes(&opts.recipe, &opts.budget)
            .into_iter()
            .skip(1);
        let wanted = |label: &String| {
            opts.only_rows.is_empty() || opts.only_rows.iter().any(|w| label.contains(w.as_str()))
        };
        for (label, r) in rows.filter(|(l, _)| wanted(l)) {
            let label = format!("{label} [{}]", opts.budget.describe());
            for &seed in &opts.seeds {
                let run = fit_recipe(&r, &opts.budget, &data, seed, &label)?.run;
                log_run(&run);
                runs.push(run);
            }
        }
        let anchor = fit_anchor(&opts.budget, &data)?;
        log_run(&anchor);
        runs.push(anchor);
    }
    // An ablation's model has the smaller budget: its labels must not replace the handed-in
    // file, so they go to the temporary folder.
    let predictions_path = if opts.ablation {
        std::env::temp_dir().join(format!(
            "sentiment-rnn-yelp-ablation-{}.txt",
            std::process::id()
        ))
    } else {
        opts.out_dir.join("yelp_predictions.txt")
    };
    write_predictions(&predictions_path, &best.predictions)?;
    // Without the ablation there is nothing to tabulate; an earlier ablation's file stays.
    if opts.ablation {
        write_ablation_csv(&opts.out_dir.join(&opts.csv_name), &runs)?;
    }
    let positives = best.predictions.iter().filter(|&&l| l == 1).count();
    Ok(YelpOutcome {
        chosen: best.run.clone(),
        chosen_errors: best.dev_errors.clone(),
        runs,
        predictions_path,
        predicted_lines: best.predictions.len(),
        positive_fraction: positives as f32 / best.predictions.len().max(1) as f32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn split(texts: &[&str], labels: &[usize]) -> LabeledSplit {
        LabeledSplit {
            texts: texts.iter().map(|t| t.to_string()).collect(),
            labels: labels.to_vec(),
            stats: Vec::new(),
        }
    }

    #[test]
    fn extra_imdb_leaves_out_scored_and_known_reviews_and_repeats() {
        let data = YelpData {
            imdb_train: split(&["train a", "val b"], &[1, 0]),
            imdb_test: split(&["test  c "], &[1]),
            yelp_dev: split(&[], &[]),
            yelp_reviews: Vec::new(),
            acl_imdb: Some(split(
                &[
                    "train a",
                    "new d",
                    "\u{a0}test c",
                    "val b",
                    "new e",
                    "new d",
                ],
                &[1, 1, 1, 0, 0, 1],
            )),
        };
        let val = data.imdb_train.subset(&[1]);
        let extra = data.extra_imdb(&[&data.imdb_test, &val]).unwrap();
        assert_eq!(extra.texts, ["new d", "new e"]);
        assert_eq!(extra.labels, [1, 0]);
        let none = YelpData {
            acl_imdb: None,
            ..data
        };
        let err = none.extra_imdb(&[]).unwrap_err().to_string();
        assert!(err.contains("aclImdb/{train,test}"), "{err}");
    }

    #[test]
    fn cross_fitting_keeps_a_pieces_own_review_from_voting_on_it() {
        // Token 7 occurs only in review 0 (positive); token 6 occurs nowhere.
        let reviews = vec![vec![1, 7], vec![3, 4], vec![1, 2], vec![5, 3]];
        let labels = [1, 0, 1, 0];
        let in_sample = NaiveBayes::fit(&reviews, &labels, 8, 64);
        let cross = cross_fit_scorers(&reviews, &labels, 8, 64);
        let own = piece_scores(std::slice::from_ref(&in_sample), &[vec![7]], &[0])[0];
        let fitted = piece_scores(&cross, &[vec![7], vec![6]], &[0, 0]);
        assert!(own > fitted[0] + 0.1, "{own} vs {}", fitted[0]);
        // Out of fold, token 7 is as unknown as a token never seen.
        assert!((fitted[0] - fitted[1]).abs() < 1e-12, "{fitted:?}");
        // A piece of review 1 is scored by the scorer that counted reviews 0 and 2.
        let odd = piece_scores(&cross, &[vec![7]], &[1])[0];
        assert!(odd > fitted[0] + 0.1, "{odd}");
    }

    proptest! {
        #[test]
        fn the_filter_drops_exactly_the_least_agreeing_pieces(
            pieces in proptest::collection::vec(
                (proptest::collection::vec(1u32..8, 1..5), 0usize..2), 1..40),
            drop in 0.0f64..1.0,
        ) {
            let texts = vec![vec![1, 2], vec![3, 4, 1], vec![5, 6], vec![7, 5, 6]];
            let nb = NaiveBayes::fit(&texts, &[1, 1, 0, 0], 8, 64);
            let (ids, labels): (Vec<_>, Vec<_>) = pieces.into_iter().unzip();
            let scores = piece_scores(std::slice::from_ref(&nb), &ids, &vec![0; ids.len()]);
            let keep = agreeing_pieces(&scores, &labels, drop);
            let dropped = keep.iter().filter(|k| !**k).count();
            prop_assert_eq!(dropped, (drop * ids.len() as f64) as usize);
            let agree = |i: usize| {
                let s = nb.score(&ids[i]);
                if labels[i] == 1 { s } else { -s }
            };
            let worst_kept = (0..ids.len()).filter(|&i| keep[i]).map(agree).fold(f64::INFINITY, f64::min);
            let best_dropped = (0..ids.len()).filter(|&i| !keep[i]).map(agree).fold(f64::NEG_INFINITY, f64::max);
            prop_assert!(best_dropped <= worst_kept);
            let mut v: Vec<usize> = (0..ids.len()).collect();
            retain_kept(&mut v, &keep);
            prop_assert_eq!(v, (0..ids.len()).filter(|&i| keep[i]).collect::<Vec<_>>());
        }
    }
}
