#!/usr/bin/env bash
# Builds the crate with `--features cuda` on a machine that has no GPU and no CUDA install, and
# packs what a GPU machine (which needs no Rust toolchain) runs into a carry folder.
#
#   scripts/cuda/build.sh    # env: CUDA_TOOLKIT_CACHE, CUDA_COMPUTE_CAP (90), CARRY, TESTS, BINS
#   CUDA_COMPUTE_CAP=80 scripts/cuda/build.sh      # an A100 instead of an H100/H200
#   TESTS="lib gradcheck" scripts/cuda/build.sh    # carry these test binaries, not just the CUDA ones
#
# What it sets up (docs/cuda.md explains each piece):
# - nvcc, its headers and the cuBLAS/NVRTC libraries from PyPI's nvidia-* CUDA 13.0 wheels, in
#   one folder (they share the nvidia/cu13 prefix, so one `pip install --target` merges them);
# - a stub libcuda.so to link against (the driver is not on PyPI): every call in it returns
#   CUDA_ERROR_STUB_LIBRARY, so a dry run on this machine fails with that at the first CUDA call;
# - an nvidia-smi stand-in: dfdx's build script asks it for the GPU's compute capability;
# - CUDA_ROOT at the fixed path $CUDA_ROOT_LINK: dfdx bakes "$CUDA_ROOT/include" into the binary
#   as NVRTC's include path, and device-check.sh recreates that path on the GPU machine.
# Then it checks what needs no GPU (ptxas takes every PTX for the target, NVRTC compiles dfdx's
# run-time kernels) and fills the carry folder (target/cuda-carry, under 64 MiB): the stripped
# binaries that use CUDA, the .cuh headers those NVRTC kernels include, the kernels for
# nvrtc_check.py, the IMDb/Yelp data for a short study, and manifest.env naming the baked paths.
# Then: scripts/cuda/device-check.sh on the GPU machine (carry target/cuda-carry).
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE=${CUDA_TOOLKIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sentiment-rnn/cuda-toolkit}
CUDA_ROOT_LINK=${CUDA_ROOT_LINK:-/tmp/sentiment-rnn-cuda}
CARRY=${CARRY:-target/cuda-carry}
CAP=${CUDA_COMPUTE_CAP:-90}
TESTS=${TESTS:-cuda}
BINS=${BINS:-sentiment-rnn bench-models figures cuda_smoke}
CARRY_LIMIT_MIB=64
# CUDA 13.0: the lowest 13.x, so the PTX (ISA 9.0) loads on any CUDA 13 driver. The cu12/cu11
# wheels ship ptxas only, not nvcc. cuBLAS/NVRTC are linked against the 13.x sonames the GPU
# machine's toolkit provides (the binary does not carry them: cuBLAS alone is ~600 MB).
WHEELS="nvidia-cuda-nvcc==13.0.88 nvidia-cuda-crt==13.0.88 nvidia-nvvm==13.0.88
nvidia-cuda-runtime==13.0.96 nvidia-cuda-cccl==13.0.85 nvidia-cuda-nvrtc==13.0.88
nvidia-cublas==13.0.2.14"
TOOLKIT=$CACHE/13.0
ROOT=$TOOLKIT/nvidia/cu13

