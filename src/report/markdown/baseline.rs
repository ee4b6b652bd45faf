//! Question 9: the TF-IDF + logistic-regression baseline against the neural models.

use std::fmt::Write as _;

use super::format::{points, thousands};
use crate::study::experiments::names;
use crate::study::format::pct;
use crate::study::results::{MeanStd, ModelSummary, StudyResults};

/// The baseline's scores, the best neural model against it, and what the n-gram bag adds.
pub(super) fn baseline_section(out: &mut String, results: &StudyResults, all: &[ModelSummary]) {
    let Some((test, val, params)) = results.baseline_summary() else {
        out.push_str("Not run in this invocation.\n\n");
        return;
    };
    let _ = writeln!(
        out,
        "TF-IDF features with logistic regression ({} parameters) reach {}% test accuracy ({} validation).",
        thousands(params),
        test.percent(),
        val.percent()
    );
    if let Some(best) = all.iter().max_by(|a, b| a.val.mean.total_cmp(&b.val.mean)) {
        let difference = best.test.mean - test.mean;
        let _ = writeln!(
            out,
            "The neural model with the best validation accuracy, {}, is {} {} it on test ({}%).",
            best.model,
            points(difference),
            if difference >= 0.0 { "above" } else { "below" },
            pct(best.test.mean, 2)
        );
    }
    ngram_bag_sentence(out, &test, all);
    out.push('\n');
}

/// What the naive-Bayes-initialised n-gram bag adds to the BiLSTM, and where that leaves it.
fn ngram_bag_sentence(out: &mut String, baseline_test: &MeanStd, all: &[ModelSummary]) {
    let find = |name: &str| all.iter().find(|m| m.model == name);
    let (Some(bag), Some(plain)) = (find(names::bilstm::MAX_NGRAM), find(names::bilstm::MAX))
    else {
        return;
    };
    let difference = bag.test.mean - plain.test.mean;
    let _ = writeln!(
        out,
        "{} adds to the BiLSTM a bag of token unigrams and hashed bigrams whose class scores start \
         at their naive-Bayes log-count ratios on the training reviews (as in NBSVM, Wang & Manning 2012) \
         and train with the network; it moves the BiLSTM's test accuracy {} {} ({}% → {}%), \
         and ends {} {} the TF-IDF baseline.",
        bag.model,
        if difference >= 0.0 { "up" } else { "down" },
        points(difference),
        pct(plain.test.mean, 2),
        pct(bag.test.mean, 2),
        points(bag.test.mean - baseline_test.mean),
        if bag.test.mean >= baseline_test.mean {
            "above"
        } else {
            "below"
        },
    );
}
