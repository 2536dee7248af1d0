"""PyTorch side of `npm run bench`: the same shapes as bench/attn-benches.ts, one JSON object per line.

Attention is composed (PyTorch 1.13 has no fused CPU kernel): softmax(q·kᵀ·scale + mask)·v, backward by autograd.
Usage: python3 torch_bench.py NAME [NAME ...]   (names as in bench/names.ts)
"""
import json
import os
import resource
import sys
import time

import torch

torch.set_num_threads(os.cpu_count() or 1)


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
    reps = max(3, int(2e9 / (2 * n**3)))
    ms = best_ms(lambda: torch.mm(a, b), reps)
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


def peak_mib(t):
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


if len(sys.argv) == 3 and sys.argv[1] == "--peak":
    value, unit = run(sys.argv[2])
    print(json.dumps({"bench": sys.argv[2], "value": value, "unit": unit, "impl": f"pytorch {torch.__version__}"}))
    sys.exit(0)

for name in sys.argv[1:]:
    # The peak-memory bench runs in its own process so earlier benches do not raise the high-water mark.
    if name.startswith("attention_peak"):
        import subprocess

        out = subprocess.run([sys.executable, __file__, "--peak", name], capture_output=True, text=True)
        print(out.stdout.strip() or json.dumps({"bench": name, "error": out.stderr.strip()[-300:]}), flush=True)
        continue
    value, unit = run(name)
    print(json.dumps({"bench": name, "value": value, "unit": unit, "impl": f"pytorch {torch.__version__}"}), flush=True)
