//! Question 8: how the handed-in IMDb-trained model transfers to Yelp, against the goal.

use std::fmt::Write as _;

use super::format::points;
use crate::study::format::pct;
use crate::study::results::{MeanStd, ModelSummary, StudyResults, YelpResult};
use crate::study::yelp_errors::YelpDevErrors;

/// Question 8's target accuracy on Yelp/dev.
const YELP_GOAL: f64 = 0.90;

/// The handed-in model and its domain gap, its seeds, the goal, and where it goes wrong.
pub(super) fn yelp_section(out: &mut String, results: &StudyResults, all: &[ModelSummary]) {
    let Some(yelp) = &results.yelp else {
        out.push_str("Not run in this invocation.\n\n");
        return;
    };
    handed_in_paragraph(out, yelp);
    if yelp.seed_runs.len() > 1 {
        seeds_paragraph(out, yelp);
    }
    // What the transfer costs in distribution: against the study's best IMDb model.
    if let Some(best) = all
        .iter()
        .max_by(|a, b| a.test.mean.total_cmp(&b.test.mean))
    {
        goal_paragraphs(out, yelp, best);
    }
    if let Some(errors) = &yelp.dev_errors {
        yelp_errors_paragraph(out, errors);
    }
}

/// Which model was handed in and why, its predictions, and its Yelp/dev against IMDb test.
fn handed_in_paragraph(out: &mut String, yelp: &YelpResult) {
    let gap = yelp.dev_accuracy as f64 - yelp.imdb_test_accuracy as f64;
    let compared: Vec<String> = yelp
        .compared
        .iter()
        .map(|(model, accuracy)| format!("{model}: {}%", pct(*accuracy as f64, 2)))
        .collect();
    let _ = writeln!(
        out,
        "No Yelp text enters any training, tokenizer or vocabulary. Every study model above labeled \
         `Yelp/reviews.txt` and was scored on the {} labeled Yelp/dev sentences (column \"Yelp/dev accuracy\"), and \
         this question also trains the IMDb→Yelp recipe (`study::yelp`, ablated below). The handed-in \
         `yelp_predictions.txt` comes from that recipe, one model at its seed with the best IMDb validation \
         accuracy (nothing is picked on Yelp): {} (seed {}){}. It has {} lines, {:.1}% predicted positive (the file is \
         half positive). It reaches {}% on Yelp/dev, {} {} its IMDb test accuracy of {}%: {}\n",
        yelp.dev_count,
        yelp.model,
        yelp.seed,
        if compared.is_empty() {
            String::new()
        } else {
            format!(
                "; for comparison, the study's best model on Yelp/dev, {}",
                compared.join("; ")
            )
        },
        yelp.predicted_lines,
        yelp.positive_fraction * 100.0,
        pct(yelp.dev_accuracy as f64, 2),
        points(gap),
        if gap < 0.0 { "below" } else { "above" },
        pct(yelp.imdb_test_accuracy as f64, 2),
        if gap < -0.01 {
            "short, lowercased restaurant sentences are a real domain shift from long movie reviews."
        } else {
            "the sentiment cues transfer well across the domains."
        }
    );
    if !yelp.lexicon_parts.is_empty() {
        let _ = writeln!(
            out,
            "**Outside knowledge.** The handed-in model reads the VADER sentiment lexicon (Hutto & Gilbert 2014, \
             MIT license; words rated by humans, built from neither IMDb nor Yelp, used unedited): {}. \
             The recipe without it is the \"− lexicon\" row of the ablation tables below.\n",
            yelp.lexicon_parts.join(", ")
        );
    }
}

