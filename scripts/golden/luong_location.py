"""Golden case for attn's LocationAttention (Luong, Pham & Manning 2015, the "location" score), in PyTorch:

  scores = (W_a h_t)[:S]          W_a = nn.Linear(H, max_source_length, bias=False), S the batch's source length
  a_t = softmax(scores masked to -inf at padding keys),   c_t = sum_j a_tj memory_j

Gradients come from autograd of L = sum(output.context * input.upstream_context) + sum(output.weights *
input.upstream_weights). Run with Debian's /usr/bin/python3 (torch 1.13): /usr/bin/python3 scripts/golden/luong_location.py
"""
import torch

from safetensors_case import write_case

torch.manual_seed(2015)
B, TQ, H, S, D, N = 2, 3, 6, 5, 4, 7
W = torch.nn.Linear(H, N, bias=False)
query = torch.randn(B, TQ, H, requires_grad=True)
memory = torch.randn(B, S, D, requires_grad=True)
lengths = torch.tensor([5, 3])
key_padding_mask = torch.arange(S)[None, :] >= lengths[:, None]

scores = W(query)[..., :S].masked_fill(key_padding_mask[:, None, :], float("-inf"))
weights = torch.softmax(scores, dim=-1)
context = weights @ memory
up_context = torch.randn(context.shape)
up_weights = torch.randn(weights.shape)
((context * up_context).sum() + (weights * up_weights).sum()).backward()

write_case(
    "luong_location",
    "luong_location_attention",
    {"batch": B, "tq": TQ, "hidden": H, "source": S, "memory_dim": D, "max_source_length": N, "lengths": [5, 3]},
    "weights = softmax((W h)[:S] masked to -inf where key_padding_mask), context = weights @ memory; "
    "key_padding_mask[b, j] = 1 means key j of batch b is ignored; W is param.W.weight [max_source_length, hidden]",
    {
        "input.query": query,
        "input.memory": memory,
        "input.key_padding_mask": key_padding_mask,
        "input.upstream_context": up_context,
        "input.upstream_weights": up_weights,
        "param.W.weight": W.weight,
        "output.context": context,
        "output.weights": weights,
        "grad.input.query": query.grad,
        "grad.input.memory": memory.grad,
        "grad.param.W.weight": W.weight.grad,
    },
)
