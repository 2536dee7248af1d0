"""PyTorch side of `npx tsx bench/results.ts`: trains the same models as `attn train`, on the same ids, with the
same settings and wall-time budget, and reports throughput and dev results as JSON.

Everything comes from bench/export-data.ts, which reads the attn run's checkpoint: the training examples as the
CLI prepared them (its tokenizers, its length filters), the dev sources and references as `attn eval` reads them,
the model's hyper-parameters, and the run's resolved training settings (optimiser, lr, schedule, warm-up, batch
size, clipping, label smoothing, seed). Only the budget and the thread count are given here.

Every model mirrors attn's module for module, with attn's parameter names and PyTorch's default initialisation
(which attn's modules reproduce):
  gru-bahdanau     src/models/seq2seq/bahdanau-seq2seq.ts   enc_emb, enc, attn.{W1,W2,V}, dec_emb, dec, fc
  transformer      src/models/transformer-seq2seq/model.ts  src_embedding, tgt_embedding, encoder, decoder, generator
  bigru-attention  src/models/classifier/classifier.ts      embedding, encoder (BiGRU), pooling.{W,v}, classifier
  transformer-cls  src/models/classifier/classifier.ts      embedding, positions, encoder (stack), pooling, classifier

Usage: python3 torch_train.py --data data.json --budget SECONDS --threads N --out result.json [--hyps hyps.txt]
       python3 torch_train.py --data data.json --parity RUN_DIR   (the loss of one batch with attn's weights)
"""
import argparse
import json
import math
import random
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, SOS, EOS = 0, 1, 2


# ----------------------------------------------------------------------------------------------------------------
# Models


