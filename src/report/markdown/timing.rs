//! "Where the time went": the run's wall time by part, and each model's cost per seed.

use std::fmt::Write as _;

use crate::study::results::StudyResults;
use crate::study::timing::{ModelTime, TimeBreakdown};

/// The breakdown of the invocation that wrote `results.json`, or a line saying it has none.
pub(super) fn timing_section(out: &mut String, results: &StudyResults) {
    out.push_str("## Where the time went\n\n");
    let Some(timing) = &results.meta.timing else {
        out.push_str("This run recorded no time breakdown.\n\n");
        return;
    };
    let trained: Vec<&ModelTime> = timing.models.iter().filter(|m| !m.cached).collect();
    let _ = writeln!(
        out,
        "The invocation that wrote this report took {:.1} min before drawing it, on {} ({} threads), training {} of {} model runs \
         ({} at a time; a run keeps about 1.5 cores busy, so two side by side finish sooner, and each run's own \
         time includes sharing the cores):\n",
        // Not `timing.total_seconds`: that is completed after the report is written, and a
        // redrawn report must read the same.
        results.meta.wall_seconds / 60.0,
        results.meta.cpu_model,
        results.meta.threads,
        trained.len(),
        timing.models.len(),
        timing.jobs.max(1),
    );
    parts_table(out, timing, results.meta.wall_seconds);
    models_table(out, &trained);
}

/// Wall seconds of each part of the run.
fn parts_table(out: &mut String, timing: &TimeBreakdown, wall_seconds: f64) {
    let recipe_seeds: f64 = timing
        .yelp_recipe_runs
        .iter()
        .map(|r| r.total_seconds)
        .sum();
    out.push_str("| Part | Wall time (s) | Note |\n|---|---:|---|\n");
    let rows = [
        (
            "data preparation",
            timing.prepare_seconds,
            format!(
                "tokenizer {} in {:.1} s",
                if timing.tokenizer_cached {
                    "loaded"
                } else {
                    "trained"
                },
                timing.tokenizer_seconds
            ),
        ),
        (
            "model runs",
            timing.models_wall_seconds,
            format!("their own times add up to {:.1} s", timing.models_seconds()),
        ),
        ("TF-IDF baseline", timing.baseline_seconds, String::new()),
        (
            "IMDb→Yelp recipe",
            timing.yelp_recipe_seconds,
            format!(
                "{} seeds, their own times add up to {recipe_seeds:.1} s",
                timing.yelp_recipe_runs.len()
            ),
        ),
        ("total before the report", wall_seconds, String::new()),
    ];
    for (part, seconds, note) in rows {
        let _ = writeln!(out, "| {part} | {seconds:.1} | {note} |");
    }
    out.push('\n');
}

/// Per model, the mean over its trained seeds of each part of a run.
fn models_table(out: &mut String, trained: &[&ModelTime]) {
    if trained.is_empty() {
        out.push_str("Every model run came from the run cache.\n\n");
        return;
    }
    out.push_str(
        "Per model, mean over its seeds (seconds unless marked):\n\n\
         | Model | Seeds | Steps | ms / step | Batches | Steps | Validation | Scoring | Run |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let mut names: Vec<&str> = Vec::new();
    for m in trained {
        if !names.contains(&m.model.as_str()) {
            names.push(&m.model);
        }
    }
    for name in names {
        let runs: Vec<&&ModelTime> = trained.iter().filter(|m| m.model == name).collect();
        let mean = |part: fn(&ModelTime) -> f64| {
            runs.iter().map(|m| part(m)).sum::<f64>() / runs.len() as f64
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} |",
            runs.len(),
            mean(|m| m.steps as f64),
            mean(ModelTime::ms_per_step),
            mean(|m| m.batch_seconds),
            mean(|m| m.step_seconds),
            mean(|m| m.validation_seconds),
            mean(|m| m.eval_seconds),
            mean(|m| m.total_seconds),
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::results::StudyResults;

    fn model(name: &str, seed: u64, step_seconds: f64, cached: bool) -> ModelTime {
        ModelTime {
            model: name.into(),
            seed,
            cached,
            steps: 100,
            step_seconds,
            total_seconds: step_seconds + 5.0,
            ..ModelTime::default()
        }
    }

    #[test]
    fn models_are_averaged_over_their_trained_seeds() {
        let mut results = StudyResults::default();
        results.meta.timing = Some(TimeBreakdown {
            models: vec![
                model("LSTM", 0, 10.0, false),
                model("LSTM", 1, 20.0, false),
                model("CNN", 0, 1.0, true),
            ],
            models_wall_seconds: 30.0,
            jobs: 2,
            total_seconds: 125.0,
            ..TimeBreakdown::default()
        });
        results.meta.wall_seconds = 120.0;
        let mut out = String::new();
        timing_section(&mut out, &results);
        assert!(out.contains("took 2.0 min"), "{out}");
        assert!(
            out.contains("training 2 of 3 model runs (2 at a time"),
            "{out}"
        );
        // (10 + 20) / 2 s over 100 steps: 150 ms a step; runs of 15 + 5 s.
        assert!(
            out.contains("| LSTM | 2 | 100 | 150.0 | 0.0 | 15.0 | 0.0 | 0.0 | 20.0 |"),
            "{out}"
        );
        assert!(!out.contains("| CNN |"), "a cached run has no cost: {out}");
        assert!(
            out.contains("| model runs | 30.0 | their own times add up to 46.0 s |"),
            "{out}"
        );
    }

    #[test]
    fn a_run_without_a_breakdown_says_so() {
        let mut out = String::new();
        timing_section(&mut out, &StudyResults::default());
        assert!(out.contains("no time breakdown"));
    }
}
