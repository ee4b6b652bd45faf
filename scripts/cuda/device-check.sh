#!/usr/bin/env bash
# Runs every GPU check of a `--features cuda` build on a machine with an NVIDIA GPU and a CUDA 13
# toolkit but no Rust toolchain, from the carry folder scripts/cuda/build.sh made; writes the
# results under $OUT.
#
#   scripts/cuda/device-check.sh     # env: OUT, CARRY (target/cuda-carry), CUDA_HOME,
#                                    #      CUDA_LIB_DIRS (extra library folders, ':'-separated),
#                                    #      STEP_TIMEOUT (s, default 120), STUDY (1: figures --quick)
#
# Steps, each logged to $OUT/<step>.log and summed up in $OUT/summary.txt:
#  env        nvidia-smi, the driver's CUDA version, the toolkit and libraries found;
#  paths      recreate the paths baked into the binaries: $CUDA_INCLUDE_DIR as a folder linking
#             the toolkit's headers and dfdx's .cuh files (so dfdx's build folder is not needed),
#             dfdx's OUT_DIR and the crate folder the tests name (both best effort);
#  preflight  every carried binary's libraries and symbols resolve (ldd -r), and NVRTC compiles
#             dfdx's run-time kernels with the baked include paths;
#  smoke      cuda_smoke: one op of each kind (cuBLAS, PTX, NVRTC) on the GPU against the CPU;
#  test-*     each carried test binary (those that use CUDA);
#  bench      bench-models --device cuda at the default shape and at batch 256, when supported;
#  study      figures --device cuda --quick, when supported and STUDY=1.
# Exit status: 0 when every step that ran passed.
set -uo pipefail
cd "$(dirname "$0")/../.."

CARRY=${CARRY:-target/cuda-carry}
OUT=${OUT:-target/cuda-check-out}
STEP_TIMEOUT=${STEP_TIMEOUT:-120}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -f "$CARRY/manifest.env" ] || { echo "no $CARRY/manifest.env: run scripts/cuda/build.sh first" >&2; exit 2; }
# shellcheck disable=SC1091
source "$CARRY/manifest.env"
BIN=$PWD/$CARRY/bin
failed=0

note() { echo "$*" | tee -a "$OUT/summary.txt" >&2; }

# step NAME COMMAND...: runs it with a timeout, logs to $OUT/NAME.log, records pass/FAIL.
step() {
    local name=$1 start=$SECONDS status
    shift
    echo "== $name: $*" >&2
    if declare -F "$1" > /dev/null; then
        "$@" > "$OUT/$name.log" 2>&1
    else
        timeout "$STEP_TIMEOUT" "$@" > "$OUT/$name.log" 2>&1
    fi
    status=$?
    tail -n 5 "$OUT/$name.log" | sed 's/^/   /' >&2
    if [ "$status" = 0 ]; then
        note "pass  $name ($((SECONDS - start)) s)"
    else
        [ "$status" = 124 ] && echo "timed out after $STEP_TIMEOUT s" >> "$OUT/$name.log"
        note "FAIL  $name (exit $status, $((SECONDS - start)) s): $(grep -m1 -iE 'error|panicked|fail|not found' "$OUT/$name.log" | cut -c1-200)"
        failed=1
    fi
    return "$status"
}

# The toolkit whose headers NVRTC reads: CUDA_HOME, /usr/local/cuda, nvcc's, or a pip install.
find_toolkit() {
    local candidate
    for candidate in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda /usr/local/cuda-13* \
        "$(dirname "$(dirname "$(command -v nvcc 2>/dev/null || echo /x/x)")")" \
        "$(python3 -c 'import nvidia, os; print(os.path.join(list(nvidia.__path__)[0], "cu13"))' 2>/dev/null)"; do
        [ -n "$candidate" ] && [ -f "$candidate/include/cuda_fp16.h" ] && { echo "$candidate"; return; }
    done
}

