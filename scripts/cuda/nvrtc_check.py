#!/usr/bin/env python3
"""Compiles dfdx's run-time CUDA kernels with NVRTC, as dfdx does on first use, without a GPU.

dfdx compiles a few kernels (to_dtype, reshape, concat, stack) with NVRTC when an op first runs,
with `--gpu-architecture=<arch>` and include paths baked into the binary at build time. This
checks, before any test runs, that NVRTC finds those headers at the baked paths and compiles
each kernel, so a broken path shows up as one clear line instead of a panic deep in a test.

    nvrtc_check.py --arch sm_90 --include DIR [--include DIR...] KERNEL.cu...

libnvrtc.so.13 (and its libnvrtc-builtins) is loaded through LD_LIBRARY_PATH.
Exit status: 0 when every kernel compiles, 1 otherwise.
"""
import argparse
import ctypes
import pathlib
import sys


def compile_kernel(nvrtc, source: bytes, name: bytes, options: list[bytes]) -> tuple[int, str]:
    program = ctypes.c_void_p()
    status = nvrtc.nvrtcCreateProgram(ctypes.byref(program), source, name, 0, None, None)
    if status != 0:
        return status, "nvrtcCreateProgram failed"
    array = (ctypes.c_char_p * len(options))(*options)
    status = nvrtc.nvrtcCompileProgram(program, len(options), array)
    size = ctypes.c_size_t()
    nvrtc.nvrtcGetProgramLogSize(program, ctypes.byref(size))
    log = ctypes.create_string_buffer(size.value)
    nvrtc.nvrtcGetProgramLog(program, log)
    nvrtc.nvrtcDestroyProgram(ctypes.byref(program))
    return status, log.value.decode(errors="replace").strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", required=True, help="e.g. sm_90, as baked into the binary")
    parser.add_argument("--include", action="append", default=[], help="an include path")
    parser.add_argument("--library", default="libnvrtc.so.13")
    parser.add_argument("kernels", nargs="+", type=pathlib.Path)
    args = parser.parse_args()
    try:
        nvrtc = ctypes.CDLL(args.library)
    except OSError as error:
        print(f"nvrtc_check: cannot load {args.library}: {error}")
        return 1
    major, minor = ctypes.c_int(), ctypes.c_int()
    nvrtc.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
    print(f"nvrtc_check: NVRTC {major.value}.{minor.value}, --gpu-architecture={args.arch}")
    options = [f"--gpu-architecture={args.arch}".encode()]
    options += [f"--include-path={path}".encode() for path in args.include]
    failures = 0
    for kernel in args.kernels:
        status, log = compile_kernel(nvrtc, kernel.read_bytes(), kernel.name.encode(), options)
        print(f"  {kernel.name:32} {'ok' if status == 0 else f'FAILED (nvrtcResult {status})'}")
        if status != 0:
            failures += 1
            print("    " + log.replace("\n", "\n    "))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
