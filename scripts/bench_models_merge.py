#!/usr/bin/env python3
"""Merges the runs of scripts/bench-models.sh into figures/bench_models.json.

    bench_models_merge.py RUNS_DIR REPEATS OUT ANCHOR

RUNS_DIR holds, for run i = 1..REPEATS, `ours_i.json` (bench-models' summary), the load
averages `load_ours_i` / `load_end_i` and, unless ANCHOR is "none", `anchor_i.json`
(torch_models.py's output) and `load_anchor_i`. Any subset of models works: a model or an
anchor case missing from some run is left out of that run's figures, never compared as None.

Per model, ours and the anchor's side by side: the median of the per-run medians
(`ms_per_step`, `torch_ms_per_step`), the lowest step time seen (`min_ms`, `torch_min_ms`),
their quotient (`stability`, `torch_stability`: 1 when every step took the same time), and
the median of the per-run ratios ours / PyTorch (`ratio_vs_torch`).
"""
import json
import os
import statistics
import sys

# Our model name -> the anchor's case (training step) at the same shape.
TORCH = {
    "lstm": "a  nn.LSTM 1-layer",
    "lstm_2layer": "e1 nn.LSTM 2-layer",
    "bilstm": "e2 nn.LSTM bidirectional",
    "rnn": "d2 nn.RNN tanh",
    "cnn": "f  Conv1d k3+k5 maxpool",
}


def present(values):
    return [v for v in values if v is not None]


def median(values):
    values = present(values)
    return round(statistics.median(values), 3) if values else None


def lowest(values):
    values = present(values)
    return round(min(values), 3) if values else None


def quotient(top, bottom):
    return round(top / bottom, 3) if top is not None and bottom else None


def read_words(runs, name):
    path = os.path.join(runs, name)
    return open(path).read().split() if os.path.exists(path) else None


def anchor_cases(anchor_json):
    """The anchor's training cases: name -> {median_ms, min_ms} (the last pass wins)."""
    cases = {}
    for r in anchor_json.get("results", []):
        if r.get("mode") == "train":
            cases[r["name"]] = {"median_ms": r["median_ms"], "min_ms": r.get("min_ms")}
    return cases


def load_runs(runs, repeats, with_anchor):
    per_run = []
    for i in range(1, repeats + 1):
        ours = json.load(open(os.path.join(runs, f"ours_{i}.json")))
        row = {
            "ours": ours,
            "loadavg_1_5_15": {
                "before_ours": read_words(runs, f"load_ours_{i}"),
                "after": read_words(runs, f"load_end_{i}"),
            },
        }
        if with_anchor:
            a = json.load(open(os.path.join(runs, f"anchor_{i}.json")))
            row["anchor"] = anchor_cases(a)
            row["anchor_info"] = {
                k: a.get("info", {}).get(k)
                for k in ("torch", "flush_denormal", "cpu_capability", "num_threads")
            }
            row["loadavg_1_5_15"]["before_anchor"] = read_words(runs, f"load_anchor_{i}")
        per_run.append(row)
    return per_run


def model_names(per_run):
    """Every model of any run, in first-seen order."""
    names = []
    for r in per_run:
        for m in r["ours"]["models"]:
            if m["name"] not in names:
                names.append(m["name"])
    return names


def merge_model(name, per_run, shape):
    runs = [(next((m for m in r["ours"]["models"] if m["name"] == name), None), r) for r in per_run]
    runs = [(m, r) for m, r in runs if m is not None]
    row = dict(runs[-1][0])
    row["ms_per_step"] = median([m["ms_per_step"] for m, _ in runs])
    row["min_ms"] = lowest([m.get("min_ms") for m, _ in runs])
    row["stability"] = quotient(row["ms_per_step"], row["min_ms"])
    if row["ms_per_step"]:
        row["tokens_per_s"] = round(shape["batch"] * shape["seq_len"] / (row["ms_per_step"] / 1e3))
    case = TORCH.get(name)
    paired = [(m, r["anchor"][case]) for m, r in runs if case and case in r.get("anchor", {})]
    if paired:
        row["torch_ms_per_step"] = median([a["median_ms"] for _, a in paired])
        row["torch_min_ms"] = lowest([a["min_ms"] for _, a in paired])
        row["torch_stability"] = quotient(row["torch_ms_per_step"], row["torch_min_ms"])
        row["ratio_vs_torch"] = median([m["ms_per_step"] / a["median_ms"] for m, a in paired])
    return row


def merge(per_run, anchor):
    last = per_run[-1]["ours"]
    summary = dict(last)
    summary["models"] = [merge_model(n, per_run, last["shape"]) for n in model_names(per_run)]
    for key in ("lstm_reference_ms_per_step", "lstm_over_reference",
                "lstm_reference_cpu_ms_per_step", "lstm_over_reference_cpu"):
        summary[key] = median([r["ours"].get(key) for r in per_run])
    summary["cpu_model"] = last.get("cpu_model", "unknown")
    summary["isa"] = last.get("isa", "unknown")
    summary["runs"] = len(per_run)
    if anchor == "none":
        summary["anchor"] = "none"
    else:
        info = per_run[-1]["anchor_info"]
        flushed = info.get("flush_denormal")
        summary["anchor"] = (
            f"PyTorch {info.get('torch')} CPU, torch_models.py (same shape, 2 threads, "
            f"subnormals {'flushed' if flushed else 'kept' if flushed is False else 'not recorded'}), "
            "run just before ours in each run"
        )
        summary["anchor_flush_denormal"] = flushed
        summary["anchor_cpu_capability"] = info.get("cpu_capability")
    summary["per_run"] = per_run
    return summary


def fmt(value, spec):
    """`value` formatted by `spec`, or "-" as wide as the field."""
    if value is not None:
        return format(value, spec)
    width = spec.split(".")[0]
    return "-".rjust(int(width) if width.isdigit() else 1)


def main():
    runs, repeats, out, anchor = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    summary = merge(load_runs(runs, repeats, anchor != "none"), anchor)
    with open(out, "w") as fh:
        json.dump(summary, fh, indent=1)
        fh.write("\n")
    print(f"CPU: {summary['cpu_model']}   our kernels: {summary['isa']}   anchor: {summary['anchor']}")
    print(f"{'model':18s} {'ours ms':>8s} {'min':>8s} {'med/min':>7s}   "
          f"{'torch ms':>8s} {'min':>8s} {'med/min':>7s}   {'ratio':>6s}")
    for m in summary["models"]:
        print(f"{m['name']:18s} {fmt(m['ms_per_step'], '8.1f')} {fmt(m['min_ms'], '8.1f')} "
              f"{fmt(m['stability'], '7.2f')}   {fmt(m.get('torch_ms_per_step'), '8.1f')} "
              f"{fmt(m.get('torch_min_ms'), '8.1f')} {fmt(m.get('torch_stability'), '7.2f')}   "
              f"{fmt(m.get('ratio_vs_torch'), '6.2f')}")
    print("lstm / reference:", fmt(summary["lstm_over_reference"], ".3f"))


if __name__ == "__main__":
    main()
