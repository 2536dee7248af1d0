"""PyTorch versions of attn's five architectures, written by `attn export --format pytorch`.

Needs only torch (numpy is not used). The modules mirror attn's module for module, with the same state-dict
names, so attn's weights load with `load_state_dict(strict=True)` and a model trained here loads back into attn:

  gru-bahdanau     enc_emb, enc (GRU), bridge, attn.{W1,W2,V}, dec_emb, dec (GRU), fc
  gru-luong        enc_emb, enc (GRU), bridge, dec_emb, dec (GRU), attn.{W | W,v}, W_c, fc
  transformer      src_embedding, tgt_embedding, encoder, decoder (torch.nn.Transformer* layers), generator
  bigru-attention  embedding, encoder (BiGRU), pooling.{W,v}, classifier
  transformer-cls  embedding, encoder (torch.nn.TransformerEncoder, no final norm), pooling.{W,v}, classifier

Ids: 0 <pad>, 1 <sos>, 2 <eos>, 3 <unk> in every vocabulary. Batches are right-padded with 0; `lengths` says
where each sequence ends, and padding never changes the result for the real tokens.

  model = load_model("export-dir")                    # config.json + weights.safetensors + tokenizers.json
  model(src, src_lengths, tgt_in)                      # translation: logits [B, T, V]
  model(ids, lengths)                                  # classification: logits [B, C]
  greedy_translate(model, ["a sentence", ...])         # the translations, as attn's greedy decoding
  classify(model, ["a text", ...])                     # [(label, probability), ...]
"""
import json
import math
import os
import struct
import unicodedata

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, SOS, EOS, UNK = 0, 1, 2, 3

# ---------------------------------------------------------------------------------------------------------------
# safetensors: an 8-byte little-endian header length N, N bytes of JSON
# {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the raw little-endian
# data (offsets relative to its start).

_DTYPES = {
    "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64,
    "I32": torch.int32, "I64": torch.int64, "U8": torch.uint8, "BOOL": torch.bool,
}
_NAMES = {dtype: name for name, dtype in _DTYPES.items()}


def read_safetensors(path):
    """The tensors of a safetensors file by name (copies, in the file's dtypes)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {info['dtype']}")
        begin, end = info["data_offsets"]
        data = bytearray(raw[8 + n + begin:8 + n + end])
        dtype = _DTYPES[info["dtype"]]
        flat = torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)
        out[name] = flat.reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes tensors (sorted by name, contiguous, little-endian) as safetensors, as attn writes them. The file
    appears complete or not at all (written beside it, then renamed)."""
    fields, chunks, offset = {}, [], 0
    if metadata:
        fields["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        if t.dtype not in _NAMES:
            raise ValueError(f"write_safetensors: tensor {name!r} has dtype {t.dtype}, which this writer does not")
        data = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b""
        fields[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    header = json.dumps(fields, separators=(",", ":")).encode("utf-8")
    header += b" " * (-len(header) % 8)  # the data starts 8-byte aligned
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(header)))
        f.write(header)
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------------------------
# Tokenizers: attn's word and char tokenizers (src/data/normalize.ts, word-tokenizer.ts, char-tokenizer.ts).

DEFAULT_PUNCTUATION = '.,!?;:"()[]{}¿¡«»…'


class Tokenizer:
    """attn's word or char tokenizer from its tokenizers.json entry: normalise (lower case → strip accents →
    Unicode normal form → spaces around punctuation → collapsed whitespace), split into words or code points,
    look each up in the vocabulary (<unk> when missing)."""

    def __init__(self, spec):
        kind = spec.get("type")
        if kind not in ("word", "char"):
            raise ValueError(f"tokenizer type {kind!r}: this Python tokenizer reads attn's word and char "
                             "tokenizers; encode with attn and pass ids for others")
        self.kind = kind
        norm = {"unicode": "NFD", "stripAccents": False, "lowercase": True, "spacePunctuation": kind == "word",
                "punctuation": DEFAULT_PUNCTUATION, "collapseWhitespace": True}
        norm.update(spec.get("normalize") or {})
        self.norm = norm
        self.tokens = list(spec["vocabulary"]["tokens"])
        self.ids = {t: i for i, t in enumerate(self.tokens)}

    def normalize(self, text):
        o = self.norm
        if o["lowercase"]:
            text = text.lower()
        if o["stripAccents"]:
            text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.category(c).startswith("M"))
        if o["unicode"] != "none":
            text = unicodedata.normalize(o["unicode"], text)
        if o["spacePunctuation"] and o["punctuation"]:
            text = "".join(f" {c} " if c in o["punctuation"] else c for c in text)
        if o["collapseWhitespace"]:
            text = " ".join(text.split())
        return text

    def encode(self, text):
        text = self.normalize(text)
        pieces = text.split() if self.kind == "word" else list(text)
        return [self.ids.get(p, UNK) for p in pieces]

    def decode(self, ids):
        words = []
        for i in ids:
            if i == EOS:
                break
            if i not in (PAD, SOS):
                words.append(self.tokens[i] if 0 <= i < len(self.tokens) else "<unk>")
        return (" " if self.kind == "word" else "").join(words)


