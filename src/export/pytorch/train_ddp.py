"""Continues training an exported attn model with PyTorch DistributedDataParallel (written by attn export).

  torchrun --nproc_per_node 4 train_ddp.py --data train.tsv --out next/ --epochs 2
  torchrun --nnodes 2 --node_rank 0 --master_addr HOST --master_port 29500 --nproc_per_node 4 train_ddp.py ...
  python3 train_ddp.py --data train.tsv --out next/          (one process, no torchrun)

Reads this directory's model (model.py, config.json, weights.safetensors, tokenizers.json, or those of --model),
and a TSV as attn reads it: translation `source<TAB>target[<TAB>anything]`, classification `text<TAB>label`
(a header line is skipped; labels must be the model's). Every process draws the same shuffled batches (attn's
bucketing: sorted by length within buckets of 100 batches) and takes every N-th, so each step all N processes
average their gradients. The gloo backend runs on CPUs; --backend nccl with --device cuda on GPUs.

--out receives the same files, trained: weights.safetensors (float32, attn's parameter names), config.json,
tokenizers.json, model.py and this script, and training.json (steps, losses). attn reads weights.safetensors
back (its state dict has the names attn writes); `load_model(out)` in Python.
"""
import argparse
import json
import math
import os
import random
import shutil
import sys
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from model import EOS, PAD, SOS, load_model, pad_batch, write_safetensors  # noqa: E402

HEADER_LABELS = {"label", "labels", "class", "classes", "category", "categories", "target", "sentiment",
                 "polarity", "y"}


def read_examples(path, model):
    """Token-id examples of the TSV: (source, target) pairs or (ids, label id) pairs."""
    config = model.config
    translate = config["task"] == "translate"
    names = ("source", "target") if translate else ("text",)
    for name in names:
        if model.tokenizers.get(name) is None:
            raise SystemExit(f"train_ddp: the '{name}' tokenizer has no Python version here (word and char only)")
    labels = {label: i for i, label in enumerate(config.get("labels") or [])}
    examples = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise SystemExit(f"train_ddp: {path}:{number}: expected tab-separated columns, got {len(fields)}")
            if not fields[0].strip() or not fields[1].strip():
                raise SystemExit(f"train_ddp: {path}:{number}: column {1 if not fields[0].strip() else 2} is empty")
            if translate:
                examples.append((model.tokenizers["source"].encode(fields[0]),
                                 model.tokenizers["target"].encode(fields[1])))
                continue
            label = fields[1].strip()
            if label not in labels:
                if number == 1 and label.lower() in HEADER_LABELS:
                    continue
                raise SystemExit(f"train_ddp: {path}:{number}: label {label!r} is not one of the model's "
                                 f"({', '.join(labels)})")
            examples.append((model.tokenizers["text"].encode(fields[0]), labels[label]))
    if not examples:
        raise SystemExit(f"train_ddp: {path} holds no examples")
    return examples


