//! Question 1: the tokenizer's statistics and what truncation costs.

use std::fmt::Write as _;

use super::format::thousands;
use crate::study::results::{StudyResults, TokenizerStats};

/// A statistics table and one computed sentence, or "not run".
pub(super) fn tokenizer_section(out: &mut String, results: &StudyResults) {
    let Some(stats) = &results.tokenizer else {
        out.push_str("Not run in this invocation.\n\n");
        return;
    };
    statistics_table(out, stats);
    let unknown = if stats.unknown_rate == 0.0 {
        "no token is unknown (byte fallback covers every character)".to_string()
    } else {
        format!("{:.4}% of tokens are unknown", stats.unknown_rate * 100.0)
    };
    let _ = writeln!(
        out,
        "A review averages {:.1} tokens (median {}), and {unknown}. Truncating at {} tokens cuts {:.1}% of the training reviews{}.\n",
        stats.mean_tokens,
        stats.median_tokens,
        stats.max_len,
        stats.truncated_fraction * 100.0,
        if stats.truncated_fraction < 0.05 {
            ", so little text is lost"
        } else {
            "; the cut text is lost to every model"
        }
    );
}

fn statistics_table(out: &mut String, stats: &TokenizerStats) {
    out.push_str("| Statistic | Value |\n|---|---:|\n");
    let _ = writeln!(
        out,
        "| Vocabulary (pieces) | {} |",
        thousands(stats.vocab_size)
    );
    let _ = writeln!(out, "| Training reviews | {} |", thousands(stats.reviews));
    let _ = writeln!(
        out,
        "| Tokens per review: mean | {:.1} |",
        stats.mean_tokens
    );
    let _ = writeln!(
        out,
        "| Tokens per review: median / 95th percentile / max | {} / {} / {} |",
        stats.median_tokens, stats.p95_tokens, stats.max_tokens
    );
    let _ = writeln!(
        out,
        "| Unknown tokens (share of all tokens) | {:.4}% |",
        stats.unknown_rate * 100.0
    );
    let _ = writeln!(
        out,
        "| Reviews with an unknown token | {:.2}% |",
        stats.reviews_with_unknown * 100.0
    );
    let _ = writeln!(
        out,
        "| Reviews longer than max_len = {} | {:.2}% |",
        stats.max_len,
        stats.truncated_fraction * 100.0
    );
    let _ = writeln!(
        out,
        "| Tokenizer training time (s) | {:.1} |\n",
        stats.train_seconds
    );
}