# ---------------------------------------------------------------------------------------------------------------
# Shared parts


def padding_mask(lengths, length):
    """bool [B, S]: True at the padding after each sequence's `lengths` real tokens (torch's mask convention)."""
    return torch.arange(length, device=lengths.device).unsqueeze(0) >= lengths.unsqueeze(1)


def run_gru(gru, x, lengths):
    """A batch-first GRU over right-padded x that stops at each sequence's end: outputs zero at padding, final
    states taken after each sequence's last real step (attn's GRU with lengths)."""
    packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, h = gru(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    return out, h


def sinusoidal_table(max_len, d_model):
    """PE[pos, 2i] = sin(pos / 10000^(2i/d)), PE[pos, 2i+1] = cos(…), in double precision as attn computes it."""
    pos = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    freq = torch.pow(10000.0, -torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)[:, : d_model // 2]
    return pe.float()


class SinusoidalPositions(nn.Module):
    """output = dropout(x + PE[offset : offset + T]); PE is a buffer, not in the state dict (as attn)."""

    def __init__(self, d_model, max_len, dropout):
        super().__init__()
        self.register_buffer("pe", sinusoidal_table(max_len, d_model), persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x, offset=0):  # [B, T, E]
        return self.dropout(x + self.pe[offset:offset + x.shape[1]])


def masked_softmax(scores, mask):
    """softmax over the last axis with masked (True) positions at zero weight."""
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    return torch.softmax(scores, dim=-1)


# ---------------------------------------------------------------------------------------------------------------
# RNN encoder–decoders


class RNNSeq2Seq(nn.Module):
    """What gru-bahdanau and gru-luong share: enc_emb → dropout → enc (GRU, packed by length), the decoder's
    initial state (bidirectional: h_l = tanh(bridge([h_l,fwd; h_l,rev])) per layer), and greedy decoding."""

    def __init__(self, cfg, src_vocab, tgt_vocab):
        super().__init__()
        e, h, layers = cfg["embeddingDim"], cfg["hiddenSize"], cfg["numLayers"]
        self.hidden_size, self.num_layers, self.bidirectional = h, layers, cfg["bidirectional"]
        self.encoder_dim = (2 if self.bidirectional else 1) * h
        p = cfg["dropout"]
        self.enc_emb = nn.Embedding(src_vocab, e, padding_idx=PAD)
        self.enc = nn.GRU(e, h, num_layers=layers, bidirectional=self.bidirectional,
                          dropout=p if layers > 1 else 0.0, batch_first=True)
        self.bridge = nn.Linear(2 * h, h) if self.bidirectional else None
        self.enc_dropout = nn.Dropout(p)
        self.dec_dropout = nn.Dropout(p)

    def encode(self, src, src_lengths):
        """memory [B, S, D·H], the decoder's initial state (a list of L tensors [B, H]), the padding mask (None
        when nothing is padded, as attn)."""
        memory, h = run_gru(self.enc, self.enc_dropout(self.enc_emb(src)), src_lengths)
        if self.bidirectional:
            b = h.shape[1]
            h = h.view(self.num_layers, 2, b, self.hidden_size).permute(0, 2, 1, 3).reshape(
                self.num_layers, b, 2 * self.hidden_size)
            h = torch.tanh(self.bridge(h))
        mask = padding_mask(src_lengths, src.shape[1])
        return memory, list(h.unbind(0)), (mask if bool(mask.any()) else None)

    def gru_layers(self, x, h):
        """One step of every decoder layer (dropout between layers): the new states."""
        new_h = []
        for layer in range(self.num_layers):
            if layer > 0:
                x = self.dec_dropout(new_h[-1])
            new_h.append(torch.gru_cell(x, h[layer], getattr(self.dec, f"weight_ih_l{layer}"),
                                        getattr(self.dec, f"weight_hh_l{layer}"), getattr(self.dec, f"bias_ih_l{layer}"),
                                        getattr(self.dec, f"bias_hh_l{layer}")))
        return new_h

    def forward(self, src, src_lengths, tgt_in):
        """Teacher forcing: logits [B, T, V] for tgt_in [B, T] (<sos> y1 … y_{T-1})."""
        state = self.start(*self.encode(src, src_lengths))
        embedded = self.dec_dropout(self.dec_emb(tgt_in))
        outputs = []
        for t in range(tgt_in.shape[1]):
            out, state = self.step(embedded[:, t], state)
            outputs.append(out)
        return self.fc(self.dec_dropout(torch.stack(outputs, 1)))

    @torch.no_grad()
    def greedy(self, src, src_lengths, max_len):
        state = self.start(*self.encode(src, src_lengths))
        tokens = torch.full((src.shape[0],), SOS, dtype=torch.long, device=src.device)
        out, done = [], torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            h, state = self.step(self.dec_emb(tokens), state)
            tokens = self.fc(h).argmax(-1)
            out.append(tokens)
            done |= tokens.eq(EOS)
            if bool(done.all()):
                break
        return torch.stack(out, 1).tolist()


class AdditiveAttention(nn.Module):
    """score(q, k) = Vᵀ tanh(W1 k + W2 q) (attn's AdditiveAttention; W1 k computed once per batch)."""

    def __init__(self, query_dim, key_dim, units):
        super().__init__()
        self.W1 = nn.Linear(key_dim, units)
        self.W2 = nn.Linear(query_dim, units)
        self.V = nn.Linear(units, 1)


class BahdanauSeq2Seq(RNNSeq2Seq):
    """gru-bahdanau. Step t, h the top layer's state before it: α = softmax(Vᵀ tanh(W1 k_j + W2 h)),
    context = Σ α_j k_j, h = GRU([context; dropout(dec_emb(y_{t-1}))], h), logits = fc(dropout(h_top))."""

    def __init__(self, cfg, src_vocab, tgt_vocab):
        super().__init__(cfg, src_vocab, tgt_vocab)
        e, h = cfg["embeddingDim"], cfg["hiddenSize"]
        self.attn = AdditiveAttention(h, self.encoder_dim, cfg.get("attentionUnits") or h)
        self.dec_emb = nn.Embedding(tgt_vocab, e, padding_idx=PAD)
        self.dec = nn.GRU(self.encoder_dim + e, h, num_layers=self.num_layers, batch_first=True)
        self.fc = nn.Linear(h, tgt_vocab)

    def start(self, memory, h, mask):
        return {"memory": memory, "keys": self.attn.W1(memory), "mask": mask, "h": h}

    def step(self, embedded, s):
        scores = self.attn.V(torch.tanh(s["keys"] + self.attn.W2(s["h"][-1]).unsqueeze(1))).squeeze(-1)
        weights = masked_softmax(scores, s["mask"])
        context = torch.bmm(weights.unsqueeze(1), s["memory"]).squeeze(1)
        h = self.gru_layers(torch.cat([context, embedded], -1), s["h"])
        return h[-1], {**s, "h": h}


class LuongAttention(nn.Module):
    """Luong's scores: 'dot' hᵀk (no parameters), 'general' hᵀ(W k) (W: Linear(D → H, no bias)), 'concat'
    vᵀ tanh(W [h; k]) (W: Linear(H + D → H), v: Linear(H → 1, no bias); query columns first)."""

    def __init__(self, score, hidden, key_dim):
        super().__init__()
        self.score = score
        self.hidden = hidden
        if score == "general":
            self.W = nn.Linear(key_dim, hidden, bias=False)
        elif score == "concat":
            self.W = nn.Linear(hidden + key_dim, hidden)
            self.v = nn.Linear(hidden, 1, bias=False)
        elif score != "dot":
            raise ValueError(f"gru-luong: score must be dot, general or concat, got {score!r}")

    def prepare(self, memory):
        """The key half, once per batch: k, W k, or W_k k + b."""
        if self.score == "dot":
            return memory
        if self.score == "general":
            return self.W(memory)
        return F.linear(memory, self.W.weight[:, self.hidden:], self.W.bias)

    def scores(self, query, keys):  # query [B, H], keys prepared [B, S, ·] → [B, S]
        if self.score == "concat":
            q = F.linear(query, self.W.weight[:, :self.hidden])
            return self.v(torch.tanh(q.unsqueeze(1) + keys)).squeeze(-1)
        return torch.bmm(keys, query.unsqueeze(2)).squeeze(2)


class LuongSeq2Seq(RNNSeq2Seq):
    """gru-luong. Step t: h = GRU([dropout(dec_emb(y_{t-1})); h̃_{t-1}], h) (input feeding, h̃_0 = 0; just the
    embedding without it), α = softmax(score(h_top, k)), c = Σ α_j k_j, h̃ = tanh(W_c [c; h_top]),
    logits = fc(dropout(h̃))."""

    def __init__(self, cfg, src_vocab, tgt_vocab):
        super().__init__(cfg, src_vocab, tgt_vocab)
        e, h = cfg["embeddingDim"], cfg["hiddenSize"]
        self.input_feeding = cfg["inputFeeding"]
        self.dec_emb = nn.Embedding(tgt_vocab, e, padding_idx=PAD)
        self.dec = nn.GRU(e + h if self.input_feeding else e, h, num_layers=self.num_layers, batch_first=True)
        self.attn = LuongAttention(cfg["score"], h, self.encoder_dim)
        self.W_c = nn.Linear(self.encoder_dim + h, h, bias=False)
        self.fc = nn.Linear(h, tgt_vocab)

    def start(self, memory, h, mask):
        feed = memory.new_zeros(memory.shape[0], self.hidden_size) if self.input_feeding else None
        return {"memory": memory, "keys": self.attn.prepare(memory), "mask": mask, "h": h, "feed": feed}

    def step(self, embedded, s):
        x = torch.cat([embedded, s["feed"]], -1) if self.input_feeding else embedded
        h = self.gru_layers(x, s["h"])
        weights = masked_softmax(self.attn.scores(h[-1], s["keys"]), s["mask"])
        context = torch.bmm(weights.unsqueeze(1), s["memory"]).squeeze(1)
        attentional = torch.tanh(self.W_c(torch.cat([context, h[-1]], -1)))
        return attentional, {**s, "h": h, "feed": attentional}


# ---------------------------------------------------------------------------------------------------------------
# Transformers


def encoder_stack(d_model, nhead, ff, dropout, layers, norm_first, final_norm):
    # attn draws every layer's weights afresh (torch's TransformerEncoder deep-copies one layer): build each.
    def layer():
        return nn.TransformerEncoderLayer(d_model, nhead, ff, dropout, "relu", 1e-5, batch_first=True,
                                          norm_first=norm_first)

    enc = nn.TransformerEncoder(layer(), layers, norm=nn.LayerNorm(d_model, eps=1e-5) if final_norm else None,
                                enable_nested_tensor=False)
    enc.layers = nn.ModuleList([layer() for _ in range(layers)])
    return enc


def decoder_stack(d_model, nhead, ff, dropout, layers, norm_first):
    def layer():
        return nn.TransformerDecoderLayer(d_model, nhead, ff, dropout, "relu", 1e-5, batch_first=True,
                                          norm_first=norm_first)

    dec = nn.TransformerDecoder(layer(), layers, norm=nn.LayerNorm(d_model, eps=1e-5))
    dec.layers = nn.ModuleList([layer() for _ in range(layers)])
    return dec


class TransformerSeq2Seq(nn.Module):
    """transformer. src → src_embedding·√d + positions → encoder (+ final norm) → memory; tgt_in →
    tgt_embedding·√d + positions → causal decoder (+ final norm) over memory → generator. Source padding (from
    the lengths) is masked as an encoder and a cross-attention key, target padding (<pad> ids) as a decoder
    self-attention key. Pre-norm layers when normFirst, else post-norm."""

    def __init__(self, cfg, src_vocab, tgt_vocab):
        super().__init__()
        d = cfg["dModel"]
        self.scale = math.sqrt(d)
        p = cfg["dropout"]
        self.src_embedding = nn.Embedding(src_vocab, d, padding_idx=PAD)
        self.tgt_embedding = nn.Embedding(tgt_vocab, d, padding_idx=PAD)
        with torch.no_grad():  # N(0, 1/d), as attn: unit variance after the √d scaling
            self.src_embedding.weight.mul_(1 / math.sqrt(d))
            self.tgt_embedding.weight.mul_(1 / math.sqrt(d))
        self.src_pos = SinusoidalPositions(d, cfg["maxLen"], p)
        self.tgt_pos = SinusoidalPositions(d, cfg["maxLen"], p)
        self.encoder = encoder_stack(d, cfg["nhead"], cfg["dimFeedforward"], p, cfg["numEncoderLayers"],
                                     cfg["normFirst"], True)
        self.decoder = decoder_stack(d, cfg["nhead"], cfg["dimFeedforward"], p, cfg["numDecoderLayers"],
                                     cfg["normFirst"])
        self.generator = nn.Linear(d, tgt_vocab)

    def encode(self, src, src_lengths):
        mask = padding_mask(src_lengths, src.shape[1])
        x = self.src_pos(self.src_embedding(src) * self.scale)
        return self.encoder(x, src_key_padding_mask=mask), mask

    def decode(self, tgt_in, memory, src_mask, tgt_padding=True):
        t = tgt_in.shape[1]
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool, device=tgt_in.device), diagonal=1)
        x = self.tgt_pos(self.tgt_embedding(tgt_in) * self.scale)
        hidden = self.decoder(x, memory, tgt_mask=causal,
                              tgt_key_padding_mask=tgt_in.eq(PAD) if tgt_padding else None,
                              memory_key_padding_mask=src_mask)
        return self.generator(hidden)

    def forward(self, src, src_lengths, tgt_in):
        memory, mask = self.encode(src, src_lengths)
        return self.decode(tgt_in, memory, mask)

    @torch.no_grad()
    def greedy(self, src, src_lengths, max_len):
        # torch's decoder layers keep no key/value cache: each step reruns the decoder over the prefix.
        memory, mask = self.encode(src, src_lengths)
        seq = torch.full((src.shape[0], 1), SOS, dtype=torch.long, device=src.device)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            nxt = self.decode(seq, memory, mask, tgt_padding=False)[:, -1].argmax(-1)
            seq = torch.cat([seq, nxt.unsqueeze(1)], 1)
            done |= nxt.eq(EOS)
            if bool(done.all()):
                break
        return seq[:, 1:].tolist()


