"""PyTorch side of `npm run bench`: the same shapes as bench/attn-benches.ts, one JSON object per line.

Attention is composed (PyTorch 1.13 has no fused CPU kernel): softmax(q·kᵀ·scale + mask)·v, backward by autograd.
Usage: python3 torch_bench.py [--threads N] NAME [NAME ...]   (names as in bench/names.ts)

--threads N (default: all cores) sets both of PyTorch's thread counts: ATen's intra-op pool (its own kernels:
softmax, masking, autograd) and OpenBLAS's, which runs torch.mm and torch.matmul here and ignores
torch.set_num_threads. Each result line carries the counts in effect, as "threads" and "blas_threads".
"""
import json
import os
import resource
import sys
import time

import torch
from blas_info import set_threads


def best_ms(fn, reps, warmup=1):
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def matmul(n):
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    reps = max(10, int(3e10 / (2 * n**3)))  # as bench/attn-benches.ts
    ms = best_ms(lambda: torch.mm(a, b), reps, warmup=3)
    return 2 * n**3 / (ms / 1000) / 1e9


def attention_step(b, h, t, d, causal):
    q = torch.randn(b, h, t, d, requires_grad=True)
    k = torch.randn(b, h, t, d, requires_grad=True)
    v = torch.randn(b, h, t, d, requires_grad=True)
    d_out = torch.randn(b, h, t, d)
    mask = torch.ones(t, t, dtype=torch.bool).triu(1) if causal else None

    def step():
        s = torch.matmul(q, k.transpose(-1, -2)) * (d**-0.5)
        if mask is not None:
            s = s.masked_fill(mask, float("-inf"))
        o = torch.matmul(torch.softmax(s, dim=-1), v)
        o.backward(d_out)
        q.grad = k.grad = v.grad = None

    return step


def resident_kib():
    """VmRSS and VmHWM of this process in KiB, or None where /proc does not give them."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def peak_mib(t):
    """Growth of resident memory over one step, as bench/peak-memory.ts measures attn's: the kernel's
    high-water mark reset first (Linux), else the growth of ru_maxrss."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        reset = resident_kib() is not None
    except OSError:
        reset = False
    if reset:
        before = resident_kib()[0]
        attention_step(1, 1, t, 64, False)()
        return (resident_kib()[1] - before) / 1024
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    attention_step(1, 1, t, 64, False)()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024


def run(name):
    if name.startswith("matmul_"):
        return matmul(int(name.split("_")[1])), "GFLOP/s"
    if name.startswith("attention_fwd_bwd_T"):
        rest = name[len("attention_fwd_bwd_T"):]
        t = int(rest.split("_")[0])
        step = attention_step(4, 8, t, 64, rest.endswith("_causal"))
        return best_ms(step, 3), "ms"
    if name == "attention_peak_mib_T16384":
        return peak_mib(16384), "MiB"
    raise SystemExit(f"unknown bench {name}")


def result(name, value, unit, counts):
    return json.dumps({"bench": name, "value": value, "unit": unit, "impl": f"pytorch {torch.__version__}", **counts})


args = sys.argv[1:]
threads = os.cpu_count() or 1
if len(args) >= 2 and args[0] == "--threads":
    threads = int(args[1])
    args = args[2:]
counts = set_threads(threads, "torch_bench")

if len(args) == 2 and args[0] == "--peak":
    value, unit = run(args[1])
    print(result(args[1], value, unit, counts))
    sys.exit(0)

for name in args:
    # The peak-memory bench runs in its own process so earlier benches do not raise the high-water mark.
    if name.startswith("attention_peak"):
        import subprocess

        cmd = [sys.executable, __file__, "--threads", str(threads), "--peak", name]
        out = subprocess.run(cmd, capture_output=True, text=True)
        print(out.stdout.strip() or json.dumps({"bench": name, "error": out.stderr.strip()[-300:]}), flush=True)
        continue
    value, unit = run(name)
    print(result(name, value, unit, counts), flush=True)