# The folder holding a library, searched in CUDA_LIB_DIRS, the toolkit and pip's nvidia packages.
find_library() {
    local dir
    for dir in ${CUDA_LIB_DIRS//:/ } "$TOOLKIT/lib64" "$TOOLKIT/lib" "$TOOLKIT/targets/x86_64-linux/lib" \
        $(python3 -c 'import nvidia, glob; [print(d) for p in nvidia.__path__ for d in glob.glob(p + "/*/lib")]' 2>/dev/null); do
        compgen -G "$dir/$1" > /dev/null && { echo "$dir"; return; }
    done
}

# --- env -------------------------------------------------------------------------------------
: > "$OUT/summary.txt"
note "carry: commit $GIT_COMMIT, $NVCC, PTX $PTX_ISA for $COMPUTE_CAP, links $LINKED"
cp "$CARRY/manifest.env" "$OUT/"
{
    nvidia-smi || echo "nvidia-smi: not available"
    nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv 2>&1
    nvcc --version 2>&1 | tail -2
    uname -a
} > "$OUT/env.log" 2>&1
note "gpu: $(nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader 2>/dev/null || echo none)"
TOOLKIT=$(find_toolkit)
[ -n "$TOOLKIT" ] || { note "FAIL  env: no CUDA toolkit headers (set CUDA_HOME)"; exit 1; }
libs=()
# libcuda.so.1 comes with the driver; a folder given in CUDA_LIB_DIRS may hold another one.
driver_dir=$(find_library libcuda.so.1)
[ -n "$driver_dir" ] && libs+=("$driver_dir")
for lib in 'libcublas.so.13' 'libcublasLt.so.13' 'libnvrtc.so.13' 'libnvrtc-builtins.so.13*'; do
    dir=$(find_library "$lib")
    [ -n "$dir" ] || { note "FAIL  env: $lib not found (set CUDA_LIB_DIRS)"; exit 1; }
    libs+=("$dir")
done
LD_LIBRARY_PATH=$(printf '%s\n' "${libs[@]}" | awk '!seen[$0]++' | paste -sd:)${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
note "toolkit: $TOOLKIT; LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
if ! ldconfig -p 2>/dev/null | grep -q 'libcuda.so.1' && [ -z "$driver_dir" ]; then
    note "no libcuda.so.1 (NVIDIA driver) found: every CUDA step will fail"
fi

# --- paths -------------------------------------------------------------------------------------
recreate_paths() {
    local root include
    root=$(dirname "$CUDA_INCLUDE_DIR")
    include=$CUDA_INCLUDE_DIR
    if [ -L "$root" ]; then
        rm "$root"
    elif [ -e "$root" ] && [ ! -f "$root/.made-by-device-check" ]; then
        echo "$root exists and was not made by device-check.sh" >&2
        return 1
    fi
    rm -rf "$include"
    mkdir -p "$include" && touch "$root/.made-by-device-check" || return 1
    ln -s "$TOOLKIT"/include/* "$include/" && ln -sf "$PWD/$CARRY"/dfdx-out/*.cuh "$include/" || return 1
    echo "$include -> $TOOLKIT/include + dfdx's .cuh"
    # dfdx also passes its build folder to NVRTC; the .cuh files above make it optional.
    if mkdir -p "$DFDX_OUT_DIR" 2>/dev/null && cp "$CARRY"/dfdx-out/*.cuh "$DFDX_OUT_DIR/" 2>/dev/null; then
        echo "$DFDX_OUT_DIR recreated"
    else
        echo "$DFDX_OUT_DIR not writable (not needed)"
    fi
    if [ ! -e "$MANIFEST_DIR" ] && mkdir -p "$(dirname "$MANIFEST_DIR")" 2>/dev/null; then
        ln -s "$PWD" "$MANIFEST_DIR" && echo "$MANIFEST_DIR -> $PWD"
    fi
    return 0
}
step paths recreate_paths || exit 1
export INSTA_WORKSPACE_ROOT=$PWD INSTA_UPDATE=no CI=true
if [ -f "$CARRY/datasets.tar.gz" ]; then
    mkdir -p target/cuda-data && tar xzf "$CARRY/datasets.tar.gz" -C target/cuda-data
    export SENTIMENT_RNN_DATA=$PWD/target/cuda-data
fi

# --- preflight ---------------------------------------------------------------------------------
resolve_libraries() {
    local exe missing=0
    for exe in "$BIN"/*; do
        if ldd -r "$exe" 2>&1 | grep -E 'not found|undefined symbol'; then
            echo "^ $(basename "$exe")"
            missing=1
        fi
    done
    ldd "$BIN/cuda_smoke" | grep -E 'libcu|libnv'
    return "$missing"
}
step preflight-libraries resolve_libraries
step preflight-nvrtc python3 "$CARRY/nvrtc_check.py" --arch "$COMPUTE_CAP" \
    --include "$CUDA_INCLUDE_DIR" --include "$DFDX_OUT_DIR" "$CARRY"/nvrtc-kernels/*.cu

# --- the GPU -----------------------------------------------------------------------------------
step smoke "$BIN/cuda_smoke"
for test in "$BIN"/test-*; do
    [ -e "$test" ] || { note "skip  tests: no carried test binary uses CUDA"; break; }
    step "$(basename "$test")" "$test" --test-threads 1
    grep -h '^test result' "$OUT/$(basename "$test").log" >> "$OUT/summary.txt"
done
if "$BIN/bench-models" --help 2>&1 | grep -q -- '--device'; then
    step bench "$BIN/bench-models" --device cuda --out "$OUT/bench_models_cuda.json"
    step bench-b256 "$BIN/bench-models" --device cuda --batch 256 --out "$OUT/bench_models_cuda_b256.json"
else
    note "skip  bench: bench-models has no --device option in this build"
fi
if [ "${STUDY:-0}" = 1 ]; then
    if "$BIN/figures" --help 2>&1 | grep -q -- '--device'; then
        STEP_TIMEOUT=${STUDY_TIMEOUT:-300} step study "$BIN/figures" --device cuda --quick --quiet \
            --out-dir "$OUT/study" --runs-dir target/cuda-runs
    else
        note "skip  study: figures has no --device option in this build"
    fi
fi

note "$([ "$failed" = 0 ] && echo "all steps passed" || echo "some steps FAILED"): see $OUT"
exit "$failed"
