//! Trains one recipe with one seed: its tokenizer and training examples from IMDb train, the
//! model, then its scores on IMDb test and Yelp/dev and its labels for `Yelp/reviews.txt`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use dfdx::prelude::*;

use super::ablation::YelpRun;
use super::budget::YelpBudget;
use super::data::{RecipeSplits, YelpData};
use super::lexicon::{BatchTagger, tag_all, with_bag_prior};
use super::piece_filter::{agreeing_pieces, cross_fit_scorers, piece_scores, retain_kept};
use super::recipe::{YelpModel, YelpRecipe};
use super::score::{ScoringSets, SetEncoder, eval_batches, normalize_all};
use crate::data::augment::{epoch_sequences, sentence_pieces};
use crate::data::{
    Batch, DataLoader, LabeledSplit, LoaderConfig, LoaderError, Truncation, YelpStyleNormalizer,
};
use crate::nn::classifier::Classifier;
use crate::nn::config::{ModelConfig, ModelKind};
use crate::nn::ngram::NaiveBayes;
use crate::nn::pooling::Aggregation;
use crate::nn::valence::LEXICON_FEATURES;
use crate::study::prepare::train_tokenizer;
use crate::study::yelp_errors::YelpDevErrors;
use crate::tokenizer::Tokenizer;
use crate::train::checkpoint::{Checkpoint, load_weights};
use crate::train::{TrainConfig, TrainOutcome, Trainer};

/// A trained recipe: its scores and its labels for every `Yelp/reviews.txt` line.
pub struct FittedRecipe {
    pub run: YelpRun,
    /// 1 = positive, one per line of `Yelp/reviews.txt`.
    pub predictions: Vec<usize>,
    /// Where it goes wrong on Yelp/dev.
    pub dev_errors: YelpDevErrors,
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
    c.valence_channel = recipe.lexicon.valence_channel;
    c.lexicon_head = recipe.lexicon.head;
    c
}

/// What the model is fit on: whole normalized reviews or their sentence pieces (filtered when
/// the recipe says so), encoded, with the naive-Bayes ratios of the whole reviews when the
/// n-gram bag or the piece filter needs them.
struct TrainingSet {
    texts: Vec<String>,
    ids: Vec<Vec<u32>>,
    labels: Vec<usize>,
    /// Longest example in tokens.
    max_len: usize,
    naive_bayes: Option<NaiveBayes>,
}

impl TrainingSet {
    /// `reviews` are `train`'s texts after the recipe's normalizer.
    fn build(
        recipe: &YelpRecipe,
        budget: &YelpBudget,
        tok: &Tokenizer,
        train: &LabeledSplit,
        reviews: Vec<String>,
    ) -> Result<Self> {
        // The n-gram bag and the piece filter share naive-Bayes ratios over the whole
        // normalized training reviews, as the study counts them.
        let filter = recipe.sentence_pieces && recipe.piece_filter > 0.0;
        let buckets = ngram_buckets(budget);
        let (review_ids, naive_bayes) = if recipe.ngram_bag || filter {
            let ids = tok.encode_batch_for_model(&reviews, Some(budget.review_max_len))?;
            let nb = NaiveBayes::fit(&ids, &train.labels, tok.vocab_size(), buckets);
            (ids, Some(nb))
        } else {
            (Vec::new(), None)
        };
        let (texts, labels, review_of, max_len) = if recipe.sentence_pieces {
            let pieces = sentence_pieces(&train.texts, &train.labels, &recipe.normalizer());
            let (texts, labels, review) = (pieces.texts, pieces.labels, pieces.review);
            (texts, labels, review, budget.sentence_max_len)
        } else {
            let review = (0..train.len()).collect();
            (reviews, train.labels.clone(), review, budget.review_max_len)
        };
        let ids = tok.encode_batch_for_model(&texts, Some(max_len))?;
        let mut set = Self {
            texts,
            ids,
            labels,
            max_len,
            naive_bayes,
        };
        if let (true, Some(nb)) = (filter, &set.naive_bayes) {
            let cross;
            let scorers = if recipe.cross_fit_filter {
                cross = cross_fit_scorers(&review_ids, &train.labels, tok.vocab_size(), buckets);
                &cross[..]
            } else {
                std::slice::from_ref(nb)
            };
            let scores = piece_scores(scorers, &set.ids, &review_of);
            let keep = agreeing_pieces(&scores, &set.labels, recipe.piece_filter);
            retain_kept(&mut set.ids, &keep);
            retain_kept(&mut set.texts, &keep);
            retain_kept(&mut set.labels, &keep);
        }
        Ok(set)
    }
}

