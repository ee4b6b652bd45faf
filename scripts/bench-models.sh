#!/usr/bin/env bash
# Side-by-side training-step benchmark: PyTorch's fused CPU kernels (the anchor,
# ../shared/bench/torch_models.py) and ours (bench-models), run one right after the other,
# REPEATS times interleaved, same shape (batch 64 × 256 tokens, vocab 30000, embedding =
# hidden = 128, 2 threads). Ours also times the op-by-op reference LSTM in the same process
# run. Writes figures/bench_models.json (merged by scripts/bench_models_merge.py): per model,
# ours and the anchor's median, min and median/min side by side, the median of the per-run
# ratios ours / PyTorch, the CPU model and our kernels' instruction set, every run and the
# load average around each. The anchor flushes subnormals (its default, recorded in its JSON).
#
#   scripts/bench-models.sh               # env: VENV (default /tmp/torch), REPEATS (2), ANCHOR
#   ANCHOR=none scripts/bench-models.sh   # ours only
#   scripts/bench-models.sh --models lstm,rnn   # extra flags go to bench-models; the anchor
#                                               # then runs only those models' cases
#
# The anchor needs PyTorch (PyPI's build is CUDA-enabled: ~5 GB, ~2 min to install; it runs
# on the CPU here). Absolute times on this shared 2-core machine move by 25–40% between runs,
# which is why only same-run ratios are compared.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-common.sh

VENV=${VENV:-/tmp/torch}
REPEATS=${REPEATS:-2}
OUT=figures/bench_models.json
ANCHOR=${ANCHOR:-$(find_anchor torch_models.py)}
ANCHOR=${ANCHOR:-none}

# Our model name -> the anchor's case (training step) at the same shape (as in the merge).
anchor_case() {
    case "$1" in
        lstm) echo "a  nn.LSTM 1-layer" ;;
        lstm_2layer) echo "e1 nn.LSTM 2-layer" ;;
        bilstm) echo "e2 nn.LSTM bidirectional" ;;
        rnn) echo "d2 nn.RNN tanh" ;;
        cnn) echo "f  Conv1d k3+k5 maxpool" ;;
    esac
}
models=rnn,lstm,lstm_2layer,bilstm,cnn
prev=
for arg in "$@"; do
    case "$arg" in --models=*) models=${arg#--models=} ;; esac
    [ "$prev" = --models ] && models=$arg
    prev=$arg
done
CASES=
IFS=, read -ra wanted <<< "$models"
for m in "${wanted[@]}"; do
    c=$(anchor_case "$m")
    [ -n "$c" ] && CASES=${CASES:+$CASES,}$c
done
[ -n "$CASES" ] || { [ "$ANCHOR" = none ] || echo "no anchor case for --models $models" >&2; ANCHOR=none; }

if [ "$ANCHOR" != none ]; then
    [ -f "$ANCHOR" ] || { echo "torch_models.py not found: set ANCHOR (or ANCHOR=none)" >&2; exit 1; }
    ensure_venv "$VENV" torch,numpy torch numpy
fi
cargo build --release --bin bench-models

runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
for i in $(seq 1 "$REPEATS"); do
    if [ "$ANCHOR" != none ]; then
        echo "== run $i/$REPEATS: PyTorch anchor" >&2
        record_load "$runs/load_anchor_$i"
        "$VENV/bin/python" "$ANCHOR" --only "$CASES" --skip-compile --passes 1 \
            --json "$runs/anchor_$i.json" > "$runs/anchor_$i.log" 2>&1 \
            || { cat "$runs/anchor_$i.log" >&2; exit 1; }
    fi
    echo "== run $i/$REPEATS: ours" >&2
    record_load "$runs/load_ours_$i"
    "${CARGO_TARGET_DIR:-target}/release/bench-models" --out "$runs/ours_$i.json" "$@" > /dev/null
    record_load "$runs/load_end_$i"
done

mkdir -p figures
python3 scripts/bench_models_merge.py "$runs" "$REPEATS" "$OUT" "$ANCHOR"
