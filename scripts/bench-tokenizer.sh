#!/usr/bin/env bash
# Side-by-side tokenizer benchmark: SentencePiece and HuggingFace tokenizers (the anchors,
# ../shared/bench/tokenizer_anchors.py) and ours (bench-tokenizer), run one right after the
# other, REPEATS times interleaved. Writes figures/bench_tokenizer.json with every run, the
# load average around each, and the median ratios ours / SentencePiece.
#
#   scripts/bench-tokenizer.sh   # env: VENV, DATA, REPEATS, THREADS, ANCHOR_THREADS, ANCHORS
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-common.sh

VENV=${VENV:-/tmp/anchors}
DATA=${DATA:-${SENTIMENT_RNN_DATA:-datasets}}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-$(nproc)}
ANCHOR_THREADS=${ANCHOR_THREADS:-1}
ANCHORS=${ANCHORS:-$(find_anchor tokenizer_anchors.py)}
[ -f "${ANCHORS:-}" ] || { echo "tokenizer_anchors.py not found: set ANCHORS" >&2; exit 1; }
OUT=figures/bench_tokenizer.json

ensure_venv "$VENV" sentencepiece,tokenizers sentencepiece tokenizers
cargo build --release --bin bench-tokenizer

runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
for i in $(seq 1 "$REPEATS"); do
    echo "== run $i/$REPEATS: anchors ($ANCHOR_THREADS thread), then ours ($THREADS threads)" >&2
    record_load "$runs/load_anchor_$i"
    "$VENV/bin/python" "$ANCHORS" "$DATA" --threads "$ANCHOR_THREADS" | tail -n 1 > "$runs/anchor_$i.json"
    record_load "$runs/load_ours_$i"
    target/release/bench-tokenizer --json --data-dir "$DATA" --threads "$THREADS" \
        --out "$runs/ours_$i.json" 2>/dev/null | tail -n 1 > /dev/null
    record_load "$runs/load_end_$i"
done

mkdir -p figures
"$VENV/bin/python" - "$runs" "$REPEATS" "$OUT" <<'PY'
import json, os, statistics, sys
runs, repeats, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def load(name):
    return open(os.path.join(runs, name)).read().split()
rows = []
for i in range(1, repeats + 1):
    a = json.load(open(os.path.join(runs, f"anchor_{i}.json")))
    o = json.load(open(os.path.join(runs, f"ours_{i}.json")))
    rows.append({
        "anchors": a, "ours": o,
        "loadavg_1_5_15": {"before_anchors": load(f"load_anchor_{i}"),
                           "before_ours": load(f"load_ours_{i}"), "after": load(f"load_end_{i}")},
        "train_time_ratio_vs_spm": round(o["train_seconds"] / a["spm_train_seconds"], 3),
        "train_time_ratio_vs_hf": round(o["train_seconds"] / a["hf_train_seconds"], 3),
        "encode_ratio_vs_spm": round(o["encode_mb_per_s"] / a["spm_encode_mb_per_s"], 3),
        "encode_ratio_1thread_vs_spm": round(o["encode_mb_per_s_1thread"] / a["spm_encode_mb_per_s"], 3),
        "encode_ratio_vs_hf": round(o["encode_mb_per_s"] / a["hf_encode_mb_per_s"], 3),
    })
med = lambda k: round(statistics.median(r[k] for r in rows), 3)
last = rows[-1]["ours"]
summary = dict(last)
summary.update({
    "runs": repeats,
    "cpus": os.cpu_count(),
    "anchor_threads": rows[-1]["anchors"]["threads"],
    "train_seconds_median": round(statistics.median(r["ours"]["train_seconds"] for r in rows), 3),
    "spm_train_seconds_median": round(statistics.median(r["anchors"]["spm_train_seconds"] for r in rows), 3),
    "hf_train_seconds_median": round(statistics.median(r["anchors"]["hf_train_seconds"] for r in rows), 3),
    "encode_mb_per_s_median": round(statistics.median(r["ours"]["encode_mb_per_s"] for r in rows), 3),
    "spm_encode_mb_per_s_median": round(statistics.median(r["anchors"]["spm_encode_mb_per_s"] for r in rows), 3),
    "hf_encode_mb_per_s_median": round(statistics.median(r["anchors"]["hf_encode_mb_per_s"] for r in rows), 3),
    "train_time_ratio_vs_spm": med("train_time_ratio_vs_spm"),
    "train_time_ratio_vs_hf": med("train_time_ratio_vs_hf"),
    "encode_ratio_vs_spm": med("encode_ratio_vs_spm"),
    "encode_ratio_1thread_vs_spm": med("encode_ratio_1thread_vs_spm"),
    "encode_ratio_vs_hf": med("encode_ratio_vs_hf"),
    "per_run": rows,
})
json.dump(summary, open(out, "w"), indent=1)
open(out, "a").write("\n")
print(json.dumps({k: v for k, v in summary.items() if k != "per_run"}))
PY
