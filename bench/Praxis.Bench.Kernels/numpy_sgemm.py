"""Peer for `Praxis.Bench.Kernels --quick`: numpy float32 matmul (OpenBLAS via libblas.so.3), same protocol.

Per size: warm up ~0.3 s, size a batch to ~0.2 s, time N batches, print the median GFLOP/s (min, max).
Run with Debian's interpreter, and for OpenBLAS's AVX-512 kernels unset the variables that force Haswell:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/Praxis.Bench.Kernels/numpy_sgemm.py [--sizes 1024,2048]
"""
import argparse
import ctypes
import os
import time

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="256,512,1024,2048")
    p.add_argument("--samples", type=int, default=7)
    p.add_argument("--sample-ms", type=int, default=200)
    args = p.parse_args()
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        blas = f"openblas core={lib.openblas_get_corename().decode()} threads={lib.openblas_get_num_threads()}"
    except (OSError, AttributeError):
        blas = "non-openblas"
    env = " ".join(f"{k}={os.environ.get(k, '-')}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"))
    print(f"# numpy sgemm quick: numpy={np.__version__} blas={blas} {env} samples={args.samples}", flush=True)
    rng = np.random.default_rng(42)
    for n in (int(s) for s in args.sizes.split(",")):
        a = rng.random((n, n), dtype=np.float32) - 0.5
        b = rng.random((n, n), dtype=np.float32) - 0.5
        c = np.empty((n, n), dtype=np.float32)
        flop = 2.0 * n ** 3
        t0, calls = time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.3 or calls < 3:
            np.matmul(a, b, out=c)
            calls += 1
        batch = max(1, round(calls * args.sample_ms / 1e3 / (time.perf_counter() - t0)))
        g = []
        for _ in range(args.samples):
            t0 = time.perf_counter()
            for _ in range(batch):
                np.matmul(a, b, out=c)
            g.append(flop * batch / (time.perf_counter() - t0) / 1e9)
        g.sort()
        print(f"numpy {n:<14} median_gflops={g[len(g) // 2]:7.1f} min={g[0]:.1f} max={g[-1]:.1f}", flush=True)


if __name__ == "__main__":
    main()