# ---------------------------------------------------------------------------------------------------------------
# Classifiers


class AttentionPooling(nn.Module):
    """score_j = vᵀ tanh(W h_j + b); α = softmax over the real tokens; pooled = Σ α_j h_j."""

    def __init__(self, input_dim, units):
        super().__init__()
        self.W = nn.Linear(input_dim, units)
        self.v = nn.Linear(units, 1, bias=False)

    def forward(self, h, mask):
        weights = masked_softmax(self.v(torch.tanh(self.W(h))).squeeze(-1), mask)
        return torch.bmm(weights.unsqueeze(1), h).squeeze(1), weights


class AttentionClassifier(nn.Module):
    """bigru-attention and transformer-cls: dropout(embedding(ids)) → BiGRU (packed by length), or + sinusoidal
    positions → post-norm Transformer encoder stack without a final norm (padding masked) → attention pooling →
    classifier(dropout(pooled))."""

    def __init__(self, architecture, cfg, vocab, num_classes):
        super().__init__()
        self.kind = architecture
        gru = architecture == "bigru-attention"
        e = cfg["embeddingDim"] if gru else cfg["dModel"]
        p = cfg["dropout"]
        self.embedding = nn.Embedding(vocab, e, padding_idx=PAD)
        self.dropout = nn.Dropout(p)
        if gru:
            layers = cfg["numLayers"]
            self.encoder = nn.GRU(e, cfg["hiddenSize"], num_layers=layers, bidirectional=True,
                                  dropout=p if layers > 1 else 0.0, batch_first=True)
            out_dim = 2 * cfg["hiddenSize"]
        else:
            self.positions = SinusoidalPositions(e, cfg["maxLen"], 0.0)
            self.encoder = encoder_stack(e, cfg["nhead"], cfg["dimFeedforward"], p, cfg["numLayers"], False, False)
            out_dim = e
        self.pooling = AttentionPooling(out_dim, cfg.get("attentionUnits") or out_dim)
        self.classifier = nn.Linear(out_dim, num_classes)

    def forward(self, ids, lengths, return_weights=False):
        mask = padding_mask(lengths, ids.shape[1])
        x = self.dropout(self.embedding(ids))
        if self.kind == "bigru-attention":
            h, _ = run_gru(self.encoder, x, lengths)
        else:
            h = self.encoder(self.positions(x), src_key_padding_mask=mask)
        pooled, weights = self.pooling(h, mask)
        logits = self.classifier(self.dropout(pooled))
        return (logits, weights) if return_weights else logits