install_wheels() {
    [ -f "$TOOLKIT/.complete" ] && return
    echo "== installing the CUDA 13.0 wheels into $TOOLKIT" >&2
    mkdir -p "$CACHE/wheels"
    # shellcheck disable=SC2086
    python3 -m pip download -q --no-deps -d "$CACHE/wheels" $WHEELS
    rm -rf "$TOOLKIT"
    # One pip call: pip --target skips a top-level folder (nvidia/) that already exists.
    local files=() spec name version
    for spec in $WHEELS; do
        name=${spec%%==*} version=${spec##*==}
        files+=("$(ls "$CACHE/wheels/${name//-/_}-$version-"*.whl)")
    done
    python3 -m pip install -q --no-deps --no-index --target "$TOOLKIT" "${files[@]}"
    touch "$TOOLKIT/.complete"
}

# The source folder of a dependency, e.g. `package_dir cudarc`.
package_dir() {
    cargo metadata --format-version 1 --features cuda | python3 -c '
import json, os, sys
pkgs = json.load(sys.stdin)["packages"]
print(os.path.dirname(next(p["manifest_path"] for p in pkgs if p["name"] == sys.argv[1])))' "$1"
}

# cudarc links -lcuda -lnvrtc -lcublas -lcublasLt: unversioned names, and a libcuda stub.
link_libraries() {
    local lib stub=$ROOT/lib64/stubs
    for lib in cublas cublasLt nvrtc; do
        ln -sfn "lib$lib.so.13" "$ROOT/lib/lib$lib.so"
    done
    mkdir -p "$stub"
    {
        echo '/* Build-time stand-in for the driver: every call fails with CUDA_ERROR_STUB_LIBRARY. */'
        echo 'static const char *msg = "stub libcuda (no NVIDIA driver on this machine)";'
        echo 'int cuGetErrorString(int e, const char **s) { (void)e; *s = msg; return 0; }'
        echo 'int cuGetErrorName(int e, const char **s) { (void)e; *s = "CUDA_ERROR_STUB_LIBRARY"; return 0; }'
        grep -oP 'pub fn \Kcu\w+' "$(package_dir cudarc)/src/driver/sys.rs" | sort -u |
            grep -vx 'cuGetErrorString\|cuGetErrorName' | sed 's/.*/int &(void) { return 34; }/'
    } > "$stub/libcuda_stub.c"
    cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$stub/libcuda.so" "$stub/libcuda_stub.c"
    ln -sfn libcuda.so "$stub/libcuda.so.1"
}

# dfdx's build script runs `nvidia-smi --query-gpu=compute_cap --format=csv`.
fake_nvidia_smi() {
    mkdir -p "$CACHE/bin"
    cat > "$CACHE/bin/nvidia-smi" <<EOF
#!/bin/sh
# Build-time stand-in: answers dfdx's compute-capability probe for the target GPU.
case "\$*" in
    *compute_cap*) printf 'compute_cap\n%s.%s\n' "${CAP%?}" "${CAP#"${CAP%?}"}" ;;
    *) echo "nvidia-smi stand-in for builds: no GPU here" >&2; exit 9 ;;
esac
EOF
    chmod +x "$CACHE/bin/nvidia-smi"
}

# The CUDA root dfdx bakes in must be a fixed path: a link here, a folder device-check.sh made.
link_cuda_root() {
    if [ -e "$CUDA_ROOT_LINK" ] && [ ! -L "$CUDA_ROOT_LINK" ]; then
        [ -f "$CUDA_ROOT_LINK/.made-by-device-check" ] ||
            { echo "$CUDA_ROOT_LINK exists and is not ours: set CUDA_ROOT_LINK" >&2; exit 1; }
        rm -r "$CUDA_ROOT_LINK"
    fi
    ln -sfn "$ROOT" "$CUDA_ROOT_LINK"
}

# name<TAB>path of each test harness, binary and example that cargo's JSON messages report.
executables() {
    python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") != "compiler-artifact" or not msg.get("executable"):
        continue
    kind, name = msg["target"]["kind"][0], msg["target"]["name"]
    if msg["profile"]["test"]:
        print(("test-lib" if kind == "lib" else f"test-{name}") + "\t" + msg["executable"])
    elif kind in ("bin", "example"):
        print(name + "\t" + msg["executable"])'
}

# dfdx's kernels that NVRTC compiles at run time, as .cu files for nvrtc_check.py.
nvrtc_kernels() {
    python3 - "$(package_dir dfdx)/src/tensor_ops" "$1" <<'PY'
import pathlib, re, sys
ops, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
for rust in sorted(ops.glob("*/cuda_kernel.rs")):
    for const, body in re.findall(r'const (\w+): &str = "(.*?)";', rust.read_text(), re.S):
        source = body.replace('\\"', '"').replace("\\\\", "\\")
        for placeholder, dtype in (("$Src", "float"), ("$Dst", "double"), ("$Ty", "float"), ("$T", "float")):
            source = source.replace(placeholder, dtype)
        (out / f"{rust.parent.name}_{const.lower()}.cu").write_text(source)
PY
}

install_wheels
link_libraries
fake_nvidia_smi
link_cuda_root
export PATH=$CACHE/bin:$ROOT/bin:$PATH CUDA_ROOT=$CUDA_ROOT_LINK CUDA_COMPUTE_CAP=$CAP
unset CUDA_PATH CUDA_TOOLKIT_ROOT_DIR
nvcc --version | tail -1 >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
echo "== cargo build --release --features cuda" >&2
cargo build --release --features cuda --bins --examples
echo "== cargo test --release --features cuda --no-run" >&2
cargo test --release --features cuda --no-run --message-format=json-render-diagnostics |
    executables > "$work/exes.tsv"
echo "build: $((SECONDS - start)) s" >&2

rm -rf "$CARRY"
mkdir -p "$CARRY/bin"
while IFS=$'\t' read -r name exe; do
    case $name in
    # TESTS=cuda (default): the test binaries that call into the driver (the CPU suite runs
    # here); TESTS=all: every one (over the 64 MiB today); else a list of test target names.
    test-*)
        case $TESTS in
        all) ;;
        cuda) nm -D --undefined-only "$exe" | grep -qw cuInit || continue ;;
        *) [[ " $TESTS " == *" ${name#test-} "* ]] || continue ;;
        esac ;;
    *) [[ " $BINS " == *" $name "* ]] || continue ;;
    esac
    strip -o "$CARRY/bin/$name" "$exe"
