//! Question 5: the gate ablations, ranked and set against the literature.

use std::fmt::Write as _;

use super::format::{compare, points};
use crate::data::augment::Augmentation;
use crate::study::experiments::names;
use crate::study::format::pct;
use crate::study::results::{ModelSummary, StudyResults};

/// Lowest and highest ablation, the best one against the full LSTM, and the ranking.
pub(super) fn gates_conclusion(
    rows: &[ModelSummary],
    results: &StudyResults,
    all: &[ModelSummary],
) -> String {
    let full = all.iter().find(|summary| summary.model == names::LSTM);
    let mut sorted: Vec<&ModelSummary> = rows
        .iter()
        .filter(|summary| Some(summary.model.as_str()) != full.map(|f| f.model.as_str()))
        .collect();
    sorted.sort_by(|a, b| a.test.mean.total_cmp(&b.test.mean));
    let mut text = String::new();
    if let (Some(worst), Some(best)) = (sorted.first(), sorted.last()) {
        let _ = write!(
            text,
            "Of the three ablations, {} scores lowest ({}%) and {} highest ({}%).",
            worst.model,
            pct(worst.test.mean, 2),
            best.model,
            pct(best.test.mean, 2)
        );
        if let Some(full) = full {
            let _ = write!(
                text,
                " The full LSTM reaches {}%; the best ablation is {}.",
                pct(full.test.mean, 2),
                compare(best, full)
            );
            if best.test.mean > full.test.mean && gate_of(&best.model) == Some("forget") {
                forget_gate_note(&mut text, &results.meta.augment);
            }
        }
    }
    text.push_str(&literature_sentence(&sorted));
    text
}

/// Why a forget gate fixed at 1 can win when the models see short pieces of text.
fn forget_gate_note(text: &mut String, augment: &Augmentation) {
    if !augment.sentence_pieces {
        return;
    }
    let _ = write!(
        text,
        " A forget gate fixed at 1 (a cell that only adds up its inputs) cost nothing here. A likely \
         reason: the models are fit on pieces of {}, where there is little to forget, and a \
         running sum suits sentiment cues.",
        if augment.piece_words > 0 {
            format!("at most {} words", augment.piece_words)
        } else {
            "one sentence".to_string()
        }
    );
}

/// Which gate an ablation row fixes to 1, from its name.
fn gate_of(model: &str) -> Option<&'static str> {
    ["forget", "input", "output"]
        .into_iter()
        .find(|gate| model.contains(&format!("{gate} gate")))
}

/// Our gate ranking (most harmful ablation first) set against the literature: Jozefowicz et
/// al. (2015) found the forget gate extremely significant, the input gate important and the
/// output gate unimportant; Greff et al. (2017) found removing the forget gate (with the output
/// activation) the most harmful change, the input and output gates mattering less.
fn literature_sentence(worst_first: &[&ModelSummary]) -> String {
    let order: Vec<&str> = worst_first
        .iter()
        .filter_map(|summary| gate_of(&summary.model))
        .collect();
    if order.len() != 3 {
        return String::new();
    }
    let ours = format!("{} > {} > {}", order[0], order[1], order[2]);
    let verdict = if order == ["forget", "input", "output"] {
        "the same order as Jozefowicz et al. (2015), who found the forget gate extremely \
         significant, the input gate important and the output gate the least important, and in \
         line with Greff et al. (2017), where removing the forget gate was among the most harmful \
         changes while the input and output gates mattered less"
            .to_string()
    } else if order[0] == "forget" {
        format!(
            "the forget gate matters most, as in Jozefowicz et al. (2015) and Greff et al. (2017), \
             but our {} gate hurts more than the {} gate, the reverse of Jozefowicz et al.'s order \
             (input before output)",
            order[1], order[2]
        )
    } else {
        format!(
            "this differs from the literature: Jozefowicz et al. (2015) and Greff et al. (2017) \
             both found the forget gate the most important, here the {} gate is",
            order[0]
        )
    };
    format!(
        " Harm by fixed gate: {ours}; {verdict}.{}",
        ranking_caveat(worst_first)
    )
}

/// How far to trust the ranking: one seed, gaps within seed noise, or clear gaps.
fn ranking_caveat(worst_first: &[&ModelSummary]) -> String {
    let gap = |a: &ModelSummary, b: &ModelSummary| (b.test.mean - a.test.mean).abs();
    let noise = worst_first
        .iter()
        .map(|summary| summary.test.std)
        .fold(0.0_f64, f64::max);
    if worst_first.iter().any(|summary| summary.test.n < 2) {
        " With one seed per model the ranking's reliability is not measured.".to_string()
    } else if gap(worst_first[0], worst_first[1]).min(gap(worst_first[1], worst_first[2]))
        <= 2.0 * noise
    {
        format!(
            " Part of this ranking is within seed noise (largest std {}), so read it as tentative.",
            points(noise)
        )
    } else {
        " Every gap is more than twice the largest seed std.".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::results::MeanStd;

    fn summary(model: &str, mean: f64, std: f64, n: usize) -> ModelSummary {
        ModelSummary {
            model: model.to_string(),
            kind: "lstm".to_string(),
            params: 1,
            test: MeanStd { mean, std, n },
            val: MeanStd { mean, std, n },
            yelp_dev: MeanStd { mean, std, n },
            train_seconds: MeanStd {
                mean: 1.0,
                std: 0.0,
                n,
            },
            seconds_per_epoch: 1.0,
            runs: Vec::new(),
        }
    }

    #[test]
    fn gate_ranking_is_set_against_the_literature() {
        let f = summary("LSTM, forget gate = 1", 0.74, 0.01, 3);
        let i = summary("LSTM, input gate = 1", 0.78, 0.01, 3);
        let o = summary("LSTM, output gate = 1", 0.83, 0.01, 3);
        let s = literature_sentence(&[&f, &i, &o]);
        assert!(
            s.contains("forget > input > output; the same order as Jozefowicz"),
            "{s}"
        );
        assert!(
            s.ends_with("Every gap is more than twice the largest seed std."),
            "{s}"
        );
        let s = literature_sentence(&[&f, &o, &i]);
        assert!(
            s.contains("but our output gate hurts more than the input gate"),
            "{s}"
        );
        let s = literature_sentence(&[&i, &f, &o]);
        assert!(s.contains("differs from the literature"), "{s}");
        let noisy = summary("LSTM, input gate = 1", 0.745, 0.02, 3);
        let s = literature_sentence(&[&f, &noisy, &o]);
        assert!(s.contains("within seed noise"), "{s}");
        let one = summary("LSTM, input gate = 1", 0.78, 0.0, 1);
        assert!(literature_sentence(&[&f, &one, &o]).contains("not measured"));
    }
}
