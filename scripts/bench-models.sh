#!/usr/bin/env bash
# Side-by-side training-step benchmark: PyTorch's fused CPU kernels (the anchor,
# ../shared/bench/torch_models.py) and ours (bench-models), run one right after the other,
# REPEATS times interleaved, same shape (batch 64 × 256 tokens, vocab 30000, embedding =
# hidden = 128, 2 threads). Ours also times the op-by-op reference LSTM in the same process
# run. Writes figures/bench_models.json: our per-model medians, the anchor's, the median of
# the per-run ratios ours / PyTorch, every run and the load average around each.
#
#   scripts/bench-models.sh               # env: VENV (default /tmp/torch), REPEATS (2), ANCHOR
#   ANCHOR=none scripts/bench-models.sh   # ours only
#   scripts/bench-models.sh --models lstm,rnn   # extra flags go to bench-models
#
# The anchor needs PyTorch (PyPI's build is CUDA-enabled: ~5 GB, ~2 min to install; it runs
# on the CPU here). Absolute times on this shared 2-core machine move by 25–40% between runs,
# which is why only same-run ratios are compared.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-/tmp/torch}
REPEATS=${REPEATS:-2}
OUT=figures/bench_models.json
if [ -z "${ANCHOR:-}" ]; then
    for a in ../shared/bench/torch_models.py ../../shared/bench/torch_models.py; do
        [ -f "$a" ] && ANCHOR=$a && break
    done
fi
ANCHOR=${ANCHOR:-none}
if [ "$ANCHOR" != none ]; then
    [ -f "$ANCHOR" ] || { echo "torch_models.py not found: set ANCHOR (or ANCHOR=none)" >&2; exit 1; }
    if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import torch, numpy' 2>/dev/null; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q torch numpy
    fi
fi
cargo build --release --bin bench-models

# Our model name -> the anchor's case (training step) at the same shape.
CASES="a  nn.LSTM 1-layer,e1 nn.LSTM 2-layer,e2 nn.LSTM bidirectional,d2 nn.RNN tanh,f  Conv1d k3+k5 maxpool"

runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
for i in $(seq 1 "$REPEATS"); do
    if [ "$ANCHOR" != none ]; then
        echo "== run $i/$REPEATS: PyTorch anchor" >&2
        cut -d' ' -f1-3 /proc/loadavg > "$runs/load_anchor_$i"
        "$VENV/bin/python" "$ANCHOR" --only "$CASES" --skip-compile --passes 1 \
            --json "$runs/anchor_$i.json" > "$runs/anchor_$i.log" 2>&1 \
            || { cat "$runs/anchor_$i.log" >&2; exit 1; }
    fi
    echo "== run $i/$REPEATS: ours" >&2
    cut -d' ' -f1-3 /proc/loadavg > "$runs/load_ours_$i"
    target/release/bench-models --out "$runs/ours_$i.json" "$@" > /dev/null
    cut -d' ' -f1-3 /proc/loadavg > "$runs/load_end_$i"
done

mkdir -p figures
python3 - "$runs" "$REPEATS" "$OUT" "$ANCHOR" <<'PY'
import json, os, statistics, sys
runs, repeats, out, anchor = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
TORCH = {"lstm": "a  nn.LSTM 1-layer", "lstm_2layer": "e1 nn.LSTM 2-layer",
         "bilstm": "e2 nn.LSTM bidirectional", "rnn": "d2 nn.RNN tanh",
         "cnn": "f  Conv1d k3+k5 maxpool"}
def load(name):
    return open(os.path.join(runs, name)).read().split()
per_run = []
for i in range(1, repeats + 1):
    o = json.load(open(os.path.join(runs, f"ours_{i}.json")))
    row = {"ours": o, "loadavg_1_5_15": {"before_ours": load(f"load_ours_{i}"), "after": load(f"load_end_{i}")}}
    if anchor != "none":
        a = json.load(open(os.path.join(runs, f"anchor_{i}.json")))
        row["anchor"] = {r["name"]: round(r["median_ms"], 1) for r in a["results"] if r["mode"] == "train"}
        row["anchor_torch_version"] = a["info"].get("torch")
        row["loadavg_1_5_15"]["before_anchor"] = load(f"load_anchor_{i}")
    per_run.append(row)
med = lambda xs: round(statistics.median(xs), 3) if xs else None
summary = dict(per_run[-1]["ours"])
models = []
for m in summary["models"]:
    name = m["name"]
    ours = [next(x for x in r["ours"]["models"] if x["name"] == name) for r in per_run]
    row = dict(m)
    row["ms_per_step"] = med([x["ms_per_step"] for x in ours])
    row["tokens_per_s"] = round(summary["shape"]["batch"] * summary["shape"]["seq_len"] / (row["ms_per_step"] / 1e3))
    case = TORCH.get(name)
    if anchor != "none" and case and all(case in r["anchor"] for r in per_run):
        row["torch_ms_per_step"] = med([r["anchor"][case] for r in per_run])
        row["ratio_vs_torch"] = med([x["ms_per_step"] / r["anchor"][case] for x, r in zip(ours, per_run)])
    models.append(row)
summary["models"] = models
summary["lstm_reference_ms_per_step"] = med([r["ours"]["lstm_reference_ms_per_step"] for r in per_run])
summary["lstm_over_reference"] = med([r["ours"]["lstm_over_reference"] for r in per_run])
summary["runs"] = repeats
summary["anchor"] = "none" if anchor == "none" else "PyTorch " + str(per_run[-1].get("anchor_torch_version")) + " CPU, torch_models.py (same shape, 2 threads), run just before ours in each run"
summary["per_run"] = per_run
json.dump(summary, open(out, "w"), indent=1)
open(out, "a").write("\n")
for m in models:
    print(f'{m["name"]:18s} {m["ms_per_step"]:8.1f} ms   torch {m.get("torch_ms_per_step", "-")!s:>8}   ratio {m.get("ratio_vs_torch", "-")}')
print("lstm / reference:", summary["lstm_over_reference"])
PY