class AdditiveAttention(nn.Module):
    """score(q, k) = Vᵀ tanh(W1 k + W2 q), as src/attention/additive.ts (W1 k computed once per batch)."""

    def __init__(self, query_dim, key_dim, units):
        super().__init__()
        self.W1 = nn.Linear(key_dim, units)
        self.W2 = nn.Linear(query_dim, units)
        self.V = nn.Linear(units, 1)

    def attend(self, query, keys, memory, pad_mask):
        # query [B, H], keys [B, S, U] (W1·memory), memory [B, S, D], pad_mask bool [B, S] or None
        scores = self.V(torch.tanh(keys + self.W2(query).unsqueeze(1))).squeeze(-1)
        if pad_mask is not None:
            scores = scores.masked_fill(pad_mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return torch.bmm(weights.unsqueeze(1), memory).squeeze(1), weights


class BahdanauSeq2Seq(nn.Module):
    """GRU encoder + Bahdanau decoder (the classic tutorial's model), as attn's BahdanauSeq2Seq:

    encoder: dropout(enc_emb(src)) → enc (GRU, batch-first, packed by length); the decoder starts from its final
    state (bidirectional: tanh(bridge([h_fwd; h_rev])) per layer).
    decoder step t: context = attention(h_top, encoder outputs); h = GRU step([context; dropout(dec_emb(y))], h);
    logits = fc(dropout(h_top)).
    """

    def __init__(self, src_vocab, tgt_vocab, embedding_dim, hidden_size, attention_units, num_layers=1,
                 bidirectional=False, dropout=0.0):
        super().__init__()
        d = 2 if bidirectional else 1
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.hidden_size = hidden_size
        self.enc_emb = nn.Embedding(src_vocab, embedding_dim, padding_idx=PAD)
        self.enc = nn.GRU(embedding_dim, hidden_size, num_layers=num_layers, bidirectional=bidirectional,
                          dropout=dropout if num_layers > 1 else 0.0, batch_first=True)
        self.bridge = nn.Linear(2 * hidden_size, hidden_size) if bidirectional else None
        self.attn = AdditiveAttention(hidden_size, d * hidden_size, attention_units)
        self.dec_emb = nn.Embedding(tgt_vocab, embedding_dim, padding_idx=PAD)
        self.dec = nn.GRU(d * hidden_size + embedding_dim, hidden_size, num_layers=num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, tgt_vocab)
        self.enc_dropout = nn.Dropout(dropout)
        self.dec_dropout = nn.Dropout(dropout)

    def encode(self, src, src_len):
        x = self.enc_dropout(self.enc_emb(src))
        packed = pack_padded_sequence(x, src_len, batch_first=True, enforce_sorted=False)
        out, h = self.enc(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])
        if self.bidirectional:
            b = h.shape[1]
            h = h.view(self.num_layers, 2, b, self.hidden_size).permute(0, 2, 1, 3).reshape(
                self.num_layers, b, 2 * self.hidden_size)
            h = torch.tanh(self.bridge(h))
        pad_mask = src.eq(PAD)
        return memory, list(h.unbind(0)), (pad_mask if bool(pad_mask.any()) else None)

    def _layer_weights(self):
        return [(getattr(self.dec, f"weight_ih_l{i}"), getattr(self.dec, f"weight_hh_l{i}"),
                 getattr(self.dec, f"bias_ih_l{i}"), getattr(self.dec, f"bias_hh_l{i}"))
                for i in range(self.num_layers)]

    def _step(self, embedded, h, keys, memory, pad_mask, weights):
        context, alpha = self.attn.attend(h[-1], keys, memory, pad_mask)
        x = torch.cat([context, embedded], dim=-1)
        new_h = []
        for layer, (w_ih, w_hh, b_ih, b_hh) in enumerate(weights):
            if layer > 0:
                x = self.dec_dropout(new_h[-1])
            new_h.append(torch.gru_cell(x, h[layer], w_ih, w_hh, b_ih, b_hh))
        return new_h, alpha

    def forward(self, src, src_len, tgt_in, teacher_forcing=1.0):
        memory, h, pad_mask = self.encode(src, src_len)
        keys = self.attn.W1(memory)
        weights = self._layer_weights()
        steps = tgt_in.shape[1]
        if teacher_forcing >= 1.0:
            embedded = self.dec_dropout(self.dec_emb(tgt_in))
            outputs = []
            for t in range(steps):
                h, _ = self._step(embedded[:, t], h, keys, memory, pad_mask, weights)
                outputs.append(h[-1])
            return self.fc(self.dec_dropout(torch.stack(outputs, 1)))
        logits = []
        for t in range(steps):
            gold = t == 0 or (teacher_forcing > 0 and random.random() < teacher_forcing)
            tokens = tgt_in[:, t] if gold else logits[-1].argmax(-1)
            h, _ = self._step(self.dec_dropout(self.dec_emb(tokens)), h, keys, memory, pad_mask, weights)
            logits.append(self.fc(self.dec_dropout(h[-1])))
        return torch.stack(logits, 1)

    @torch.no_grad()
    def greedy(self, src, src_len, max_len):
        memory, h, pad_mask = self.encode(src, src_len)
        keys = self.attn.W1(memory)
        weights = self._layer_weights()
        b = src.shape[0]
        tokens = torch.full((b,), SOS, dtype=torch.long)
        out = []
        done = torch.zeros(b, dtype=torch.bool)
        for _ in range(max_len):
            h, _ = self._step(self.dec_emb(tokens), h, keys, memory, pad_mask, weights)
            tokens = self.fc(h[-1]).argmax(-1)
            out.append(tokens)
            done |= tokens.eq(EOS)
            if bool(done.all()):
                break
        return torch.stack(out, 1).tolist()