/// The handed-in recipe's mean over its seeds: what a rerun should expect.
fn seeds_paragraph(out: &mut String, yelp: &YelpResult) {
    let column = |pick: fn(&(u64, f32, f32)) -> f32| {
        MeanStd::of(
            &yelp
                .seed_runs
                .iter()
                .map(|run| pick(run) as f64)
                .collect::<Vec<_>>(),
        )
    };
    let seeds: Vec<String> = yelp.seed_runs.iter().map(|run| run.0.to_string()).collect();
    let _ = writeln!(
        out,
        "Over its {} seeds ({}) the handed-in model's recipe reaches {}% on Yelp/dev and {}% on IMDb test; \
         the seed handed in is the one with the best IMDb validation accuracy (never picked on Yelp), so the mean \
         is the number to expect from a rerun.\n",
        yelp.seed_runs.len(),
        seeds.join(", "),
        column(|run| run.1).percent(),
        column(|run| run.2).percent()
    );
}

/// IMDb test against the study's best in-distribution model, then the goal: at least
/// `YELP_GOAL` on Yelp/dev with at most 1 point of IMDb test accuracy lost.
fn goal_paragraphs(out: &mut String, yelp: &YelpResult, best: &ModelSummary) {
    let gap = yelp.imdb_test_accuracy as f64 - best.test.mean;
    let _ = writeln!(
        out,
        "On IMDb test the handed-in model is {} {} the study's best in-distribution model, {} ({}% mean over seeds).\n",
        points(gap),
        if gap < 0.0 { "below" } else { "above" },
        best.model,
        pct(best.test.mean, 2)
    );
    let dev_short = YELP_GOAL - yelp.dev_accuracy as f64;
    let _ = writeln!(
        out,
        "Against the goal of {}% on Yelp/dev with at most 1 point of IMDb test accuracy lost: Yelp/dev {}, IMDb test {}.\n",
        pct(YELP_GOAL, 2),
        if dev_short <= 0.0 {
            "met".to_string()
        } else {
            format!("not met ({} short)", points(dev_short))
        },
        if gap >= -0.01 { "met" } else { "not met" }
    );
}

/// Where the handed-in model goes wrong on Yelp/dev: the two kinds of error, what the best
/// threshold on Yelp/dev itself would give (is the gap a calibration shift?), and accuracy by
/// sentence length.
fn yelp_errors_paragraph(out: &mut String, errors: &YelpDevErrors) {
    let gain = errors.oracle_accuracy as f64 - errors.accuracy() as f64;
    let harder = if errors.negative_recall() < errors.positive_recall() {
        "negative"
    } else {
        "positive"
    };
    let buckets: Vec<String> = errors
        .by_length
        .iter()
        .map(|bucket| {
            let range = if bucket.min_tokens == bucket.max_tokens {
                bucket.min_tokens.to_string()
            } else {
                format!("{}–{}", bucket.min_tokens, bucket.max_tokens)
            };
            format!(
                "{range} tokens {}% (n = {})",
                pct(bucket.accuracy as f64, 2),
                bucket.count
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "Where it goes wrong on Yelp/dev: {} errors, {} of the {} negative sentences labeled positive ({}% wrong) and {} of \
         the {} positive ones labeled negative ({}% wrong), so {harder} sentences are the harder class. The best decision \
         threshold chosen on Yelp/dev itself (positive when p > {:.2}; a diagnostic only: the handed-in labels use 0.5, \
         since a threshold picked on Yelp would fit Yelp) gives {}%, {} more: {}. By sentence length (whitespace \
         tokens): {}.\n",
        errors.false_positives + errors.false_negatives,
        errors.false_positives,
        errors.negatives,
        pct(1.0 - errors.negative_recall() as f64, 2),
        errors.false_negatives,
        errors.positives,
        pct(1.0 - errors.positive_recall() as f64, 2),
        errors.oracle_threshold,
        pct(errors.oracle_accuracy as f64, 2),
        points(gain),
        if gain < 0.01 {
            "the gap to the goal is not a shifted threshold between the domains but sentences the model reads the wrong way"
        } else {
            "part of the gap is a calibration shift between the domains"
        },
        buckets.join("; ")
    );
}
