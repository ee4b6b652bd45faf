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

mod ablation;
mod budget;
mod data;
mod fit;
mod head_start;
mod lexicon;
mod piece_filter;
mod recipe;
mod run;
mod score;

pub use ablation::{
    YelpRun, ablation_markdown, ablation_recipes, fit_anchor, read_ablation_csv, write_ablation_csv,
};
pub use budget::YelpBudget;
pub use data::YelpData;
pub use fit::{FittedRecipe, PreparedRecipe, fit_recipe};
pub use lexicon::{BAG_PRIOR_PSEUDO_COUNT, LexiconSwitches};
pub use recipe::{YelpModel, YelpRecipe};
pub use run::{YelpOutcome, YelpStudyOptions, run_yelp_study, write_predictions};
