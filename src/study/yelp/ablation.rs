//! The ablation: every ingredient switched off alone, the TF-IDF anchor, and the table and CSV
//! of their runs.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::budget::YelpBudget;
use super::data::{RecipeSplits, YelpData};
use super::recipe::{YelpModel, YelpRecipe};
use crate::data::lexicon::Lexicon;
use crate::data::valence::ValenceTagger;
use crate::study::baseline::{BaselineConfig, TfidfLogReg};
use crate::study::format;
use crate::train::metrics::{read_csv, write_csv};

/// One finished run of one recipe; its serde form is a row of the ablation CSV (accuracies
/// as fractions with 4 decimals, empty when not measured; seconds with 1 decimal).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct YelpRun {
    /// Which ablation row this is (`full`, `- sentence pieces`, ...).
    pub label: String,
    pub switches: String,
    pub seed: u64,
    /// Accuracy on the 2000 labeled Yelp/dev sentences.
    #[serde(with = "fraction")]
    pub yelp_dev: f32,
    /// IMDb test accuracy, each review scored whole.
    #[serde(with = "fraction")]
    pub imdb_test: f32,
    /// IMDb test accuracy, a review's score the mean of its sentences' probabilities.
    #[serde(with = "fraction")]
    pub imdb_test_sentences: f32,
    /// Best (or last) IMDb validation accuracy.
    #[serde(with = "fraction")]
    pub imdb_val: f32,
    pub best_epoch: usize,
    pub epochs: usize,
    /// Training examples (sentences or reviews).
    pub train_examples: usize,
    pub params: usize,
    #[serde(with = "tenths")]
    pub train_seconds: f64,
    /// Tokenizer training, encoding, training and scoring.
    #[serde(with = "tenths")]
    pub total_seconds: f64,
}

/// The TF-IDF + logistic regression anchor, trained on the same IMDb reviews; with
/// `lexicon`, each text's three lexicon features (with VADER's negation scope) join its
/// TF-IDF features.
pub fn fit_anchor(
    budget: &YelpBudget,
    data: &YelpData,
    lexicon: Option<&Arc<Lexicon>>,
) -> Result<YelpRun> {
    let start = Instant::now();
    let RecipeSplits { train, test, .. } = data.recipe_splits(budget, false)?;
    let tagger = lexicon.map(|lex| ValenceTagger::new(lex.clone(), true));
    let config = BaselineConfig::default();
    let lr = TfidfLogReg::fit_with_lexicon(&train.texts, &train.labels, &config, tagger)?;
    let train_seconds = start.elapsed().as_secs_f64();
    let with = if lexicon.is_some() {
        " + lexicon features"
    } else {
        ""
    };
    Ok(YelpRun {
        label: format!("TF-IDF LR anchor{with} [{}]", budget.describe_reviews()),
        switches: format!(
            "norm+ uni+bigrams{}",
            if with.is_empty() { "" } else { " lex[neg]" }
        ),
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
    let lexicon = &full.lexicon;
    if lexicon.any() {
        off("lexicon", &|r| r.lexicon = Default::default());
        // Each part alone, where more than one acts (else "− lexicon" is that row).
        let with_bag_prior = lexicon.bag_prior && full.ngram_bag;
        let with_negation = lexicon.negation_scope && lexicon.reads_valence();
        let acting = [
            lexicon.valence_channel,
            lexicon.head,
            with_bag_prior,
            with_negation,
        ];
        if acting.iter().filter(|&&on| on).count() > 1 {
            if lexicon.valence_channel {
                off("valence channel", &|r| r.lexicon.valence_channel = false);
            }
            if lexicon.head {
                off("lexicon head", &|r| r.lexicon.head = false);
            }
            if with_bag_prior {
                off("lexicon prior in the bag", &|r| r.lexicon.bag_prior = false);
            }
            if with_negation {
                off("negation scope", &|r| r.lexicon.negation_scope = false);
            }
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

/// A percentage with one decimal, `–` when not measured.
fn pct(x: f32) -> String {
    if x.is_finite() {
        format::pct(x, 1)
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

/// Writes the runs as CSV, one row per run.
pub fn write_ablation_csv(path: &Path, runs: &[YelpRun]) -> Result<()> {
    write_csv(path, runs)
}

/// Reads a CSV written by [`write_ablation_csv`] (columns it lacks get their defaults: NaN
/// accuracies, zero counts).
pub fn read_ablation_csv(path: &Path) -> Result<Vec<YelpRun>> {
    read_csv(path)
}

impl Default for YelpRun {
    fn default() -> Self {
        Self {
            label: String::new(),
            switches: String::new(),
            seed: 0,
            yelp_dev: f32::NAN,
            imdb_test: f32::NAN,
            imdb_test_sentences: f32::NAN,
            imdb_val: f32::NAN,
            best_epoch: 0,
            epochs: 0,
            train_examples: 0,
            params: 0,
            train_seconds: f64::NAN,
            total_seconds: f64::NAN,
        }
    }
}

/// An accuracy in the CSV: a fraction with 4 decimals, empty when not measured (NaN).
mod fraction {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f32, out: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            out.serialize_str(&format!("{x:.4}"))
        } else {
            out.serialize_str("")
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<f32, D::Error> {
        let text = String::deserialize(input)?;
        if text.trim().is_empty() {
            return Ok(f32::NAN);
        }
        text.trim().parse().map_err(serde::de::Error::custom)
    }
}

/// Seconds in the CSV, with 1 decimal.
mod tenths {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, out: S) -> Result<S::Ok, S::Error> {
        out.serialize_str(&format!("{x:.1}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(input: D) -> Result<f64, D::Error> {
        let text = String::deserialize(input)?;
        if text.trim().is_empty() {
            return Ok(f64::NAN);
        }
        text.trim().parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_keeps_four_decimals_and_reads_back() {
        let run = YelpRun {
            label: "full recipe [all reviews, 96-dim, 3 ep]".into(),
            switches: "norm+ sent+".into(),
            seed: 2,
            yelp_dev: 0.81349,
            imdb_test: 0.9,
            imdb_test_sentences: f32::NAN,
            imdb_val: 0.8765,
            best_epoch: 2,
            epochs: 3,
            train_examples: 12678,
            params: 2675458,
            train_seconds: 19.74,
            total_seconds: 23.66,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ablation.csv");
        write_ablation_csv(&path, std::slice::from_ref(&run)).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.lines().nth(1).unwrap(),
            "\"full recipe [all reviews, 96-dim, 3 ep]\",norm+ sent+,2,0.8135,0.9000,,0.8765,2,3,12678,2675458,19.7,23.7"
        );
        let back = &read_ablation_csv(&path).unwrap()[0];
        assert_eq!(back.yelp_dev, 0.8135);
        assert!(back.imdb_test_sentences.is_nan());
        assert_eq!(
            (back.seed, back.params, back.train_seconds),
            (2, 2675458, 19.7)
        );
    }
}
