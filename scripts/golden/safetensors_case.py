"""Writes one golden case in the format of ../shared/fixtures/torch (see test/golden/fixtures.ts): a safetensors
file (8-byte little-endian header length, JSON header, raw little-endian data) whose tensors are named input.*,
param.*, output.*, grad.input.*, grad.param.*, with the case as JSON in __metadata__.case. Written by hand because
the safetensors package is not installed beside Debian's torch."""
import json
import os
import struct

import torch

DTYPES = {torch.float32: "F32", torch.int32: "I32", torch.uint8: "U8"}
OUT_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "test", "golden", "own")
LOSS = "L = sum over outputs o of sum(output.o * input.upstream_o); grads are dL/d(.)"


def write_case(name, op, config, semantics, tensors):
    """tensors: name -> tensor (float tensors are stored as float32, bool as U8)."""
    header = {}
    chunks = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key].detach().contiguous()
        if t.dtype == torch.bool:
            t = t.to(torch.uint8)
        elif t.is_floating_point():
            t = t.to(torch.float32)
        data = t.numpy().tobytes()
        header[key] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    case = {"name": name, "op": op, "config": config, "semantics": semantics, "loss": LOSS, "torch": torch.__version__}
    header["__metadata__"] = {"case": json.dumps(case, sort_keys=True)}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    os.makedirs(OUT_DIR, exist_ok=True)
    with open(os.path.join(OUT_DIR, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for c in chunks:
            f.write(c)