def sinusoidal_table(max_len, d_model):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(…), computed in double precision as attn does."""
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    freq = torch.pow(10000.0, -torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return pe.float()


class SinusoidalPositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len, dropout):
        super().__init__()
        self.register_buffer("pe", sinusoidal_table(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):  # [B, T, E]
        return self.dropout(x + self.pe[: x.shape[1]])


def encoder_stack(d_model, nhead, ff, dropout, layers, norm_first, activation, eps, final_norm):
    # attn draws every layer's weights afresh (torch's TransformerEncoder deep-copies one layer): build each.
    enc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(d_model, nhead, ff, dropout, activation, eps, batch_first=True,
                                   norm_first=norm_first),
        layers, norm=nn.LayerNorm(d_model, eps=eps) if final_norm else None, enable_nested_tensor=False)
    enc.layers = nn.ModuleList([
        nn.TransformerEncoderLayer(d_model, nhead, ff, dropout, activation, eps, batch_first=True,
                                   norm_first=norm_first) for _ in range(layers)])
    return enc


def decoder_stack(d_model, nhead, ff, dropout, layers, norm_first, activation, eps):
    dec = nn.TransformerDecoder(
        nn.TransformerDecoderLayer(d_model, nhead, ff, dropout, activation, eps, batch_first=True,
                                   norm_first=norm_first),
        layers, norm=nn.LayerNorm(d_model, eps=eps))
    dec.layers = nn.ModuleList([
        nn.TransformerDecoderLayer(d_model, nhead, ff, dropout, activation, eps, batch_first=True,
                                   norm_first=norm_first) for _ in range(layers)])
    return dec


class TransformerSeq2Seq(nn.Module):
    """As attn's TransformerSeq2Seq: embeddings N(0, 1/d) scaled by √d, sinusoidal positions with dropout,
    post-norm (or pre-norm) encoder and decoder stacks with final norms, a Linear generator (optionally tied)."""

    def __init__(self, src_vocab, tgt_vocab, d_model, nhead, num_encoder_layers, num_decoder_layers,
                 dim_feedforward, dropout, activation="relu", norm_first=False, max_len=512,
                 share_embeddings=False, tie_output=False, layer_norm_eps=1e-5):
        super().__init__()
        self.scale = math.sqrt(d_model)

        def embedding(vocab):
            e = nn.Embedding(vocab, d_model, padding_idx=PAD)
            with torch.no_grad():
                e.weight.mul_(1 / math.sqrt(d_model))
            return e

        self.src_embedding = embedding(src_vocab)
        self.tgt_embedding = self.src_embedding if share_embeddings else embedding(tgt_vocab)
        self.src_pos = SinusoidalPositionalEncoding(d_model, max_len, dropout)
        self.tgt_pos = SinusoidalPositionalEncoding(d_model, max_len, dropout)
        self.encoder = encoder_stack(d_model, nhead, dim_feedforward, dropout, num_encoder_layers, norm_first,
                                     activation, layer_norm_eps, True)
        self.decoder = decoder_stack(d_model, nhead, dim_feedforward, dropout, num_decoder_layers, norm_first,
                                     activation, layer_norm_eps)
        self.generator = nn.Linear(d_model, tgt_vocab)
        if tie_output:
            self.generator.weight = self.tgt_embedding.weight

    def encode(self, src):
        pad = src.eq(PAD)
        memory = self.encoder(self.src_pos(self.src_embedding(src) * self.scale), src_key_padding_mask=pad)
        return memory, pad

    def decode(self, tgt_in, memory, src_pad, tgt_padding=True):
        t = tgt_in.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        x = self.tgt_pos(self.tgt_embedding(tgt_in) * self.scale)
        hidden = self.decoder(x, memory, tgt_mask=causal,
                              tgt_key_padding_mask=tgt_in.eq(PAD) if tgt_padding else None,
                              memory_key_padding_mask=src_pad)
        return self.generator(hidden)

    def forward(self, src, src_len, tgt_in, teacher_forcing=1.0):
        memory, pad = self.encode(src)
        return self.decode(tgt_in, memory, pad)

    @torch.no_grad()
    def greedy(self, src, src_len, max_len):
        # PyTorch's decoder layers keep no key/value cache: each step reruns the decoder over the prefix.
        memory, pad = self.encode(src)
        b = src.shape[0]
        seq = torch.full((b, 1), SOS, dtype=torch.long)
        done = torch.zeros(b, dtype=torch.bool)
        for _ in range(max_len):
            nxt = self.decode(seq, memory, pad, tgt_padding=False)[:, -1].argmax(-1)
            seq = torch.cat([seq, nxt.unsqueeze(1)], 1)
            done |= nxt.eq(EOS)
            if bool(done.all()):
                break
        return seq[:, 1:].tolist()


class AttentionPooling(nn.Module):
    """score_j = vᵀ tanh(W h_j + b); α = softmax over non-padding tokens; pooled = Σ α_j h_j."""

    def __init__(self, input_dim, units):
        super().__init__()
        self.W = nn.Linear(input_dim, units)
        self.v = nn.Linear(units, 1, bias=False)

    def forward(self, h, pad_mask):
        scores = self.v(torch.tanh(self.W(h))).squeeze(-1).masked_fill(pad_mask, float("-inf"))
        weights = torch.softmax(scores, -1)
        return torch.bmm(weights.unsqueeze(1), h).squeeze(1), weights


class AttentionClassifier(nn.Module):
    """As attn's AttentionClassifier: dropout(embedding) → BiGRU (packed) or positions + Transformer encoder stack
    (no final norm) → attention pooling → classifier(dropout(pooled))."""

    def __init__(self, vocab, num_classes, embed_dim, encoder, hidden_size, num_layers, nhead, dim_feedforward,
                 max_len, attention_units, dropout):
        super().__init__()
        self.kind = encoder
        self.embedding = nn.Embedding(vocab, embed_dim, padding_idx=PAD)
        self.dropout = nn.Dropout(dropout)
        if encoder == "bigru":
            self.encoder = nn.GRU(embed_dim, hidden_size, num_layers=num_layers, bidirectional=True,
                                  dropout=dropout if num_layers > 1 else 0.0, batch_first=True)
            out_dim = 2 * hidden_size
        else:
            self.positions = SinusoidalPositionalEncoding(embed_dim, max_len, 0.0)
            self.encoder = encoder_stack(embed_dim, nhead, dim_feedforward, dropout, num_layers, False, "relu",
                                         1e-5, False)
            out_dim = embed_dim
        self.pooling = AttentionPooling(out_dim, attention_units or out_dim)
        self.classifier = nn.Linear(out_dim, num_classes)

    def forward(self, ids, lengths):
        pad = ids.eq(PAD)
        x = self.dropout(self.embedding(ids))
        if self.kind == "bigru":
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            h, _ = pad_packed_sequence(self.encoder(packed)[0], batch_first=True, total_length=ids.shape[1])
        else:
            h = self.encoder(self.positions(x), src_key_padding_mask=pad)
        pooled, _ = self.pooling(h, pad)
        return self.classifier(self.dropout(pooled))


def build_model(data):
    """The model of the run's architecture from its config.json hyper-parameters (the config names of src/models/registry.ts;
    attentionUnits 0 means the default width, as there)."""
    arch, cfg, vocab = data["arch"], data["config"], data["vocab"]
    units = cfg.get("attentionUnits") or None
    if arch == "gru-bahdanau":
        return BahdanauSeq2Seq(vocab["src"], vocab["tgt"], cfg["embeddingDim"], cfg["hiddenSize"],
                               units or cfg["hiddenSize"], cfg["numLayers"], cfg["bidirectional"], cfg["dropout"])
    if arch == "transformer":
        return TransformerSeq2Seq(vocab["src"], vocab["tgt"], cfg["dModel"], cfg["nhead"], cfg["numEncoderLayers"],
                                  cfg["numDecoderLayers"], cfg["dimFeedforward"], cfg["dropout"],
                                  norm_first=cfg["normFirst"], max_len=cfg["maxLen"])
    if arch in ("bigru-attention", "transformer-cls"):
        gru = arch == "bigru-attention"
        embed = cfg["embeddingDim"] if gru else cfg["dModel"]
        return AttentionClassifier(vocab["src"], len(data["labels"]), embed, "bigru" if gru else "transformer",
                                   cfg["hiddenSize"] if gru else embed, cfg["numLayers"], cfg.get("nhead", 4),
                                   cfg.get("dimFeedforward", 4 * embed), cfg.get("maxLen", 512), units,
                                   cfg["dropout"])
    raise ValueError(f"unknown architecture {arch}")


# ----------------------------------------------------------------------------------------------------------------
# Batching: attn's bucketBatches policy (src/data/batching.ts) — shuffle, buckets of `bucket` examples sorted by
# length, cut into batches of at most `batch_size`, batches shuffled. (The shuffles use Python's generator, not
# attn's: the same policy, not the same draws.)


def plan_batches(keys, batch_size, bucket, rng):
    order = list(range(len(keys)))
    rng.shuffle(order)
    batches = []
    for start in range(0, len(order), bucket):
        chunk = sorted(order[start:start + bucket], key=lambda i: keys[i])
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def pad(seqs, prefix=None, suffix=None):
    extra = (prefix is not None) + (suffix is not None)
    t = max(len(s) for s in seqs) + extra
    out = torch.zeros(len(seqs), t, dtype=torch.long)
    for row, s in enumerate(seqs):
        full = ([prefix] if prefix is not None else []) + list(s) + ([suffix] if suffix is not None else [])
        out[row, : len(full)] = torch.tensor(full, dtype=torch.long)
    return out, torch.tensor([len(s) + extra for s in seqs], dtype=torch.long)


def translation_batch(src, tgt, idx, source_eos):
    s, s_len = pad([src[i] for i in idx], suffix=EOS if source_eos else None)
    tin, _ = pad([tgt[i] for i in idx], prefix=SOS)
    tout, t_len = pad([tgt[i] for i in idx], suffix=EOS)
    return s, s_len, tin, tout, int(t_len.sum())


# ----------------------------------------------------------------------------------------------------------------
# Training and evaluation


def make_optimizer(args, model):
    params = [p for p in model.parameters() if p.requires_grad]
    if args.optimizer == "adam":
        return torch.optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    if args.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    if args.optimizer == "sgd":
        return torch.optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay)
    raise ValueError(f"unknown optimizer {args.optimizer}")


def lr_factor(args, step, total_steps):
    """The multiplier of lr for update `step` (1-based), as attn train's schedules (src/optim/schedules.ts)."""
    w = args.warmup
    if args.schedule == "inverse-sqrt":
        return min(step / w, math.sqrt(w / step))
    if args.schedule == "cosine":
        w = min(w, total_steps - 1)
        if step <= w:
            return step / w
        return 0.5 * (1 + math.cos(math.pi * min(1.0, (step - w) / (total_steps - w))))
    return min(1.0, step / w) if w > 0 else 1.0


