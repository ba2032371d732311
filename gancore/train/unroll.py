"""Unrolled D (Metz et al. 2017): D's parameters after k differentiable look-ahead updates.

G's update in an unrolled GAN is taken against these parameters instead of D's current ones
(through torch.func.functional_call), so G sees how D would answer its move.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.func import functional_call


def lookahead(
    discriminator: nn.Module,
    d_loss,
    batches: list[tuple[Tensor, Tensor | None, Tensor, Tensor | None]],
    *,
    lr: float,
    adam: tuple[float, float, float] | None = None,
    state: dict[str, dict[str, Tensor]] | None = None,
) -> dict[str, Tensor]:
    """D's parameters after one differentiable update per batch (Metz et al. 2017).

    ``batches`` holds (real, y_real, fake, y_fake); ``d_loss(real_out, fake_out)`` is D's loss.
    The fakes keep their graph to G, and every step's gradient is taken with
    ``create_graph=True``, so G's gradient through the returned parameters includes the
    second-order terms (how D's reply depends on G): the paper's full unrolled objective, not
    the cheaper first-order version that treats the unrolled D as a constant -- the second-order
    term is what lets G anticipate D; the cost is k double-backward passes per G step.

    The update is Adam continuing from D's optimizer moments (``adam`` = (beta1, beta2, eps),
    ``state`` = per-parameter name {"exp_avg", "exp_avg_sq", "step"}) or, with ``adam=None``,
    plain gradient descent. Penalties, clipping and BatchNorm running statistics of the
    look-ahead do not touch the real D (its buffers are copied)."""
    params = {n: p.detach().requires_grad_(True) for n, p in discriminator.named_parameters()}
    buffers = {n: b.clone() for n, b in discriminator.named_buffers()}
    moments = {}
    for name, p in params.items():
        s = (state or {}).get(name, {})
        moments[name] = [
            s.get("exp_avg", torch.zeros_like(p)).detach(),
            s.get("exp_avg_sq", torch.zeros_like(p)).detach(),
            float(s.get("step", 0)),
        ]
    for real, y_real, fake, y_fake in batches:
        current = {**params, **buffers}
        real_out = functional_call(
            discriminator, current, (real, y_real) if y_real is not None else (real,)
        )
        fake_out = functional_call(
            discriminator, current, (fake, y_fake) if y_fake is not None else (fake,)
        )
        loss = d_loss(real_out.float(), fake_out.float())
        names = list(params)
        grads = torch.autograd.grad(
            loss, [params[n] for n in names], create_graph=True, allow_unused=True
        )
        new = {}
        for name, g in zip(names, grads, strict=True):
            if g is None:
                new[name] = params[name]
                continue
            if adam is None:
                new[name] = params[name] - lr * g
                continue
            b1, b2, eps = adam
            m, v, t = moments[name]
            t += 1
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
            # sqrt at v_hat = 0 has an infinite derivative: keep eps inside the root's argument
            new[name] = params[name] - lr * m_hat / (torch.sqrt(v_hat + eps * eps) + eps)
            moments[name] = [m, v, t]
        params = new
    return {**params, **buffers}
