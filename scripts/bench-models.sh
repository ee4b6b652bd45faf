#!/usr/bin/env bash
# Training-step benchmark of the sentiment models (batch 64 × 256 tokens, vocab 30000,
# embedding = hidden = 128, 2 threads): ms/step, tokens/s and peak RSS per model, plus the
# op-by-op reference LSTM for the fused/reference ratio. Writes figures/bench_models.json.
#
#   scripts/bench-models.sh                      # all models, 10 timed steps after 3 warm-up
#   scripts/bench-models.sh --models lstm,rnn    # a subset (extra flags go to bench-models)
#
# For a side-by-side ratio run the PyTorch anchor right before or after (see
# /work/shared/bench/README.md): absolute times on a shared 2-core machine move by 25–40%.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin bench-models
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
./target/release/bench-models --json --out figures/bench_models.json "$@"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
