//! The recipe's use of the VADER sentiment lexicon (Hutto & Gilbert 2014, MIT), outside
//! knowledge built from neither IMDb nor Yelp: a valence channel beside the embeddings, a head
//! over text-level valence features, a lexicon prior in the n-gram bag's unigram scores, and
//! VADER's negation scope. Every part is a switch; the lexicon is never edited or extended.

use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::head_start::logistic_coefficients;

use crate::data::Batch;
use crate::data::lexicon::Lexicon;
use crate::data::valence::{PieceWords, ValenceTagger};
use crate::nn::ngram::NaiveBayes;
use crate::nn::valence::{LEXICON_FEATURES, text_features};
use crate::tokenizer::{META, Tokenizer};

/// The pseudo-count of the bag's lexicon prior: a word's lexicon valence weighs as much as
/// its naive-Bayes ratio over this many training reviews (the lexicon's ten raters, as ten
/// reviews), so the prior decides words IMDb barely uses and yields to frequent ones.
pub const BAG_PRIOR_PSEUDO_COUNT: f64 = 10.0;

/// Which parts of the lexicon the recipe uses (all off: no lexicon).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LexiconSwitches {
    /// Each token's valence (its word's, for a piece) as one more input next to its
    /// embedding.
    pub valence_channel: bool,
    /// Text-level valence features (mean positive and negative valence per token, mean
    /// valence of the rated tokens) through a linear map into the logits.
    pub head: bool,
    /// Start the n-gram bag's unigram scores from naive-Bayes ratios blended with the
    /// lexicon's valence (scaled to ratio units by a fit over IMDb's counts), so a word IMDb
    /// rarely uses starts from its human rating (only with the bag).
    pub bag_prior: bool,
    /// Flip and damp a word's valence within three words after a negation, as VADER does
    /// (only with the channel or the head).
    pub negation_scope: bool,
}

impl LexiconSwitches {
    /// Every part on.
    pub fn all() -> Self {
        Self {
            valence_channel: true,
            head: true,
            bag_prior: true,
            negation_scope: true,
        }
    }

    /// Whether the recipe reads the lexicon at all.
    pub fn any(&self) -> bool {
        self.reads_valence() || self.bag_prior
    }

    /// Whether batches carry per-token valence.
    pub fn reads_valence(&self) -> bool {
        self.valence_channel || self.head
    }

    /// Each part that acts, as (short name, words); negation acts only on read valence.
    fn acting(&self) -> impl Iterator<Item = (&'static str, &'static str)> {
        [
            (
                self.valence_channel,
                "chan",
                "a valence channel beside the embeddings",
            ),
            (
                self.head,
                "head",
                "a lexicon head over text-level valence features",
            ),
            (self.bag_prior, "prior", "a lexicon prior in the n-gram bag"),
            (
                self.negation_scope && self.reads_valence(),
                "neg",
                "VADER's negation scope",
            ),
        ]
        .into_iter()
        .filter_map(|(on, short, words)| on.then_some((short, words)))
    }

    /// The parts in use, in words (for the report).
    pub fn parts(&self) -> Vec<&'static str> {
        self.acting().map(|(_, words)| words).collect()
    }

    /// The switches for a recipe's one-line description: empty when off, else e.g.
    /// ` lex[chan head prior neg]`.
    pub fn describe(&self) -> String {
        let parts: Vec<&str> = self.acting().map(|(short, _)| short).collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(" lex[{}]", parts.join(" "))
        }
    }
}

/// Tags batches with per-token valence for one tokenizer.
pub(super) struct BatchTagger {
    pieces: PieceWords,
    tagger: ValenceTagger,
}

impl BatchTagger {
    /// A tagger for `tok`'s pieces, when the switches read valence.
    pub fn new(
        lexicon: &Arc<Lexicon>,
        tok: &Tokenizer,
        switches: &LexiconSwitches,
    ) -> Option<Self> {
        switches.reads_valence().then(|| Self {
            pieces: PieceWords::new(tok),
            tagger: ValenceTagger::new(lexicon.clone(), switches.negation_scope),
        })
    }

