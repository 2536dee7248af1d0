"""The PyTorch side of test/export/pytorch.test.ts: for every exported model in the manifest, with the export's
own model.py,
  1. the logits of the given padded batch (eval mode, no gradient), and greedy_translate / classify of the
     given texts (through model.py's tokenizers);
  2. one Adam step of training on the batch (dropout on, as configured), the trained weights written as
     safetensors in the case's dtype (F32, F64, F16 or BF16: F16/BF16 weights are rounded to that precision
     first, so the model whose logits are reported is exactly the one in the file), and the logits after it.

Usage: python3 torch_parity.py manifest.json result.json
"""
import importlib.util
import json
import sys

import torch
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F64": torch.float64, "F16": torch.float16, "BF16": torch.bfloat16}


def load_module(directory, index):
    spec = importlib.util.spec_from_file_location(f"exported_model_{index}", f"{directory}/model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def logits_of(model, batch):
    lengths = torch.tensor(batch["lengths"])
    if "tgt_in" in batch:
        return model(torch.tensor(batch["src"]), lengths, torch.tensor(batch["tgt_in"]))
    return model(torch.tensor(batch["ids"]), lengths)


def loss_of(logits, batch):
    if "tgt_out" in batch:
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.tensor(batch["tgt_out"]).reshape(-1),
                               ignore_index=0)
    return F.cross_entropy(logits, torch.tensor(batch["labels"]))


def main():
    torch.set_num_threads(1)
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    result = {}
    for index, case in enumerate(cases):
        module = load_module(case["dir"], index)
        model = module.load_model(case["dir"])
        batch = case["batch"]
        with torch.no_grad():
            before = logits_of(model, batch)
        if model.config["task"] == "translate":
            texts = module.greedy_translate(model, case["texts"])
        else:
            texts = [[label, p] for label, p in module.classify(model, case["texts"])]
        torch.manual_seed(index)
        model.train()
        optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
        loss_of(logits_of(model, batch), batch).backward()
        optimizer.step()
        model.eval()
        dtype = DTYPES[case["dtype"]]
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(dtype).float())
            after = logits_of(model, batch)
        module.write_safetensors(case["trained"], {k: v.to(dtype) for k, v in model.state_dict().items()},
                                 {"format": "pt"})
        result[case["name"]] = {"logits": before.flatten().tolist(), "after": after.flatten().tolist(),
                                "shape": list(before.shape), "texts": texts}
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