class Batches:
    """The training examples and attn's batching of them (see plan_batches)."""

    def __init__(self, args, data):
        self.translate = data["task"] == "translate"
        self.args = args
        if self.translate:
            self.src, self.tgt = data["train"]["source"], data["train"]["target"]
            eos = 1 if args.source_eos else 0
            self.keys = [(len(s) + eos, len(t) + 1) for s, t in zip(self.src, self.tgt)]
        else:
            self.ids, self.labels = data["train"]["ids"], data["train"]["labels"]
            self.keys = [len(s) for s in self.ids]

    def epoch(self, rng):
        return plan_batches(self.keys, self.args.batch_size, self.args.bucket or 100 * self.args.batch_size, rng)

    def loss(self, model, idx):
        """The batch's mean loss, its tokens (target tokens with <eos>; input tokens for classifiers)."""
        a = self.args
        if self.translate:
            s, s_len, tin, tout, n = translation_batch(self.src, self.tgt, idx, a.source_eos)
            logits = model(s, s_len, tin, a.teacher_forcing)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tout.reshape(-1), ignore_index=PAD,
                                   label_smoothing=a.label_smoothing)
            return loss, n
        x, lengths = pad([self.ids[i] for i in idx])
        y = torch.tensor([self.labels[i] for i in idx], dtype=torch.long)
        return F.cross_entropy(model(x, lengths), y, label_smoothing=a.label_smoothing), int(lengths.sum())


