//! The "Setup" section: how the study was run, on what data and hardware.

use std::fmt::Write as _;

use super::format::thousands;
use crate::study::results::{RunMeta, StudyResults};
use crate::train::Schedule;

/// The command, budget, optimiser, data, training examples and hardware of the run.
pub(super) fn setup_section(out: &mut String, results: &StudyResults) {
    let meta = &results.meta;
    out.push_str("## Setup\n\n");
    let _ = writeln!(out, "- Command: `{}`", meta.command);
    let _ = writeln!(
        out,
        "- Mode: {}; seeds {:?}; {} epochs per model (best epoch chosen on validation); batch size {}",
        if meta.quick {
            "quick (small subset and models, for smoke tests; numbers are not the study's)"
        } else {
            "full"
        },
        meta.seeds,
        meta.epochs,
        meta.batch_size
    );
    let _ = writeln!(
        out,
        "- Optimiser: Adam, learning rate {}{}, one shared setting for every model; gradient clipping at global norm {}",
        meta.lr,
        match meta.schedule {
            Schedule::Constant => "",
            Schedule::Linear => " decaying linearly to 0 over the run",
        },
        meta.clip_norm.map_or("off".to_string(), |c| c.to_string())
    );
    let _ = writeln!(
        out,
        "- Data: {} training, {} validation (split from the course training set, stratified), {} test reviews; reviews truncated to {} tokens",
        meta.train_reviews, meta.val_reviews, meta.test_reviews, meta.max_len
    );
    training_data_line(out, meta);
    hardware_line(out, results);
}

/// Machine and wall time, with a note when runs came from the cache.
fn hardware_line(out: &mut String, results: &StudyResults) {
    let meta = &results.meta;
    let _ = write!(
        out,
        "- Hardware: {}, {} threads; wall time {:.1} min",
        meta.cpu_model,
        meta.threads,
        meta.wall_seconds / 60.0
    );
    if meta.cached_runs > 0 {
        // Otherwise a regenerated report would pass off a cache read as the study's run time.
        let _ = write!(
            out,
            " ({} of {} runs loaded from the run cache; their train times are from the invocation that trained them)",
            meta.cached_runs,
            results.runs.len()
        );
    }
    out.push('\n');
}

/// What the models were fit on: whole reviews, or their sentences, and the per-epoch noise.
fn training_data_line(out: &mut String, meta: &RunMeta) {
    let augment = &meta.augment;
    let mut parts = Vec::new();
    if augment.sentence_pieces {
        let unit = if augment.piece_words > 0 {
            format!(
                "pieces of the training reviews (consecutive sentences joined up to {} words)",
                augment.piece_words
            )
        } else {
            "sentences of the training reviews".to_string()
        };
        parts.push(format!(
            "on the {} {unit}, each labeled with its review's label (validation and test still \
             score whole reviews)",
            thousands(meta.train_examples)
        ));
    } else {
        parts.push("on whole reviews".to_string());
    }
    if let Some(alpha) = augment.subword_alpha {
        parts.push(format!(
            "a new Unigram subword sample (α = {alpha}) of every example each epoch"
        ));
    }
    if augment.token_dropout > 0.0 {
        parts.push(format!(
            "{:.0}% of tokens replaced by `<unk>` each epoch",
            augment.token_dropout * 100.0
        ));
    }
    let _ = writeln!(out, "- Training: every model is fit {}", parts.join("; "));
}