done < "$work/exes.tsv"

# Paths baked into the binaries that NVRTC reads at run time (docs/cuda.md lists them).
smoke=$CARRY/bin/cuda_smoke
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
dfdx_out=
for dir in "$target_dir"/release/build/dfdx-*/out; do
    grep -qaF "$dir" "$smoke" && dfdx_out=$dir
done
grep -qaF "$CUDA_ROOT_LINK/include" "$smoke" ||
    { echo "cuda_smoke does not bake $CUDA_ROOT_LINK/include" >&2; exit 1; }
[ -n "$dfdx_out" ] || { echo "cuda_smoke bakes no dfdx OUT_DIR under $target_dir" >&2; exit 1; }
mkdir -p "$CARRY/dfdx-out"
cp "$dfdx_out"/*.cuh "$CARRY/dfdx-out/"
nvrtc_kernels "$CARRY/nvrtc-kernels"
cp scripts/cuda/nvrtc_check.py "$CARRY/"

# What can be checked without a GPU: ptxas assembles every PTX that nvcc wrote for the target,
# and this NVRTC compiles the run-time kernels with the include paths the binaries bake in.
echo "== ptxas -arch=sm_$CAP on dfdx's $(ls "$dfdx_out"/*.ptx | wc -l) PTX files" >&2
for ptx in "$dfdx_out"/*.ptx; do
    ptxas -arch="sm_$CAP" "$ptx" -o /dev/null || { echo "ptxas rejects $ptx" >&2; exit 1; }
done
LD_LIBRARY_PATH=$ROOT/lib python3 scripts/cuda/nvrtc_check.py --arch "sm_$CAP" \
    --include "$CUDA_ROOT_LINK/include" --include "$dfdx_out" "$CARRY"/nvrtc-kernels/*.cu >&2

# The labeled data a short study on the GPU reads (the full aclImdb stays behind: 63 MB).
data=${SENTIMENT_RNN_DATA:-datasets}
if [ -d "$data/IMDb" ] && [ -d "$data/Yelp" ]; then
    tar czf "$CARRY/datasets.tar.gz" -C "$data" IMDb Yelp
else
    echo "no IMDb/ and Yelp/ under $data: the carry has no data for a study" >&2
fi
cat > "$CARRY/manifest.env" <<EOF
# Written by scripts/cuda/build.sh: paths baked into the binaries, recreated by device-check.sh.
CUDA_INCLUDE_DIR=$CUDA_ROOT_LINK/include
DFDX_OUT_DIR=$dfdx_out
MANIFEST_DIR=$PWD
COMPUTE_CAP=sm_$CAP
PTX_ISA="$(grep -h -m1 '^\.version' "$dfdx_out"/*.ptx | sort -u | tr '\n' ' ' | sed 's/ $//')"
NVCC="$(nvcc --version | grep -o 'release .*')"
LINKED="$(readelf -d "$smoke" | grep -oP 'NEEDED.*\[\K(libcu|libnv)[^]]*' | tr '\n' ' ' | sed 's/ $//')"
GIT_COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo +dirty)
EOF

ls -l "$CARRY/bin" >&2
size=$(du -sm "$CARRY" | cut -f1)
echo "carry: $CARRY, ${size} MiB" >&2
if [ "$size" -gt "$CARRY_LIMIT_MIB" ]; then
    echo "carry folder over ${CARRY_LIMIT_MIB} MiB: carry fewer binaries (TESTS, BINS)" >&2
    exit 1
fi
