//! Questions 2–7: the model tables and the sentences that compare their rows.

use std::fmt::Write as _;

use super::format::{compare, percent_or_dash, points, thousands};
use super::gates::gates_conclusion;
use crate::study::experiments::{Question, names};
use crate::study::format::pct;
use crate::study::results::{MeanStd, ModelSummary, StudyResults};

/// The baseline's row of the model table: test, validation, parameters and Yelp/dev.
pub(super) type BaselineRow = (MeanStd, MeanStd, usize, MeanStd);

/// One row per model, then the baseline's row if given.
pub(super) fn table(out: &mut String, rows: &[ModelSummary], baseline: Option<BaselineRow>) {
    out.push_str(
        "| Model | Parameters | Test accuracy (%) | Validation accuracy (%) | Yelp/dev accuracy (%) | Train time (s) | s / epoch |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
    );
    for summary in rows {
        table_row(out, summary);
    }
    if let Some((test, val, params, yelp_dev)) = baseline {
        let _ = writeln!(
            out,
            "| TF-IDF + logistic regression | {} | {} | {} | {} | – | – |",
            thousands(params),
            test.percent(),
            val.percent(),
            percent_or_dash(&yelp_dev)
        );
    }
    out.push('\n');
}

fn table_row(out: &mut String, summary: &ModelSummary) {
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {:.1} | {:.1} |",
        summary.model,
        thousands(summary.params),
        summary.test.percent(),
        summary.val.percent(),
        percent_or_dash(&summary.yelp_dev),
        summary.train_seconds.mean,
        summary.seconds_per_epoch
    );
}

/// The computed conclusion under a question's table; `rows` is that table, non-empty.
pub(super) fn conclusion(
    question: Question,
    rows: &[ModelSummary],
    results: &StudyResults,
    all: &[ModelSummary],
) -> String {
    match question {
        Question::Cnn => cnn_conclusion(&rows[0], results),
        Question::Rnn | Question::Lstm => recurrent_conclusion(question, rows, results),
        Question::Gates => gates_conclusion(rows, results, all),
        Question::Layers | Question::Bidirectional => size_conclusion(rows),
        _ => String::new(),
    }
}

/// The CNN's accuracy, size and speed, and its distance to the TF-IDF baseline.
fn cnn_conclusion(cnn: &ModelSummary, results: &StudyResults) -> String {
    let mut text = format!(
        "The CNN reaches {}% test accuracy ({} over {} seed(s)) with {} parameters, training at {:.1} s per epoch.",
        pct(cnn.test.mean, 2),
        cnn.test.percent(),
        cnn.test.n,
        thousands(cnn.params),
        cnn.seconds_per_epoch
    );
    if let Some((baseline, _, _)) = results.baseline_summary() {
        let difference = cnn.test.mean - baseline.mean;
        let _ = write!(
            text,
            " That is {} {} the TF-IDF baseline.",
            points(difference),
            if difference >= 0.0 { "above" } else { "below" }
        );
    }
    text
}

/// The first row against every other; for the RNN question also how the gradient decays.
fn recurrent_conclusion(
    question: Question,
    rows: &[ModelSummary],
    results: &StudyResults,
) -> String {
    let first = &rows[0];
    let mut text = format!(
        "The {} reaches {} % test accuracy.",
        first.model,
        first.test.percent()
    );
    for other in rows.iter().skip(1) {
        let _ = write!(text, " It is {}.", compare(first, other));
    }
    if question == Question::Rnn
        && let Some(flow) = grad_flow_sentence(results)
    {
        text.push(' ');
        text.push_str(&flow);
    }
    text
}

/// Depth and direction: the best row against the others, with the parameter ratio.
fn size_conclusion(rows: &[ModelSummary]) -> String {
    let mut sorted: Vec<&ModelSummary> = rows.iter().collect();
    sorted.sort_by(|a, b| b.test.mean.total_cmp(&a.test.mean));
    let best = sorted[0];
    let mut text = format!(
        "The best here is {} with {}% test accuracy and {} parameters.",
        best.model,
        pct(best.test.mean, 2),
        thousands(best.params)
    );
    for other in sorted.iter().skip(1) {
        let ratio = best.params as f64 / other.params.max(1) as f64;
        let _ = write!(
            text,
            " It is {} ({:.2}× the parameters).",
            compare(best, other),
            ratio
        );
    }
    text
}

