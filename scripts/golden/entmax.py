"""Golden cases for attn's entmax15 and entmaxBisect ops, computed in PyTorch from the papers' algorithms:

  entmax15: Peters, Niculae & Martins (2019), Algorithm 2 (exact, sort-based): with z = (x - max x)/2 sorted
    descending, mean_k, ss_k = k (mean of squares - mean^2), delta_k = (1 - ss_k)/k, tau_k = mean_k - sqrt(delta_k),
    k* = #{k : tau_k <= z_(k)}, y = max(z - tau_{k*}, 0)^2.
  alpha-entmax: Blondel, Martins & Niculae (2019) / Peters et al.: y = max((alpha-1)x - tau, 0)^(1/(alpha-1)) with
    tau found by bisection (200 halvings, no gradient), then made differentiable by one Newton step from the
    detached tau (tau = tau0 - f(tau0)/f'(tau0) with f' detached; its derivative is the implicit-function gradient).

Everything runs in float64 and is stored as float32; gradients come from autograd of
L = sum(output.y * input.upstream_y). Masked entries (input.mask = 1) are -inf before the op and get weight 0.
Run with Debian's /usr/bin/python3 (torch 1.13): /usr/bin/python3 scripts/golden/entmax.py
"""
import torch

from safetensors_case import write_case


def entmax15(x, dim=-1):
    x = (x - x.max(dim=dim, keepdim=True).values) / 2
    srt, _ = torch.sort(x, dim=dim, descending=True)
    d = x.shape[dim]
    rho = torch.arange(1, d + 1, dtype=x.dtype).view([d if i == (dim % x.dim()) else 1 for i in range(x.dim())])
    finite = torch.where(torch.isinf(srt), torch.zeros_like(srt), srt)
    mean = finite.cumsum(dim) / rho
    mean_sq = (finite**2).cumsum(dim) / rho
    ss = rho * (mean_sq - mean**2)
    delta = torch.clamp((1 - ss) / rho, min=0)
    tau = mean - torch.sqrt(delta)
    support = (tau <= srt).sum(dim=dim, keepdim=True)
    tau_star = tau.gather(dim, support - 1)
    return torch.clamp(x - tau_star, min=0) ** 2


def entmax_bisect(x, alpha, dim=-1, iterations=200):
    z = (alpha - 1) * (x - x.max(dim=dim, keepdim=True).values)
    p = lambda tau: torch.clamp(z - tau, min=0) ** (1 / (alpha - 1))
    with torch.no_grad():
        lo = torch.full_like(z.sum(dim=dim, keepdim=True), -1.0)
        hi = torch.zeros_like(lo)
        for _ in range(iterations):
            mid = (lo + hi) / 2
            above = p(mid).sum(dim=dim, keepdim=True) >= 1
            lo = torch.where(above, mid, lo)
            hi = torch.where(above, hi, mid)
        tau0 = lo
        # f'(tau) = -sum over the support of (z - tau)^(1/(alpha-1) - 1)/(alpha-1); off the support the power
        # would be 0^(negative) for alpha > 2, so those terms are left out explicitly.
        support = z > tau0
        gap = torch.where(support, z - tau0, torch.ones_like(z))
        slope = torch.where(support, gap ** (1 / (alpha - 1) - 1), torch.zeros_like(z)).sum(dim=dim, keepdim=True)
        slope = slope / (alpha - 1)
    tau = tau0 + (p(tau0).sum(dim=dim, keepdim=True) - 1) / slope
    return p(tau)


def case(name, op, x, mask, alpha=None):
    x = x.double().requires_grad_(True)
    masked = x.masked_fill(mask, float("-inf"))
    y = entmax15(masked) if alpha is None else entmax_bisect(masked, alpha)
    upstream = torch.randn(y.shape, dtype=torch.float64)
    (y * upstream).sum().backward()
    assert torch.all(y[mask] == 0) and torch.allclose(y.sum(-1), torch.ones(()).double())
    config = {"shape": list(x.shape), "axis": -1}
    if alpha is not None:
        config["alpha"] = alpha
    semantics = (
        "y = entmax15(x masked to -inf where mask) along the last axis, exact sort-based"
        if alpha is None
        else "y = alpha-entmax(x masked to -inf where mask) along the last axis: max((alpha-1)x - tau, 0)^(1/(alpha-1)), sum 1"
    )
    write_case(
        name,
        op,
        config,
        semantics,
        {"input.x": x, "input.mask": mask, "input.upstream_y": upstream, "output.y": y, "grad.input.x": x.grad},
    )
    return y


torch.manual_seed(24)
x = torch.randn(4, 7) * 2
mask = torch.zeros(4, 7, dtype=torch.bool)
mask[1, 5:] = True
mask[3, 0] = True
mask[3, 3] = True
y15 = case("entmax15", "entmax15", x, mask)
# The bisection at alpha = 1.5 finds the exact algorithm's weights.
assert torch.allclose(entmax_bisect(x.double().masked_fill(mask, float("-inf")), 1.5), y15, atol=1e-12)

x3 = torch.randn(2, 3, 6) * 1.5
mask3 = torch.zeros(2, 3, 6, dtype=torch.bool)
mask3[0, :, 4:] = True
mask3[1, 2, 1] = True
for alpha, label in [(1.25, "1_25"), (1.75, "1_75"), (3.0, "3")]:
    case(f"entmax_bisect_{label}", "entmax_bisect", x3, mask3, alpha)

# The Newton step gives the implicit gradient: autograd agrees with finite differences in double.
probe = torch.tensor([[1.2, 0.3, -2.5, 0.9], [0.6, 0.9, -1.5, 0.4]], dtype=torch.float64, requires_grad=True)
for alpha in (1.25, 1.75, 3.0):
    assert torch.autograd.gradcheck(lambda t: entmax_bisect(t, alpha), (probe,))
assert torch.autograd.gradcheck(entmax15, (probe,))