/// A trained model and what its training reported.
struct Trained {
    model: Classifier<f32, Cpu>,
    outcome: TrainOutcome,
    /// IMDb validation accuracy of the kept weights (best or last epoch).
    imdb_val: f32,
    train_seconds: f64,
}

/// The training settings of one recipe run.
struct Fit<'a> {
    recipe: &'a YelpRecipe,
    budget: &'a YelpBudget,
    tok: &'a Tokenizer,
    seed: u64,
    label: &'a str,
    /// The bag's starting ratios when they differ from the training set's (lexicon prior).
    bag_start: Option<&'a NaiveBayes>,
    /// Tags batches with valence when the model reads it.
    tagger: Option<&'a BatchTagger>,
    /// The lexicon head's starting coefficients (with the head on).
    head_start: Option<[f64; LEXICON_FEATURES]>,
}

impl Fit<'_> {
    /// Fits a fresh model on `set`, keeping the best validation epoch (or, without early
    /// stopping, the last).
    fn train(&self, set: &TrainingSet, val: &[Batch], scratch: &Path) -> Result<Trained> {
        let (budget, tok, seed) = (self.budget, self.tok, self.seed);
        let dev = Cpu::seed_from_u64(seed);
        let cfg = model_config(self.recipe, budget);
        let mut model = Classifier::<f32, Cpu>::new(&cfg, tok.vocab_size(), &dev)?;
        if let Some(nb) = self.bag_start.or(set.naive_bayes.as_ref()) {
            model.init_ngrams_from(nb);
        }
        if let Some(coefficients) = self.head_start {
            model.init_lexicon_head(coefficients);
        }
        let mut trainer = Trainer::new(TrainConfig {
            lr: budget.lr,
            batch_size: budget.batch_size,
            epochs: budget.epochs,
            clip_norm: Some(1.0),
            seed,
            ..TrainConfig::default()
        });
        trainer.quiet = true;
        trainer.label = self.label.to_string();
        if !self.recipe.early_stopping {
            // The checkpoint keeps the last epoch's weights next to the best ones.
            trainer.checkpoint = Some(Checkpoint::new(scratch));
        }
        let loader_config = LoaderConfig {
            batch_size: budget.batch_size,
            max_len: set.max_len,
            truncation: Truncation::Head,
            pad_id: tok.pad_id(),
            shuffle: true,
            bucket_batches: 50,
            seed,
        };
        let augmentation = self.recipe.augmentation();
        let epoch_batches = |epoch: usize| -> Result<Vec<Batch>, LoaderError> {
            let e = epoch as u64;
            let seqs = epoch_sequences(
                tok,
                &set.texts,
                &set.ids,
                &augmentation,
                set.max_len,
                seed,
                e,
            );
            let mut batches =
                DataLoader::new(&seqs, Some(&set.labels), loader_config.clone())?.epoch(e);
            tag_all(self.tagger, &mut batches);
            Ok(batches)
        };
        let t_train = Instant::now();
        let outcome = trainer.fit(&mut model, epoch_batches, val)?;
        let train_seconds = t_train.elapsed().as_secs_f64();
        let mut imdb_val = outcome.best_val_accuracy;
        if !self.recipe.early_stopping {
            load_weights(&mut model, &scratch.join("last.safetensors"))?;
            imdb_val = outcome.epochs.last().map_or(0.0, |e| e.val_accuracy);
            let _ = std::fs::remove_dir_all(scratch);
        }
        Ok(Trained {
            model,
            outcome,
            imdb_val,
            train_seconds,
        })
    }
}

/// What every seed of one recipe shares, built once: the tokenizer, the training examples,
/// the validation batches and the encoded scoring sets.
pub struct PreparedRecipe<'a> {
    recipe: &'a YelpRecipe,
    budget: &'a YelpBudget,
    tok: Tokenizer,
    set: TrainingSet,
    /// Tags batches with valence when the model reads it.
    tagger: Option<BatchTagger>,
    /// The bag's starting ratios when the lexicon prior changes them.
    bag_start: Option<NaiveBayes>,
    /// The lexicon head's starting coefficients, fit once on the training examples.
    head_start: Option<[f64; LEXICON_FEATURES]>,
    val_batches: Vec<Batch>,
    scoring: ScoringSets,
    /// Seconds the preparation took (part of every seed's total).
    seconds: f64,
}