    /// Fills each batch's `valence`.
    pub fn tag(&self, batches: &mut [Batch]) {
        for batch in batches {
            self.pieces.tag_batch(&self.tagger, batch);
        }
    }

    /// Where the lexicon head starts: the logistic regression of `labels` on the lexicon
    /// features of the encoded training examples `ids`.
    pub fn head_start(&self, ids: &[Vec<u32>], labels: &[usize]) -> [f64; LEXICON_FEATURES] {
        let features: Vec<_> = ids
            .par_iter()
            .map(|ids| text_features(&self.pieces.valences(&self.tagger, ids)))
            .collect();
        logistic_coefficients(&features, labels)
    }
}

/// Tags `batches` when there is a tagger.
pub(super) fn tag_all(tagger: Option<&BatchTagger>, batches: &mut [Batch]) {
    if let Some(tagger) = tagger {
        tagger.tag(batches);
    }
}

/// The lexicon valence of each unigram row whose piece starts a word the lexicon rates:
/// `(token id, valence)`.
fn rated_pieces(tok: &Tokenizer, lexicon: &Lexicon) -> Vec<(usize, f64)> {
    (0..tok.vocab_size() as u32)
        .filter(|&id| !tok.is_special(id))
        .filter_map(|id| {
            let word = tok.id_to_token(id)?.strip_prefix(META)?;
            let valence = lexicon.valence(word)?;
            Some((id as usize, f64::from(valence)))
        })
        .collect()
}

/// The scale from valence to naive-Bayes ratio units: the least-squares slope of the ratios
/// on the valences of the rated rows, each weighted by the texts that hold it (0 when none).
pub(super) fn valence_scale(nb: &NaiveBayes, rated: &[(usize, f64)]) -> f64 {
    let (mut cross, mut square) = (0.0, 0.0);
    for &(row, valence) in rated {
        let n = nb.documents[row];
        cross += n * nb.ratios[row] * valence;
        square += n * valence * valence;
    }
    if square > 0.0 { cross / square } else { 0.0 }
}

/// The bag's starting ratios with the lexicon prior blended into the rated unigram rows
/// (see [`LexiconSwitches::bag_prior`]); returns them and the valence scale used.
pub(super) fn with_bag_prior(
    nb: &NaiveBayes,
    tok: &Tokenizer,
    lexicon: &Lexicon,
) -> (NaiveBayes, f64) {
    let rated = rated_pieces(tok, lexicon);
    let scale = valence_scale(nb, &rated);
    let priors: Vec<(usize, f64)> = rated.iter().map(|&(row, v)| (row, scale * v)).collect();
    let mut blended = nb.clone();
    blended.blend_prior(&priors, BAG_PRIOR_PSEUDO_COUNT);
    (blended, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_names_the_parts_in_use() {
        assert_eq!(LexiconSwitches::default().describe(), "");
        assert_eq!(
            LexiconSwitches::all().describe(),
            " lex[chan head prior neg]"
        );
        let prior_only = LexiconSwitches {
            bag_prior: true,
            negation_scope: true,
            ..LexiconSwitches::default()
        };
        // The negation scope acts on valences only.
        assert_eq!(prior_only.describe(), " lex[prior]");
        assert!(prior_only.any() && !prior_only.reads_valence());
    }

    #[test]
    fn the_valence_scale_is_the_count_weighted_slope() {
        let nb = NaiveBayes {
            vocab: 4,
            ratios: vec![0.0, 1.0, -0.5, 3.0],
            documents: vec![0.0, 4.0, 2.0, 0.0],
        };
        // Rows 1 and 2: Σ n r v = 4·1·2 + 2·(−0.5)·(−1) = 9, Σ n v² = 4·4 + 2·1 = 18.
        let scale = valence_scale(&nb, &[(1, 2.0), (2, -1.0), (3, 1.0)]);
        assert!((scale - 0.5).abs() < 1e-12);
        assert_eq!(valence_scale(&nb, &[(3, 1.0)]), 0.0);
    }
}