def train(args, data, model):
    """Trains until the wall-time budget is spent (checked before every update, as attn train does), with a dev
    evaluation at the end of every completed epoch inside the budget (as attn train does; its time is reported
    apart and left out of the throughput)."""
    batches = Batches(args, data)
    rng = random.Random(args.seed)
    opt = make_optimizer(args, model)
    total_steps = args.max_steps or (args.epochs * len(batches.epoch(random.Random(0))) if args.epochs else 0)
    steps = tokens = examples = epochs = 0
    eval_seconds = 0.0
    losses, evaluations = [], []
    start = time.perf_counter()
    stop = False
    model.train()
    while not stop and (args.epochs <= 0 or epochs < args.epochs):
        for idx in batches.epoch(rng):
            if time.perf_counter() - start >= args.budget or (args.max_steps and steps >= args.max_steps):
                stop = True
                break
            for g in opt.param_groups:
                g["lr"] = args.lr * lr_factor(args, steps + 1, total_steps)
            opt.zero_grad(set_to_none=True)
            loss, n = batches.loss(model, idx)
            loss.backward()
            if args.clip > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            opt.step()
            steps += 1
            tokens += n
            examples += len(idx)
            value = loss.item()
            if not math.isfinite(value):
                raise FloatingPointError(f"loss is {value} at step {steps}")
            losses.append(value)
            if args.log_every and steps % args.log_every == 0:
                print(f"step {steps} epoch {epochs} loss {sum(losses[-args.log_every:]) / args.log_every:.4f} "
                      f"{time.perf_counter() - start:.0f}s", file=sys.stderr, flush=True)
        else:
            epochs += 1
            t0 = time.perf_counter()
            metrics, _ = evaluate(args, data, model)
            eval_seconds += time.perf_counter() - t0
            evaluations.append({"epoch": epochs, "step": steps, **metrics})
            print(f"eval after epoch {epochs}: {metrics}", file=sys.stderr, flush=True)
            model.train()
    seconds = time.perf_counter() - start
    step_seconds = seconds - eval_seconds
    tail = losses[-50:]
    return {
        "trainSeconds": seconds, "evalSecondsInBudget": eval_seconds, "steps": steps, "completedEpochs": epochs,
        "tokens": tokens, "examples": examples, "tokensPerSecond": tokens / step_seconds,
        "sequencesPerSecond": examples / step_seconds, "finalLoss": sum(tail) / max(1, len(tail)),
        "evaluations": evaluations,
    }