def plan_batches(examples, batch_size, rng):
    """attn's bucketing: shuffle, sort buckets of 100 batches by length, cut into batches, shuffle the batches."""
    order = list(range(len(examples)))
    rng.shuffle(order)
    bucket = 100 * batch_size
    batches = []
    for start in range(0, len(order), bucket):
        chunk = sorted(order[start:start + bucket], key=lambda i: len(examples[i][0]))
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def batch_loss(model, config, examples, idx, device, label_smoothing):
    """The batch's mean cross-entropy: over target tokens that are not <pad> (translation), or examples."""
    if config["task"] == "translate":
        eos = [EOS] if config.get("sourceEos") else []
        src, src_len = pad_batch([examples[i][0] + eos for i in idx], device)
        tgt_in, _ = pad_batch([[SOS] + examples[i][1] for i in idx], device)
        tgt_out, _ = pad_batch([examples[i][1] + [EOS] for i in idx], device)
        logits = model(src, src_len, tgt_in)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1), ignore_index=PAD,
                               label_smoothing=label_smoothing)
    ids, lengths = pad_batch([examples[i][0] for i in idx], device)
    labels = torch.tensor([examples[i][1] for i in idx], dtype=torch.long, device=device)
    return F.cross_entropy(model(ids, lengths), labels, label_smoothing=label_smoothing)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="training TSV")
    p.add_argument("--out", required=True, help="directory for the trained model (created)")
    p.add_argument("--model", default=HERE, help="the exported model's directory (default: this script's)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-steps", type=int, default=0, help="stop after this many updates (0: no limit)")
    p.add_argument("--batch-size", type=int, default=32, help="examples per process per step")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--clip", type=float, default=1.0, help="gradient norm clipping (0: none)")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=0, help="torch threads per process (0: torch's default)")
    p.add_argument("--backend", default="gloo", help="torch.distributed backend: gloo (CPU) or nccl (GPU)")
    p.add_argument("--device", default="cpu")
    args = p.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)

    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    distributed = world > 1
    if distributed:
        dist.init_process_group(args.backend)
    device = torch.device(args.device)
    if device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed + rank)  # dropout differs between processes; the weights start equal

    model = load_model(args.model).to(device)
    config = model.config
    examples = read_examples(args.data, model)
    max_len = config["model"].get("maxLen")
    if max_len:  # the Transformers' positions end at maxLen: longer examples are left out
        if config["task"] == "translate":
            eos = 1 if config.get("sourceEos") else 0
            examples = [e for e in examples if len(e[0]) + eos <= max_len and len(e[1]) + 1 <= max_len]
        else:
            examples = [e for e in examples if len(e[0]) <= max_len]
        if not examples:
            raise SystemExit(f"train_ddp: every example of {args.data} is longer than maxLen {max_len}")
    net = torch.nn.parallel.DistributedDataParallel(model) if distributed else model
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=args.weight_decay)

    rng = random.Random(args.seed)  # the same on every process: each takes its share of the same batches
    steps, losses, start = 0, [], time.perf_counter()
    net.train()
    for epoch in range(args.epochs):
        batches = plan_batches(examples, args.batch_size, rng)
        usable = len(batches) // world * world  # every process takes the same number of steps
        if usable == 0:
            raise SystemExit(f"train_ddp: {len(batches)} batches cannot feed {world} processes; lower --batch-size")
        for idx in batches[rank:usable:world]:
            if args.max_steps and steps >= args.max_steps:
                break
            optimizer.zero_grad(set_to_none=True)
            loss = batch_loss(net, config, examples, idx, device, args.label_smoothing)
            loss.backward()
            if args.clip > 0:
                torch.nn.utils.clip_grad_norm_(net.parameters(), args.clip)
            optimizer.step()
            steps += 1
            value = loss.detach()
            if distributed:
                dist.all_reduce(value)
                value /= world
            losses.append(float(value))
            if not math.isfinite(losses[-1]):
                raise SystemExit(f"train_ddp: the loss is {losses[-1]} at step {steps}")
            if rank == 0 and steps % 50 == 0:
                print(f"step {steps} epoch {epoch + 1} loss {sum(losses[-50:]) / len(losses[-50:]):.4f}", flush=True)

    if rank == 0:
        os.makedirs(args.out, exist_ok=True)
        state = {k: v.float() for k, v in model.state_dict().items()}
        write_safetensors(os.path.join(args.out, "weights.safetensors"), state, {"format": "pt"})
        for name in ("config.json", "tokenizers.json", "model.py", "train_ddp.py", "README.md"):
            source = os.path.join(args.model if name.endswith(".json") else HERE, name)
            if os.path.exists(source) and os.path.abspath(source) != os.path.abspath(os.path.join(args.out, name)):
                shutil.copyfile(source, os.path.join(args.out, name))
        with open(os.path.join(args.out, "training.json"), "w", encoding="utf-8") as f:
            json.dump({"processes": world, "steps": steps, "examples": len(examples), "losses": losses,
                       "seconds": time.perf_counter() - start}, f, indent=2)
        print(f"trained {steps} steps on {world} process(es); final loss {losses[-1] if losses else float('nan'):.4f}; "
              f"wrote {args.out}", flush=True)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