impl<'a> PreparedRecipe<'a> {
    /// Prepares `recipe` at `budget`; with `sentence_scores`, IMDb test is also scored as the
    /// mean over each review's sentences (the ablation's diagnostic; `NaN` otherwise).
    pub fn new(
        recipe: &'a YelpRecipe,
        budget: &'a YelpBudget,
        data: &YelpData,
        sentence_scores: bool,
    ) -> Result<Self> {
        anyhow::ensure!(
            (0.0..1.0).contains(&recipe.piece_filter),
            "piece_filter is the fraction of sentence pieces to drop: expected 0 ≤ it < 1, got {}",
            recipe.piece_filter
        );
        let start = Instant::now();
        let norm = recipe.normalizer();
        let RecipeSplits { train, val, test } = data.recipe_splits(budget, recipe.more_imdb)?;
        let train_reviews = normalize_all(&norm, &train.texts);
        let tok = train_tokenizer(&train_reviews, budget.vocab_size)
            .context("training the IMDb tokenizer")?;
        let set = TrainingSet::build(recipe, budget, &tok, &train, train_reviews)?;
        let lexicon = if recipe.lexicon.any() {
            Some(data.lexicon()?)
        } else {
            None
        };
        let tagger = lexicon.and_then(|lex| BatchTagger::new(lex, &tok, &recipe.lexicon));
        let bag_start = match (lexicon, &set.naive_bayes) {
            (Some(lex), Some(nb)) if recipe.lexicon.bag_prior && recipe.ngram_bag => {
                Some(with_bag_prior(nb, &tok, lex).0)
            }
            _ => None,
        };
        let head_start = match &tagger {
            Some(tagger) if recipe.lexicon.head => Some(tagger.head_start(&set.ids, &set.labels)),
            _ => None,
        };
        let mut val_batches = validation_batches(&tok, &norm, &val, budget)?;
        tag_all(tagger.as_ref(), &mut val_batches);
        let encoder = SetEncoder {
            tok: &tok,
            budget,
            tagger: tagger.as_ref(),
        };
        let scoring = ScoringSets::new(&encoder, &norm, &test, data, sentence_scores)?;
        Ok(Self {
            recipe,
            budget,
            tok,
            set,
            tagger,
            bag_start,
            head_start,
            val_batches,
            scoring,
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    /// Trains the recipe with `seed` and scores it on IMDb test and Yelp/dev.
    pub fn fit(&self, seed: u64, label: &str) -> Result<FittedRecipe> {
        let start = Instant::now();
        let (recipe, budget) = (self.recipe, self.budget);
        let scratch = std::env::temp_dir().join(format!(
            "sentiment-rnn-yelp-{}-{seed}-{}",
            std::process::id(),
            start.elapsed().as_nanos()
        ));
        let fit = Fit {
            recipe,
            budget,
            tok: &self.tok,
            seed,
            label,
            bag_start: self.bag_start.as_ref(),
            head_start: self.head_start,
            tagger: self.tagger.as_ref(),
        };
        let trained = fit.train(&self.set, &self.val_batches, &scratch)?;
        let scores = self.scoring.score(&trained.model);
        let run = YelpRun {
            label: label.to_string(),
            switches: recipe.switches(),
            seed,
            yelp_dev: scores.yelp_dev,
            imdb_test: scores.imdb_test,
            imdb_test_sentences: scores.imdb_test_sentences,
            imdb_val: trained.imdb_val,
            best_epoch: if recipe.early_stopping {
                trained.outcome.best_epoch
            } else {
                budget.epochs
            },
            epochs: budget.epochs,
            train_examples: self.set.ids.len(),
            params: trained.model.num_params(),
            train_seconds: trained.train_seconds,
            total_seconds: self.seconds + start.elapsed().as_secs_f64(),
        };
        Ok(FittedRecipe {
            run,
            predictions: scores.predictions,
            dev_errors: scores.dev_errors,
        })
    }
}

/// Trains one recipe with one seed and scores it on IMDb test (whole reviews and sentence
/// means) and Yelp/dev.
pub fn fit_recipe(
    recipe: &YelpRecipe,
    budget: &YelpBudget,
    data: &YelpData,
    seed: u64,
    label: &str,
) -> Result<FittedRecipe> {
    PreparedRecipe::new(recipe, budget, data, true)?.fit(seed, label)
}

/// The IMDb validation reviews, normalized and encoded whole, in scoring batches.
fn validation_batches(
    tok: &Tokenizer,
    norm: &YelpStyleNormalizer,
    val: &LabeledSplit,
    budget: &YelpBudget,
) -> Result<Vec<Batch>> {
    let ids = tok.encode_batch_for_model(
        &normalize_all(norm, &val.texts),
        Some(budget.review_max_len),
    )?;
    eval_batches(
        &ids,
        Some(&val.labels),
        budget,
        budget.review_max_len,
        tok.pad_id(),
    )
}
