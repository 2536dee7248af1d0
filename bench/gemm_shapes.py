"""PyTorch's side of bench/gemm-shapes.ts: torch.mm on the shapes it names, one round per input line.

Reads lines from stdin: the first is a JSON list of [m, n, k, trans_a, trans_b]; each later line asks for one
round and gets a JSON list of GFLOP/s (best of the round's repetitions, one per shape). A transposed operand is
stored transposed and handed to torch.mm as a .t() view, which OpenBLAS reads without a copy, as attn's matmul
reads it.
"""
import json
import sys
import time

import torch
from blas_info import set_threads


def operands(m, n, k, ta, tb):
    a = torch.randn(k, m).t() if ta else torch.randn(m, k)
    b = torch.randn(n, k).t() if tb else torch.randn(k, n)
    return a, b, torch.empty(m, n)


def gflops(shape, ops, seconds):
    m, n, k = shape[:3]
    a, b, c = ops
    reps = max(3, int(seconds * 1e11 / (2 * m * n * k)))
    torch.mm(a, b, out=c)
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - t)
    return 2 * m * n * k / best / 1e9


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    info = set_threads(threads, "gemm_shapes")
    shapes = json.loads(sys.stdin.readline())
    ops = [operands(*s) for s in shapes]
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        seconds = float(line)
        print(json.dumps([gflops(s, o, seconds) for s, o in zip(shapes, ops)]), flush=True)


if __name__ == "__main__":
    main()
