//! The texts a recipe reads (IMDb for training and testing, Yelp only for scoring and
//! labeling) and the subsets a budget takes of them.

use std::sync::Arc;

use anyhow::{Context, Result};

use super::budget::YelpBudget;
use crate::data::lexicon::{Lexicon, load_vader};
use crate::data::{Corpus, DataRoot, LabeledSplit, stratified_split};

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
    /// The VADER sentiment lexicon, for recipes that use it (loaded by
    /// [`Self::with_lexicon`]).
    pub lexicon: Option<Arc<Lexicon>>,
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
            lexicon: None,
        })
    }

    /// Also reads the VADER lexicon for `root` (downloading it when missing).
    pub fn with_lexicon(mut self, root: &DataRoot) -> Result<Self> {
        self.lexicon = Some(Arc::new(load_vader(root)?));
        Ok(self)
    }

    /// The lexicon, or an error saying it was not loaded.
    pub fn lexicon(&self) -> Result<&Arc<Lexicon>> {
        self.lexicon.as_ref().context(
            "the recipe uses the sentiment lexicon, but it was not loaded \
             (YelpData::with_lexicon; expected lexicons/vader/vader_lexicon.txt)",
        )
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

    /// The IMDb reviews a run with `budget` trains, validates and is tested on. The
    /// validation split is the same for every recipe and seed; with `more_imdb` (and a budget
    /// that uses all reviews) the rest of the aclImdb corpus joins the training reviews.
    pub fn recipe_splits(&self, budget: &YelpBudget, more_imdb: bool) -> Result<RecipeSplits> {
        let split = stratified_split(&self.imdb_train.labels, budget.valid_fraction, 0);
        let train_idx = balanced(&self.imdb_train, &split.train, budget.train_reviews / 2);
        let val_idx = spread(&split.valid, budget.valid_reviews);
        let mut train = self.imdb_train.subset(&train_idx);
        let val = self.imdb_train.subset(&val_idx);
        let test_idx = spread(
            &(0..self.imdb_test.len()).collect::<Vec<_>>(),
            budget.test_reviews,
        );
        let test = self.imdb_test.subset(&test_idx);
        if more_imdb && budget.train_reviews == 0 {
            // Every validation review is excluded, not only the scored ones.
            let all_val = self.imdb_train.subset(&split.valid);
            let extra = self.extra_imdb(&[&self.imdb_test, &all_val])?;
            train.texts.extend(extra.texts);
            train.labels.extend(extra.labels);
        }
        Ok(RecipeSplits { train, val, test })
    }
}

/// The IMDb reviews of one run.
pub struct RecipeSplits {
    pub train: LabeledSplit,
    /// Scored after each epoch (early stopping).
    pub val: LabeledSplit,
    pub test: LabeledSplit,
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

#[cfg(test)]
mod tests {
    use super::*;

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
            lexicon: None,
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
}