/// Mean over a model's seeds of its ‖∂L/∂h_t‖ by distance, cut to the shortest run.
fn mean_grad_flow(results: &StudyResults, model: &str) -> Option<Vec<f64>> {
    let runs: Vec<&Vec<f32>> = results
        .runs
        .iter()
        .filter(|run| run.model == model && !run.grad_flow.is_empty())
        .map(|run| &run.grad_flow)
        .collect();
    let len = runs.iter().map(|flow| flow.len()).min()?;
    Some(
        (0..len)
            .map(|i| runs.iter().map(|flow| flow[i] as f64).sum::<f64>() / runs.len() as f64)
            .collect(),
    )
}

/// Sentence on how fast ‖∂L/∂h_t‖ decays for RNN vs LSTM at the farthest common distance.
fn grad_flow_sentence(results: &StudyResults) -> Option<String> {
    let rnn = mean_grad_flow(results, names::RNN)?;
    let lstm = mean_grad_flow(results, names::LSTM)?;
    let d = rnn.len().min(lstm.len()).checked_sub(1)?;
    if d == 0 || rnn[0] <= 0.0 || lstm[0] <= 0.0 {
        return None;
    }
    let decay = |flow: &[f64]| (flow[d] / flow[0]).max(f64::MIN_POSITIVE);
    let (a, b) = (decay(&rnn), decay(&lstm));
    let who = if a < b {
        "the RNN's gradient vanishes faster"
    } else {
        "the LSTM's gradient decays at least as fast as the RNN's"
    };
    Some(format!(
        "{d} tokens before the end, the RNN's ‖∂L/∂hₜ‖ is {a:.2e} of its value at the last token and the LSTM's {b:.2e}: {who}."
    ))
}

/// Test accuracy by review-length bucket, mean over seeds, and how it moves with length.
pub(super) fn length_table(out: &mut String, results: &StudyResults, rows: &[ModelSummary]) {
    let with: Vec<&ModelSummary> = rows
        .iter()
        .filter(|summary| {
            summary
                .runs
                .iter()
                .any(|run| !run.length_buckets.is_empty())
        })
        .collect();
    let Some(first) = with.first() else { return };
    let Some(run) = first.runs.iter().find(|run| !run.length_buckets.is_empty()) else {
        return;
    };
    let buckets = run.length_buckets.len();
    out.push_str("Test accuracy (%) by review length, mean over seeds:\n\n| Model |");
    for bucket in &run.length_buckets {
        let _ = write!(
            out,
            " {}–{} tokens (n={}) |",
            bucket.min_tokens, bucket.max_tokens, bucket.count
        );
    }
    out.push_str("\n|---|");
    out.push_str(&"---:|".repeat(buckets));
    out.push('\n');
    let mut sentences = Vec::new();
    for summary in &with {
        let means = bucket_means(results, &summary.model, buckets);
        let _ = write!(out, "| {} |", summary.model);
        for mean in &means {
            let _ = write!(out, " {} |", pct(*mean, 2));
        }
        out.push('\n');
        if let (Some(shortest), Some(longest)) = (means.first(), means.last()) {
            let verb = if longest < shortest { "falls" } else { "rises" };
            sentences.push(format!(
                "{} {verb} from {}% on the shortest to {}% on the longest reviews",
                summary.model,
                pct(*shortest, 2),
                pct(*longest, 2)
            ));
        }
    }
    let _ = writeln!(out, "\nAccuracy by length: {}.\n", sentences.join("; "));
}

/// Each bucket's accuracy averaged over the model's runs that have `buckets` buckets.
fn bucket_means(results: &StudyResults, model: &str, buckets: usize) -> Vec<f64> {
    let runs: Vec<_> = results
        .runs
        .iter()
        .filter(|run| run.model == model && run.length_buckets.len() == buckets)
        .collect();
    (0..buckets)
        .map(|i| {
            runs.iter()
                .map(|run| run.length_buckets[i].accuracy as f64)
                .sum::<f64>()
                / runs.len().max(1) as f64
        })
        .collect()
}