# ---------------------------------------------------------------------------------------------------------------
# Building and loading

TRANSLATORS = {"gru-bahdanau": BahdanauSeq2Seq, "gru-luong": LuongSeq2Seq, "transformer": TransformerSeq2Seq}
CLASSIFIERS = ("bigru-attention", "transformer-cls")


def vocabulary_sizes(tokenizers):
    """Each tokenizer's vocabulary size (ids 0 … size − 1), from tokenizers.json."""
    return {name: len(spec["vocabulary"]["tokens"]) for name, spec in tokenizers.items()}


def build_model(config, tokenizers):
    """The model of attn's config.json (its `architecture` and `model` hyper-parameters) for the vocabularies of
    tokenizers.json, with freshly drawn weights."""
    arch, cfg = config["architecture"], config["model"]
    sizes = vocabulary_sizes(tokenizers)
    if arch in TRANSLATORS:
        return TRANSLATORS[arch](cfg, sizes["source"], sizes["target"])
    if arch in CLASSIFIERS:
        return AttentionClassifier(arch, cfg, sizes["text"], len(config["labels"]))
    raise ValueError(f"unknown architecture {arch!r} (known: {', '.join([*TRANSLATORS, *CLASSIFIERS])})")


def load_model(directory, weights="weights.safetensors"):
    """The exported model with its weights, in eval mode; `.config` holds config.json and `.tokenizers` the
    Python tokenizers (None where attn's tokenizer has no Python version here: pass ids then)."""
    with open(os.path.join(directory, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    with open(os.path.join(directory, "tokenizers.json"), encoding="utf-8") as f:
        specs = json.load(f)
    model = build_model(config, specs)
    state = {k: v.float() if v.is_floating_point() else v for k, v in
             read_safetensors(os.path.join(directory, weights)).items()}
    model.load_state_dict(state, strict=True)
    model.config = config
    model.tokenizers = {}
    for name, spec in specs.items():
        try:
            model.tokenizers[name] = Tokenizer(spec)
        except ValueError:
            model.tokenizers[name] = None
    return model.eval()


def pad_batch(seqs, device=None):
    """Right-pads id lists with <pad>: ids [B, T] (int64) and lengths [B]."""
    t = max(1, max(len(s) for s in seqs))
    ids = torch.zeros(len(seqs), t, dtype=torch.long)
    for row, s in enumerate(seqs):
        ids[row, : len(s)] = torch.tensor(s, dtype=torch.long)
    return ids.to(device), torch.tensor([len(s) for s in seqs], dtype=torch.long, device=device)


def _ids(model, name, items):
    if all(isinstance(x, str) for x in items):
        tokenizer = model.tokenizers.get(name)
        if tokenizer is None:
            raise ValueError(f"no Python tokenizer for '{name}' here: pass token ids instead of text")
        return [tokenizer.encode(x) for x in items], True
    return [list(x) for x in items], False


@torch.no_grad()
def greedy_translate(model, sources, max_len=None):
    """Greedy translations of sources (strings, or id lists without <eos>), as attn's greedy decoding: <eos>
    after each source when the model was trained so (config sourceEos), at most max_len tokens (default config
    maxDecodeLength, else 2 × the longest source + 10). Strings in, strings out; ids in, id lists out."""
    model.eval()
    seqs, text = _ids(model, "source", sources)
    if model.config.get("sourceEos"):
        seqs = [s + [EOS] for s in seqs]
    src, lengths = pad_batch(seqs, next(model.parameters()).device)
    limit = max_len or model.config.get("maxDecodeLength") or 2 * int(lengths.max()) + 10
    out = []
    for ids in model.greedy(src, lengths, limit):
        ids = ids[: ids.index(EOS)] if EOS in ids else ids
        out.append(model.tokenizers["target"].decode(ids) if text else ids)
    return out


@torch.no_grad()
def classify(model, texts):
    """[(label, probability)] of each text (a string, or an id list)."""
    model.eval()
    seqs, _ = _ids(model, "text", texts)
    ids, lengths = pad_batch(seqs, next(model.parameters()).device)
    probs = torch.softmax(model(ids, lengths), -1)
    labels = model.config["labels"]
    return [(labels[int(i)], float(p[i])) for p, i in zip(probs, probs.argmax(-1))]


if __name__ == "__main__":
    import sys

    m = load_model(os.path.dirname(os.path.abspath(__file__)))
    lines = [line.rstrip("\n") for line in sys.stdin] if len(sys.argv) < 2 else sys.argv[1:]
    if m.config["task"] == "translate":
        for line in greedy_translate(m, lines):
            print(line)
    else:
        for label, p in classify(m, lines):
            print(f"{label}\t{p:.4f}")
