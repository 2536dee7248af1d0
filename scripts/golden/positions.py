"""Golden cases for attn's positions inside multi-head attention (RoPE, ALiBi, Shaw relative), written from the
papers' formulas in PyTorch, independently of attn's code. Run with Debian's /usr/bin/python3 (torch 1.13):

    /usr/bin/python3 scripts/golden/positions.py

Writes test/golden/own/pos_*.safetensors in the format of the shared fixtures (input.*, param.*, output.*,
grad.input.*, grad.param.*, the case as JSON in __metadata__.case). Everything is computed in float64 and stored
as float32.

The layer: batch-first self-attention x [B, T, E], H heads of d = E/H, parameters named as attn's
MultiHeadAttention (torch.nn.MultiheadAttention's names, plus relative_key / relative_value [2k+1, d]):

    q, k, v = split(x·in_proj_weightᵀ + in_proj_bias)            [B, H, T, d] each
    rope:     q_i, k_i turned by i·θ_c, θ_c = base^(-2c/d), pairs (c, c + d/2) (halves, GPT-NeoX/LLaMA)
    scores:   e_ij = q_i·k_j/√d                                  (rope: rotated q, k)
    alibi:    e_ij -= m_h·|i - j|, m_h the paper's slopes (get_slopes below, from the ALiBi repository)
    relative: e_ij = q_i·(k_j + a^K[clip(j-i,-k,k)+k])/√d;  z_i = Σ_j α_ij (v_j + a^V[clip(j-i,-k,k)+k])
    masks:    key padding and causal (j > i) set e_ij = -inf
    out = concat(z)·out_proj.weightᵀ + out_proj.bias;  weights α [B, H, T, T]

Loss for the gradients: L = Σ out ⊙ upstream_out + Σ α ⊙ upstream_weights.
"""
import json
import math
import os
import struct

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', '..', 'test', 'golden', 'own')


