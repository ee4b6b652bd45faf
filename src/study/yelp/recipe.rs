//! The recipe as data: each ingredient that might help the IMDb → Yelp transfer is a switch.

use serde::{Deserialize, Serialize};

use crate::data::YelpStyleNormalizer;
use crate::data::augment::Augmentation;

use super::lexicon::LexiconSwitches;

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
    /// 2 points below the best in-distribution model, more than the 1 point of IMDb accuracy
    /// the recipe may give up.
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
    /// Which parts of the VADER sentiment lexicon the model uses (all off: none).
    /// Measured with [`Self::chosen`]'s other switches and every part on (final budget, seeds
    /// 0, 1, 2, whole-review IMDb scoring): Yelp/dev 86.5 / 85.8 / 86.5% (without the lexicon
    /// 86.65 / 84.6 / 85.2%), IMDb test 91.6 / 91.3 / 91.3% (90.9 / 90.8 / 91.0), ~2.7 min a seed
    /// instead of ~1.5. [`Self::chosen`] turns every part on by its IMDb validation accuracy;
    /// the per-part ablation rows show the parts overlap (each alone removed costs little).
    #[serde(default)]
    pub lexicon: LexiconSwitches,
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
            lexicon: LexiconSwitches::default(),
        }
    }

    /// The recipe whose predictions are handed in: every ingredient on, with a BiLSTM, max
    /// pooling, the n-gram bag and the naive-Bayes filter dropping 10% of the pieces.
    /// Final budget, Yelp/dev / IMDb test % (seeds 0, 1): filter 0.1: 86.7/90.9, 84.6/90.8;
    /// 0.2: 85.7/90.4, 84.8/90.7; 0.3: 85.0/89.7, 85.0/90.4; 0.4 (seed 0): 83.8/89.4; no filter
    /// (seed 0): 83.2/91.5. Before the filter the bag moved IMDb test from 89.5% to 91.5% at
    /// the same Yelp/dev (83.55% → 83.2%); without the bag: BiLSTM max 84.7%, one-way LSTM
    /// final 84.0%, CNN max 81.8% on Yelp/dev (one seed each).
    /// With every VADER lexicon part on (seeds 0, 1, 2): IMDb validation 92.0 / 91.8 / 91.6%
    /// against 90.7 / 91.3 / 91.3% without, so the lexicon is in by an IMDb measure
    /// (Yelp/dev 86.5 / 85.8 / 86.5% against 86.7 / 84.6 / 85.2%).
    pub fn chosen() -> Self {
        Self {
            model: YelpModel::BiLstmMax,
            ngram_bag: true,
            piece_filter: 0.1,
            lexicon: LexiconSwitches::all(),
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
            lexicon: LexiconSwitches::default(),
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
            "norm{} sent{} {drop} {sw} {} es{}{}{}{}{}",
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
            },
            self.lexicon.describe()
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
