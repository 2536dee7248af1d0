"""Writes test/golden/own/safetensors_dtypes.safetensors: tensors torch stores in the dtypes attn converts to
float32 on load (F16, BF16, F64), and torch's own conversion of each (`.float()`) as F32, so that attn's decoding
is checked bit for bit against PyTorch's:

  input.f16, input.bf16, input.f64    the values in half, bfloat16 and double (normal and subnormal values,
                                      ±0, ±Infinity, NaN, the extremes of each format, rounding cases)
  output.f16, output.bf16, output.f64 the same tensors `.float()`

Run with Debian's torch: /usr/bin/python3 scripts/golden/safetensors_dtypes.py
"""
import json
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "golden", "own",
                   "safetensors_dtypes.safetensors")
NAMES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64"}


def write(path, tensors, metadata):
    fields = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes()
        fields[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header = json.dumps(fields, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + b"".join(chunks))


def main():
    torch.manual_seed(0)
    special = [0.0, -0.0, 1.0, -2.5, float("inf"), float("-inf"), float("nan"), 1 / 3, -1e-3, 3.14159]
    f16 = torch.tensor(special + [65504.0, -65504.0, 6.103515625e-05, 5.960464477539063e-08, 2.0e-07, 1e-5],
                       dtype=torch.float64).to(torch.float16)
    f16 = torch.cat([f16, torch.randn(32, dtype=torch.float64).to(torch.float16)]).reshape(6, 8)
    bf16 = torch.tensor(special + [3.38e38, -3.38e38, 1.1754944e-38, 9.2e-41, 1e-40, 7.0e20], dtype=torch.float64)
    bf16 = torch.cat([bf16.to(torch.bfloat16), torch.randn(32).to(torch.bfloat16)]).reshape(3, 16)
    f64 = torch.tensor(special + [1e300, -1e300, 1e-300, 3.4028235677973366e38, 1.401298464324817e-45,
                                  0.1, 1 + 2 ** -24, 1 + 3 * 2 ** -24], dtype=torch.float64)
    f64 = torch.cat([f64, torch.randn(14, dtype=torch.float64)]).reshape(2, 2, 8)
    tensors = {"input.f16": f16, "input.bf16": bf16, "input.f64": f64,
               "output.f16": f16.float(), "output.bf16": bf16.float(), "output.f64": f64.float()}
    case = {"name": "safetensors_dtypes", "op": "safetensors_dtypes", "config": {"torch": torch.__version__},
            "semantics": "output.x = input.x.float() for the F16, BF16 and F64 inputs"}
    write(OUT, tensors, {"case": json.dumps(case)})


if __name__ == "__main__":
    main()