@torch.no_grad()
def evaluate(args, data, model):
    """Dev metrics as `attn eval` computes them. Translation: greedy decoding in batches of sources sorted by
    length, at most 2 × the batch's longest source + 10 tokens (attn's default), hypotheses as the target
    tokenizer's text (tokens joined by spaces); BLEU is computed by the harness with attn's corpusBleu."""
    model.eval()
    dev = data["dev"]
    start = time.perf_counter()
    if data["task"] == "translate":
        eos = [EOS] if args.source_eos else []
        src = [list(s) + eos for s in dev["source"]]
        order = sorted(range(len(src)), key=lambda i: len(src[i]))
        hyps = [None] * len(src)
        for b in range(0, len(order), args.eval_batch_size):
            idx = order[b:b + args.eval_batch_size]
            s, s_len = pad([src[i] for i in idx])
            for i, out in zip(idx, model.greedy(s, s_len, 2 * int(s_len.max()) + 10)):
                words = []
                for t in out:
                    if t == EOS:
                        break
                    if t not in (PAD, SOS):
                        words.append(data["targetTokens"][t])
                hyps[i] = " ".join(words)
        return {"decodeSeconds": time.perf_counter() - start}, hyps
    ids, labels = dev["ids"], dev["labels"]
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    correct = 0
    loss_sum = 0.0
    for b in range(0, len(order), args.eval_batch_size):
        idx = order[b:b + args.eval_batch_size]
        x, lengths = pad([ids[i] for i in idx])
        y = torch.tensor([labels[i] for i in idx], dtype=torch.long)
        logits = model(x, lengths)
        loss_sum += F.cross_entropy(logits, y, reduction="sum").item()
        correct += int(logits.argmax(-1).eq(y).sum())
    return {"accuracy": correct / len(ids), "loss": loss_sum / len(ids),
            "evalSeconds": time.perf_counter() - start}, None


