//! The benchmark side files (`bench_tokenizer.json`, `bench_models.json`) as tables.

use std::fmt::Write as _;

use serde_json::Value;

use super::ReportInputs;

/// The tokenizer benchmark, then the model benchmark (its own table when it has the
/// `models` array `scripts/bench-models.sh` writes, else the generic one).
pub(super) fn bench_sections(out: &mut String, inputs: &ReportInputs) {
    bench_section(
        out,
        "Tokenizer benchmark",
        "bench_tokenizer.json",
        inputs.bench_tokenizer.as_ref(),
    );
    match inputs.bench_models.as_ref() {
        Some(bench) if bench.get("models").is_some_and(Value::is_array) => {
            model_bench_section(out, bench)
        }
        other => bench_section(out, "Model benchmark", "bench_models.json", other),
    }
}

/// A scalar JSON value as a table cell (`None` for arrays and objects).
fn scalar_cell(value: &Value) -> Option<String> {
    Some(match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.as_f64().map_or(number.to_string(), |f| {
            if f.fract() == 0.0 {
                format!("{f}")
            } else {
                format!("{f:.3}")
            }
        }),
        Value::Bool(flag) => flag.to_string(),
        Value::Null => "–".into(),
        _ => return None,
    })
}

/// Rows that are objects of scalars, as a table (columns in first-seen order).
fn object_table(out: &mut String, rows: &[Value]) {
    let mut keys: Vec<&String> = Vec::new();
    for row in rows.iter().filter_map(Value::as_object) {
        for (key, value) in row {
            if scalar_cell(value).is_some() && !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let names: Vec<&str> = keys.iter().map(|key| key.as_str()).collect();
    let _ = writeln!(out, "| {} |", names.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(keys.len()));
    for row in rows {
        let cells: Vec<String> = keys
            .iter()
            .map(|key| row.get(*key).and_then(scalar_cell).unwrap_or_default())
            .collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out.push('\n');
}

/// Renders a benchmark JSON: its scalar fields as a key/value table and every array of
/// objects as its own table; deeper nesting stays in the file.
fn bench_section(out: &mut String, title: &str, file: &str, bench: Option<&Value>) {
    let Some(bench) = bench else { return };
    let _ = writeln!(out, "## {title}\n\nFrom `{file}`.\n");
    let is_rows = |items: &Vec<Value>| !items.is_empty() && items.iter().all(Value::is_object);
    match bench {
        Value::Array(items) if is_rows(items) => object_table(out, items),
        Value::Object(fields) => {
            let scalars: Vec<(&String, String)> = fields
                .iter()
                .filter_map(|(key, value)| scalar_cell(value).map(|cell| (key, cell)))
                .collect();
            if !scalars.is_empty() {
                out.push_str("| Key | Value |\n|---|---|\n");
                for (key, cell) in scalars {
                    let _ = writeln!(out, "| {key} | {cell} |");
                }
                out.push('\n');
            }
            for (key, value) in fields {
                if let Value::Array(items) = value
                    && is_rows(items)
                {
                    let _ = writeln!(out, "`{key}`:\n");
                    object_table(out, items);
                }
            }
        }
        _ => {}
    }
}

/// The training-step benchmark (`bench_models.json`, written by `scripts/bench-models.sh`):
/// ours beside PyTorch's fused CPU kernels measured in the same runs.
fn model_bench_section(out: &mut String, bench: &Value) {
    let number = |value: &Value, key: &str| value.get(key).and_then(Value::as_f64);
    let shape = bench.get("shape").cloned().unwrap_or_default();
    let dim = |key: &str| number(&shape, key).map_or("?".to_string(), |x| format!("{x}"));
    let field =
        |key: &str, missing: &str| bench.get(key).map_or(missing.to_string(), Value::to_string);
    let _ = writeln!(
        out,
        "## Model benchmark\n\nOne training step (forward, cross-entropy, backward, Adam) at batch {} × {} tokens, vocabulary {}, embedding {} and hidden {}, on {} threads: the median of {} interleaved runs of `scripts/bench-models.sh` (each the median of {} steps), beside {} (`bench_models.json`).\n",
        dim("batch"),
        dim("seq_len"),
        dim("vocab"),
        dim("embed"),
        dim("hidden"),
        field("threads", "?"),
        field("runs", "1"),
        field("steps", "?"),
        bench
            .get("anchor")
            .and_then(Value::as_str)
            .unwrap_or("no anchor")
    );
    if let (Some(cpu), Some(isa)) = (
        bench.get("cpu_model").and_then(Value::as_str),
        bench.get("isa").and_then(Value::as_str),
    ) {
        let _ = writeln!(out, "CPU: {cpu}; our kernels' instruction set: {isa}.\n");
    }
    out.push_str(
        "Median and min are per training step; median / min is the stability figure (1.00: every step took the same time).\n\n\
         | Model | Ours median (ms) | Ours min (ms) | Ours median / min | PyTorch median (ms) | PyTorch min (ms) | PyTorch median / min | Ours / PyTorch | Tokens / s | Peak RSS (MB) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    let cell =
        |x: Option<f64>, digits: usize| x.map_or("–".to_string(), |x| format!("{x:.digits$}"));
    for model in bench["models"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            model.get("name").and_then(Value::as_str).unwrap_or("?"),
            cell(number(model, "ms_per_step"), 1),
            cell(number(model, "min_ms"), 1),
            cell(number(model, "stability"), 2),
            cell(number(model, "torch_ms_per_step"), 1),
            cell(number(model, "torch_min_ms"), 1),
            cell(number(model, "torch_stability"), 2),
            cell(number(model, "ratio_vs_torch"), 2),
            cell(number(model, "tokens_per_s"), 0),
            cell(number(model, "peak_rss_mb"), 0),
        );
    }
    if let Some(ratio) = number(bench, "lstm_over_reference") {
        let _ = writeln!(
            out,
            "\nThe fused LSTM takes {ratio:.2}× the wall time of the op-by-op dfdx reference ({} ms / step) in the same run. Absolute times on this shared machine move by 25–40% from run to run; the ratios are the comparable numbers.",
            cell(number(bench, "lstm_reference_ms_per_step"), 1)
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_benchmark_gets_its_own_table() {
        let v = serde_json::json!({
            "models": [
                {"name": "lstm", "ms_per_step": 190.8, "min_ms": 180.0, "stability": 1.06, "torch_ms_per_step": 330.15, "torch_min_ms": 300.0, "torch_stability": 1.1, "ratio_vs_torch": 0.579, "tokens_per_s": 85872.0, "peak_rss_mb": 384.1},
                {"name": "bilstm_max", "ms_per_step": 406.5, "tokens_per_s": 40310.0, "peak_rss_mb": 611.7}
            ],
            "lstm_over_reference": 0.194, "lstm_reference_ms_per_step": 984.1,
            "threads": 2, "runs": 2, "steps": 10, "anchor": "PyTorch X",
            "cpu_model": "AMD EPYC 9B14", "isa": "avx512",
            "shape": {"batch": 64, "seq_len": 256, "vocab": 30000, "embed": 128, "hidden": 128}
        });
        let mut o = String::new();
        model_bench_section(&mut o, &v);
        assert!(o.contains("batch 64 × 256 tokens, vocabulary 30000, embedding 128 and hidden 128, on 2 threads: the median of 2 interleaved runs"), "{o}");
        assert!(
            o.contains(
                "| lstm | 190.8 | 180.0 | 1.06 | 330.1 | 300.0 | 1.10 | 0.58 | 85872 | 384 |"
            ),
            "{o}"
        );
        assert!(
            o.contains("| bilstm_max | 406.5 | – | – | – | – | – | – | 40310 | 612 |")
                && o.contains("CPU: AMD EPYC 9B14; our kernels' instruction set: avx512."),
            "{o}"
        );
        assert!(
            o.contains(
                "takes 0.19× the wall time of the op-by-op dfdx reference (984.1 ms / step)"
            ),
            "{o}"
        );
    }

    #[test]
    fn benchmark_json_becomes_a_table() {
        let mut o = String::new();
        let v = serde_json::json!({"machine": "x", "rows": [{"model": "lstm", "ms": 1.5}, {"model": "cnn", "ms": 2.0}]});
        bench_section(&mut o, "Model benchmark", "bench_models.json", Some(&v));
        assert!(
            o.contains("| model | ms |\n|---|---|\n| lstm | 1.500 |\n| cnn | 2 |"),
            "{o}"
        );
        assert!(
            o.contains("| Key | Value |\n|---|---|\n| machine | x |"),
            "{o}"
        );
    }
}