def save(path, tensors, case):
    """A safetensors file: 8-byte little-endian header size, the JSON header, then the raw tensors."""
    header = {'__metadata__': {'case': json.dumps(case)}}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.bool:
            dtype, raw = 'BOOL', t.to(torch.uint8).numpy().tobytes()
        elif t.dtype in (torch.int32, torch.int64):
            dtype, raw = 'I32', t.to(torch.int32).numpy().tobytes()
        else:
            dtype, raw = 'F32', t.to(torch.float32).numpy().tobytes()
        header[name] = {'dtype': dtype, 'shape': list(t.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for raw in blobs:
            f.write(raw)


def get_slopes(n):
    """ALiBi's slopes (Press et al., github.com/ofirpress/attention_with_linear_biases)."""

    def power_of_2(n):
        start = 2 ** (-(2 ** -(math.log2(n) - 3)))
        return [start * start**i for i in range(n)]

    if math.log2(n).is_integer():
        return power_of_2(n)
    closest = 2 ** math.floor(math.log2(n))
    return power_of_2(closest) + get_slopes(2 * closest)[0::2][: n - closest]


def rope(x, base=10000.0):
    """x [B, H, T, d] turned by position t (halves pairing)."""
    d = x.shape[-1]
    h = d // 2
    theta = base ** (-2 * torch.arange(h, dtype=torch.float64) / d)
    angle = torch.arange(x.shape[2], dtype=torch.float64)[:, None] * theta[None, :]
    c, s = torch.cos(angle), torch.sin(angle)
    x1, x2 = x[..., :h], x[..., h:]
    return torch.cat([x1 * c - x2 * s, x2 * c + x1 * s], dim=-1)


def attention(x, p, cfg, key_padding_mask):
    B, T, E = x.shape
    H = cfg['num_heads']
    d = E // H
    y = x @ p['in_proj_weight'].T + p['in_proj_bias']
    q, k, v = (y[..., i * E:(i + 1) * E].reshape(B, T, H, d).permute(0, 2, 1, 3) for i in range(3))
    scheme = cfg['positions']
    if scheme == 'rope':
        q, k = rope(q), rope(k)
    scores = q @ k.transpose(-1, -2)
    dist = torch.arange(T)[None, :] - torch.arange(T)[:, None]  # j - i
    if scheme == 'relative':
        K = cfg['max_relative_distance']
        idx = dist.clamp(-K, K) + K
        a_k = p['relative_key'][idx]  # [T, T, d]
        scores = scores + torch.einsum('bhid,ijd->bhij', q, a_k)
    scores = scores / math.sqrt(d)
    if scheme == 'alibi':
        m = torch.tensor(get_slopes(H), dtype=torch.float64)
        scores = scores - m[:, None, None] * dist.abs()[None].to(torch.float64)
    if key_padding_mask is not None:
        scores = scores.masked_fill(key_padding_mask[:, None, None, :], float('-inf'))
    if cfg['causal']:
        scores = scores.masked_fill((dist > 0)[None, None], float('-inf'))
    w = torch.softmax(scores, dim=-1)
    z = w @ v
    if scheme == 'relative':
        z = z + torch.einsum('bhij,ijd->bhid', w, p['relative_value'][idx])
    out = z.permute(0, 2, 1, 3).reshape(B, T, E) @ p['out_proj.weight'].T + p['out_proj.bias']
    return out, w


def case(name, positions, causal, B=2, T=6, E=12, H=3, K=2, padded=True, seed=0):
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *shape, scale=1.0: (torch.randn(*shape, generator=g, dtype=torch.float64) * scale)
    cfg = {'embed_dim': E, 'num_heads': H, 'positions': positions, 'causal': causal,
           'max_relative_distance': K}
    p = {
        'in_proj_weight': rnd(3 * E, E, scale=E ** -0.5),
        'in_proj_bias': rnd(3 * E, scale=0.1),
        'out_proj.weight': rnd(E, E, scale=E ** -0.5),
        'out_proj.bias': rnd(E, scale=0.1),
    }
    if positions == 'relative':
        p['relative_key'] = rnd(2 * K + 1, E // H, scale=0.5)
        p['relative_value'] = rnd(2 * K + 1, E // H, scale=0.5)
    # Round every input to float32 first: the float64 computation then starts where attn's does.
    p = {n: t.float().double().requires_grad_() for n, t in p.items()}
    x = rnd(B, T, E).float().double().requires_grad_()
    kpm = None
    if padded:
        kpm = torch.zeros(B, T, dtype=torch.bool)
        kpm[1, T - 2:] = True
    out, w = attention(x, p, cfg, kpm)
    up_out = rnd(*out.shape).float().double()
    up_w = rnd(*w.shape).float().double()
    ((out * up_out).sum() + (w * up_w).sum()).backward()
    tensors = {'input.x': x, 'input.upstream_out': up_out, 'input.upstream_weights': up_w}
    if kpm is not None:
        tensors['input.key_padding_mask'] = kpm
    tensors.update({f'param.{n}': t for n, t in p.items()})
    tensors.update({'output.out': out, 'output.weights': w, 'grad.input.x': x.grad})
    tensors.update({f'grad.param.{n}': t.grad for n, t in p.items()})
    save(os.path.join(OUT, f'{name}.safetensors'), tensors, {'op': 'mha_positions', 'config': cfg})


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    case('pos_rope_self', 'rope', False, seed=1)
    case('pos_alibi_self', 'alibi', False, seed=2)  # 3 heads: the recipe for H not a power of two
    case('pos_relative_self', 'relative', False, seed=3)  # T 6 > k 2: distances clipped
    case('pos_rope_causal', 'rope', True, seed=4)
    case('pos_alibi_causal', 'alibi', True, H=4, E=16, seed=5)
    case('pos_relative_causal', 'relative', True, seed=6, padded=False)