def read_safetensors(path):
    """The tensors of a safetensors file (8-byte little-endian header length, JSON header, raw data)."""
    import struct
    dtypes = {"F32": torch.float32, "I32": torch.int32, "I64": torch.int64, "U8": torch.uint8}
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        buf = bytearray(raw[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(buf, dtype=dtypes[info["dtype"]]).reshape(info["shape"]).clone()
    return out


@torch.no_grad()
def parity_loss(data, model, run, count):
    """The loss of the first `count` training examples (one batch, in order, no dropout) with the attn run's
    weights loaded by name — what bench/results/parity.ts computes with attn."""
    import os
    latest = json.load(open(os.path.join(run, "latest.json")))["latest"]
    weights = read_safetensors(os.path.join(run, latest, "model.safetensors"))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise SystemExit(f"parity: the PyTorch model's names differ from attn's: missing {missing}, "
                         f"unexpected {unexpected}")
    model.eval()
    if data["task"] == "translate":
        idx = list(range(count))
        s, s_len, tin, tout, _ = translation_batch(data["train"]["source"], data["train"]["target"], idx,
                                                   bool(data.get("sourceEos")))
        logits = model(s, s_len, tin)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tout.reshape(-1), ignore_index=PAD).item()
    x, lengths = pad(data["train"]["ids"][:count])
    y = torch.tensor(data["train"]["labels"][:count], dtype=torch.long)
    return F.cross_entropy(model(x, lengths), y).item()


def settings_from(data, args):
    """attn's resolved training settings (the run's config.json), with the budget and threads given here."""
    t = data["training"]
    return argparse.Namespace(
        budget=args.budget, threads=args.threads, log_every=args.log_every, seed=int(t["seed"]),
        epochs=int(t.get("epochs") or 0), max_steps=int(t.get("maxSteps") or 0),
        optimizer=t["optimizer"], lr=float(t["lr"]), weight_decay=float(t["weightDecay"]),
        momentum=float(t.get("momentum", 0.9)), schedule=t["schedule"], warmup=int(t["warmup"]),
        batch_size=int(t["batchSize"]), clip=float(t["clip"]), label_smoothing=float(t["labelSmoothing"]),
        # attn train: teacher forcing throughout, <eos> after every source, attn's batching defaults.
        teacher_forcing=1.0, source_eos=bool(data.get("sourceEos")), bucket=0,
        eval_batch_size=max(int(t["batchSize"]), 64))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="JSON written by bench/export-data.ts")
    p.add_argument("--out", help="where the result JSON goes")
    p.add_argument("--hyps", help="translation: where the dev hypotheses go, one line per dev pair")
    p.add_argument("--budget", type=float, help="training wall-time budget, seconds")
    p.add_argument("--parity", metavar="RUN_DIR", help="only print the loss of one batch with the attn run's weights")
    p.add_argument("--parity-count", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--log-every", type=int, default=0)
    cli = p.parse_args()
    with open(cli.data, encoding="utf-8") as f:
        data = json.load(f)
    args = settings_from(data, cli)
    if cli.parity:
        torch.set_num_threads(cli.threads)
        print(json.dumps({"loss": parity_loss(data, build_model(data), cli.parity, cli.parity_count),
                          "count": cli.parity_count}))
        return
    if cli.budget is None or cli.out is None:
        raise SystemExit("--budget and --out are needed to train")

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    model = build_model(data)
    result = {"impl": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(), "arch": data["arch"],
              "parameters": sum(p.numel() for p in model.parameters()), "settings": vars(args)}
    result.update(train(args, data, model))
    metrics, hyps = evaluate(args, data, model)
    result["dev"] = metrics
    if hyps is not None:
        if not cli.hyps:
            raise SystemExit("--hyps is needed for a translation model")
        with open(cli.hyps, "w", encoding="utf-8") as f:
            f.write("".join(h + "\n" for h in hyps))
    with open(cli.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "settings"}))


if __name__ == "__main__":
    main()
