"""PyTorch side of `npx tsx bench/results.ts`: trains the same models as `attn train`, on the same ids, with the
same settings and wall-time budget, and reports throughput and dev results as JSON.

Everything comes from bench/export-data.ts, which reads the attn run's checkpoint: the training examples as the
CLI prepared them (its tokenizers, its length filters), the dev sources and references as `attn eval` reads them,
the model's hyper-parameters, and the run's resolved training settings (optimiser, lr, schedule, warm-up, batch
size, clipping, label smoothing, seed). Only the budget and the thread count are given here.

The models are src/export/pytorch/model.py, the file `attn export --format pytorch` writes: attn's five
architectures module for module, with attn's parameter names and PyTorch's default initialisation (which attn's
modules reproduce), so the bench measures the model a user would continue training in PyTorch.

Usage: python3 torch_train.py --data data.json --budget SECONDS --threads N --out result.json [--hyps hyps.txt]
       python3 torch_train.py --data data.json --parity RUN_DIR   (the loss of one batch with attn's weights)
"""
import argparse
import json
import math
import os
import random
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

# The models are the ones `attn export --format pytorch` ships: the same file a user continues training with.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "export", "pytorch"))
import model as exported  # noqa: E402

PAD, SOS, EOS = exported.PAD, exported.SOS, exported.EOS


def build_model(data):
    """The run's architecture from its config.json hyper-parameters, as `attn export --format pytorch` writes it
    (src/export/pytorch/model.py), for the vocabularies of the run's tokenizers."""
    arch, cfg, vocab = data["arch"], data["config"], data["vocab"]
    if arch in exported.TRANSLATORS:
        return exported.TRANSLATORS[arch](cfg, vocab["src"], vocab["tgt"])
    if arch in exported.CLASSIFIERS:
        return exported.AttentionClassifier(arch, cfg, vocab["src"], len(data["labels"]))
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
            logits = model(s, s_len, tin)
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


@torch.no_grad()
def parity_loss(data, model, run, count):
    """The loss of the first `count` training examples (one batch, in order, no dropout) with the attn run's
    weights loaded by name — what bench/results/parity.ts computes with attn."""
    latest = json.load(open(os.path.join(run, "latest.json")))["latest"]
    weights = exported.read_safetensors(os.path.join(run, latest, "model.safetensors"))
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
        source_eos=bool(data.get("sourceEos")), bucket=0,
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
