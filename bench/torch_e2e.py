"""PyTorch side of the end-to-end benchmarks (bench/e2e/config.ts holds the shapes; they are repeated here).

Each model is the idiomatic PyTorch 1.13 equivalent of attn's: same layers, shapes, loss and optimiser, so every
implementation does the same arithmetic per step. Prints one JSON object per bench on stdout.
Usage: python3 torch_e2e.py [--quick] [--threads N] NAME [NAME ...]
"""
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from blas_info import warn_if_unoptimised

NMT = dict(src_vocab=8000, tgt_vocab=8000, embedding=256, hidden=512, units=512, batch=64, src_len=16, tgt_len=16,
           lr=1e-3)
CLS = dict(vocab=8000, d=256, heads=4, ff=1024, layers=4, seq_len=128, batch=32, classes=2, lr=1e-3, wd=0.01)
DEC = dict(vocab=8000, d=512, heads=8, ff=2048, enc_layers=6, dec_layers=6, src_len=20, steps=20, beam=4, sos=1)


def token_ids(count, vocab, seed):
    """The same xorshift32 ids as tokenIds in bench/e2e/config.ts."""
    out, s = [], (seed & 0xFFFFFFFF) or 1
    for _ in range(count):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        out.append(1 + s % (vocab - 1))
    return torch.tensor(out, dtype=torch.long)


def reps(name, quick):
    training = name.startswith("train_")
    return (1 if quick else 2), (1 if quick else (8 if training else 5))


def time_it(fn, warmup, count, best=False):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(count):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) if best else sum(times) / len(times)


class Bahdanau(nn.Module):
    """score = Vᵀ tanh(W1 k + W2 h); W1 k computed once per batch."""

    def __init__(self, hidden, enc, units):
        super().__init__()
        self.W1 = nn.Linear(enc, units)
        self.W2 = nn.Linear(hidden, units)
        self.V = nn.Linear(units, 1)

    def forward(self, h, keys, values):
        scores = self.V(torch.tanh(keys + self.W2(h).unsqueeze(1))).squeeze(-1)  # [B, S]
        weights = torch.softmax(scores, -1)
        return torch.bmm(weights.unsqueeze(1), values).squeeze(1), weights


class NMTModel(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.enc_emb = nn.Embedding(c["src_vocab"], c["embedding"], padding_idx=0)
        self.enc = nn.GRU(c["embedding"], c["hidden"], batch_first=True)
        self.attn = Bahdanau(c["hidden"], c["hidden"], c["units"])
        self.dec_emb = nn.Embedding(c["tgt_vocab"], c["embedding"], padding_idx=0)
        self.dec = nn.GRUCell(c["hidden"] + c["embedding"], c["hidden"])
        self.fc = nn.Linear(c["hidden"], c["tgt_vocab"])

    def loss(self, src, tgt_in, tgt_out):
        memory, h = self.enc(self.enc_emb(src))
        h = h[0]
        keys = self.attn.W1(memory)
        emb = self.dec_emb(tgt_in)
        outputs = []
        for t in range(tgt_in.shape[1]):
            context, _ = self.attn(h, keys, memory)
            h = self.dec(torch.cat([context, emb[:, t]], -1), h)
            outputs.append(h)
        logits = self.fc(torch.stack(outputs, 1))
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=0)


def nmt_step():
    torch.manual_seed(0)
    c = NMT
    model = NMTModel(c)
    opt = torch.optim.Adam(model.parameters(), lr=c["lr"])
    b, s, t = c["batch"], c["src_len"], c["tgt_len"]
    src = token_ids(b * s, c["src_vocab"], 1).view(b, s)
    tgt = token_ids(b * (t + 1), c["tgt_vocab"], 2).view(b, t + 1)
    tgt_in, tgt_out = tgt[:, :-1].contiguous(), tgt[:, 1:].contiguous()

    def step():
        opt.zero_grad(set_to_none=True)
        model.loss(src, tgt_in, tgt_out).backward()
        opt.step()

    return step


def sinusoid(max_len, d):
    pos = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
    div = torch.exp(torch.arange(0, d, 2, dtype=torch.float32) * (-math.log(10000.0) / d))
    pe = torch.zeros(max_len, d)
    pe[:, 0::2] = torch.sin(pos * div)
    pe[:, 1::2] = torch.cos(pos * div)
    return pe


class Classifier(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = c["d"]
        self.embedding = nn.Embedding(c["vocab"], d, padding_idx=0)
        self.register_buffer("pe", sinusoid(c["seq_len"], d))
        layer = nn.TransformerEncoderLayer(d, c["heads"], c["ff"], dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, c["layers"], enable_nested_tensor=False)
        self.W = nn.Linear(d, d)
        self.v = nn.Linear(d, 1, bias=False)
        self.classifier = nn.Linear(d, c["classes"])

    def forward(self, ids):
        mask = ids == 0
        x = self.embedding(ids) + self.pe[: ids.shape[1]]
        h = self.encoder(x, src_key_padding_mask=mask)
        scores = self.v(torch.tanh(self.W(h))).squeeze(-1).masked_fill(mask, float("-inf"))
        weights = torch.softmax(scores, -1)
        return self.classifier(torch.bmm(weights.unsqueeze(1), h).squeeze(1))


def cls_step():
    torch.manual_seed(0)
    c = CLS
    model = Classifier(c)
    opt = torch.optim.AdamW(model.parameters(), lr=c["lr"], weight_decay=c["wd"])
    x = token_ids(c["batch"] * c["seq_len"], c["vocab"], 3).view(c["batch"], c["seq_len"])
    y = token_ids(c["batch"], c["vocab"], 4) % c["classes"]

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    return step


class Translator(nn.Module):
    """Transformer-base (post-norm, ReLU, final norms), sinusoidal positions, embeddings scaled by √d."""

    def __init__(self, c):
        super().__init__()
        d = c["d"]
        self.d = d
        self.src_embedding = nn.Embedding(c["vocab"], d, padding_idx=0)
        self.tgt_embedding = nn.Embedding(c["vocab"], d, padding_idx=0)
        self.register_buffer("pe", sinusoid(512, d))
        self.transformer = nn.Transformer(d, c["heads"], c["enc_layers"], c["dec_layers"], c["ff"], dropout=0.0,
                                          batch_first=True)
        self.generator = nn.Linear(d, c["vocab"])

    def encode(self, src):
        mask = src == 0
        x = self.src_embedding(src) * math.sqrt(self.d) + self.pe[: src.shape[1]]
        return self.transformer.encoder(x, src_key_padding_mask=mask), mask

    def embed_target(self, ids, offset):
        return self.tgt_embedding(ids) * math.sqrt(self.d) + self.pe[offset: offset + ids.shape[1]]

    def step_nocache(self, prefix, memory, mem_mask):
        """Reruns the decoder over the whole prefix; log-probabilities of the last position."""
        t = prefix.shape[1]
        causal = torch.triu(torch.full((t, t), float("-inf")), 1)
        x = self.transformer.decoder(self.embed_target(prefix, 0), memory, tgt_mask=causal,
                                     memory_key_padding_mask=mem_mask)
        return torch.log_softmax(self.generator(x[:, -1]), -1)

    def cross_kv(self, memory):
        """Per decoder layer, the memory's cross-attention keys and values, [B, H, S, dh] (once per source)."""
        out = []
        for layer in self.transformer.decoder.layers:
            w, b = layer.multihead_attn.in_proj_weight, layer.multihead_attn.in_proj_bias
            d = self.d
            k = F.linear(memory, w[d: 2 * d], b[d: 2 * d])
            v = F.linear(memory, w[2 * d:], b[2 * d:])
            out.append((self.heads(k), self.heads(v)))
        return out

    def heads(self, x):
        b, t, d = x.shape
        h = DEC["heads"]
        return x.view(b, t, h, d // h).transpose(1, 2)

    def attend(self, q, k, v, mha, mask=None):
        b, _, t, dh = q.shape
        s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(dh)
        if mask is not None:
            s = s.masked_fill(mask[:, None, None, :], float("-inf"))
        o = torch.matmul(torch.softmax(s, -1), v).transpose(1, 2).reshape(b, t, self.d)
        return mha.out_proj(o)

    def step_cached(self, ids, pos, cache, cross, mem_mask):
        """One token per row through every decoder layer with its self-attention key/value cache."""
        x = self.embed_target(ids, pos)
        d = self.d
        new_cache = []
        for layer, (sk, sv), (ck, cv) in zip(self.transformer.decoder.layers, cache, cross):
            sa = layer.self_attn
            q, k, v = F.linear(x, sa.in_proj_weight, sa.in_proj_bias).split(d, -1)
            k = self.heads(k) if sk is None else torch.cat([sk, self.heads(k)], 2)
            v = self.heads(v) if sv is None else torch.cat([sv, self.heads(v)], 2)
            new_cache.append((k, v))
            x = layer.norm1(x + self.attend(self.heads(q), k, v, sa))
            ca = layer.multihead_attn
            q = F.linear(x, ca.in_proj_weight[:d], ca.in_proj_bias[:d])
            x = layer.norm2(x + self.attend(self.heads(q), ck, cv, ca, mem_mask))
            x = layer.norm3(x + layer.linear2(F.relu(layer.linear1(x))))
        x = self.transformer.decoder.norm(x)
        return torch.log_softmax(self.generator(x[:, -1]), -1), new_cache


def decode_run(beam, use_cache):
    torch.manual_seed(0)
    c = DEC
    model = Translator(c).eval()
    src = token_ids(c["src_len"], c["vocab"], 5).view(1, -1)
    k = c["beam"] if beam else 1

    def run():
        with torch.no_grad():
            memory, mask = model.encode(src)
            memory, mask = memory.expand(k, -1, -1), mask.expand(k, -1)
            cross = model.cross_kv(memory) if use_cache else None
            cache = [(None, None)] * c["dec_layers"]
            tokens = torch.full((k, 1), c["sos"], dtype=torch.long)
            prefix = tokens
            scores = torch.zeros(k)
            scores[1:] = float("-inf")  # beams start identical: only the first is live
            for t in range(c["steps"]):
                if use_cache:
                    lp, cache = model.step_cached(tokens, t, cache, cross, mask)
                else:
                    lp = model.step_nocache(prefix, memory, mask)
                if beam:
                    top, idx = (scores[:, None] + lp).view(-1).topk(k)
                    rows, tokens = idx // lp.shape[1], (idx % lp.shape[1]).view(k, 1)
                    scores = top
                    cache = [(sk[rows], sv[rows]) for sk, sv in cache] if use_cache else cache
                    prefix = torch.cat([prefix[rows], tokens], 1)
                else:
                    tokens = lp.argmax(-1, keepdim=True)
                    prefix = torch.cat([prefix, tokens], 1)
            return prefix

    return run


def run(name, quick):
    warmup, count = reps(name, quick)
    if name == "train_nmt_gru_bahdanau":
        return NMT["batch"] * NMT["tgt_len"] / time_it(nmt_step(), warmup, count), "tokens/s"
    if name == "train_transformer_cls":
        return CLS["batch"] / time_it(cls_step(), warmup, count), "sequences/s"
    modes = {"decode_greedy_ms": (False, True), "decode_beam4_ms": (True, True),
             "decode_greedy_nocache_ms": (False, False), "decode_beam4_nocache_ms": (True, False)}
    if name in modes:
        return 1000 * time_it(decode_run(*modes[name]), warmup, count, best=True), "ms"
    raise SystemExit(f"unknown bench {name}")


def main(argv):
    quick = "--quick" in argv
    threads = torch.get_num_threads()
    names = []
    i = 0
    while i < len(argv):
        if argv[i] == "--threads":
            threads = int(argv[i + 1])
            i += 2
            continue
        if argv[i] != "--quick":
            names.append(argv[i])
        i += 1
    torch.set_num_threads(threads)
    wait = os.environ.get("OMP_WAIT_POLICY")
    blas = warn_if_unoptimised("torch_e2e")
    impl = f"pytorch {torch.__version__} ({torch.get_num_threads()} threads, {blas}" + (f", OMP_WAIT_POLICY={wait})" if wait else ")")
    for name in names:
        value, unit = run(name, quick)
        print(json.dumps({"bench": name, "value": value, "unit": unit, "impl": impl}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
