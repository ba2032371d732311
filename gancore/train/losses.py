"""GAN losses as pure functions on discriminator outputs (logits, or critic scores).

Each `d_*` is minimised by the discriminator and each `g_*` by the generator. With
D(x) = sigmoid(l): log D = -softplus(-l) and log(1 - D) = -softplus(l), which is how the
probability-based losses stay numerically stable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def d_minimax(real: Tensor, fake: Tensor) -> Tensor:
    """D maximises log D(x) + log(1 - D(G(z))); returned negated, to minimise."""
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def g_minimax(fake: Tensor) -> Tensor:
    """G minimises log(1 - D(G(z))) = -softplus(l): the saturating loss of the original paper."""
    return -F.softplus(fake).mean()


# The non-saturating game keeps the minimax discriminator; only G's objective changes.
d_non_saturating = d_minimax


def g_non_saturating(fake: Tensor) -> Tensor:
    """G minimises -log D(G(z)) = softplus(-l)."""
    return F.softplus(-fake).mean()


def d_least_squares(real: Tensor, fake: Tensor) -> Tensor:
    """LSGAN (a=0, b=1) on raw scores: D minimises ½(D(x) - 1)² + ½D(G(z))²."""
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def g_least_squares(fake: Tensor) -> Tensor:
    """LSGAN (c=1): G minimises ½(D(G(z)) - 1)²."""
    return 0.5 * ((fake - 1) ** 2).mean()


def d_hinge(real: Tensor, fake: Tensor) -> Tensor:
    """D minimises max(0, 1 - D(x)) + max(0, 1 + D(G(z)))."""
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def g_hinge(fake: Tensor) -> Tensor:
    """G minimises -D(G(z))."""
    return -fake.mean()


def d_wasserstein(real: Tensor, fake: Tensor) -> Tensor:
    """The critic maximises E[f(x)] - E[f(G(z))]; returned negated, to minimise."""
    return fake.mean() - real.mean()


def g_wasserstein(fake: Tensor) -> Tensor:
    """G minimises -E[f(G(z))]."""
    return -fake.mean()


@torch.no_grad()
def clip_weights(module: nn.Module, c: float) -> None:
    """Clamp every parameter of `module` to [-c, c] in place (WGAN's Lipschitz constraint)."""
    for p in module.parameters():
        p.clamp_(-c, c)


def gradient_penalty(
    discriminator: Callable[..., Tensor],
    real: Tensor,
    fake: Tensor,
    y: Tensor | None = None,
    *,
    generator: torch.Generator | None = None,
) -> Tensor:
    """WGAN-GP: E[(‖∇f(x̂)‖₂ - 1)²] at x̂ = αx + (1 - α)G(z), α ~ U(0, 1) per sample.

    Works for any input shape (B, ...): α has shape (B, 1, ..., 1) and the gradient norm is
    taken over all non-batch dimensions. `y` is passed to the critic when given.
    """
    alpha_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(alpha_shape, generator=generator, device=real.device, dtype=real.dtype)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = discriminator(mixed) if y is None else discriminator(mixed, y)
    (grad,) = torch.autograd.grad(scores.sum(), mixed, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


@dataclass(frozen=True)
class LossSpec:
    """A named GAN objective: the paired losses and what the trainer must do around them."""

    name: str
    d_loss: Callable[[Tensor, Tensor], Tensor]
    g_loss: Callable[[Tensor], Tensor]
    d_objective: str  # one line, shown in the UI and in the trainer's comments
    g_objective: str
    wasserstein: bool = False  # D is a critic; its real - fake gap estimates W1
    needs_clipping: bool = False
    needs_gp: bool = False
    probabilities: bool = True  # D's output is a logit, so sigmoid(D) is a probability


LOSSES: dict[str, LossSpec] = {
    "minimax": LossSpec(
        "minimax",
        d_minimax,
        g_minimax,
        "maximise log D(x) + log(1 - D(G(z)))",
        "minimise log(1 - D(G(z)))",
    ),
    "non_saturating": LossSpec(
        "non_saturating",
        d_non_saturating,
        g_non_saturating,
        "maximise log D(x) + log(1 - D(G(z)))",
        "minimise -log D(G(z))",
    ),
    "least_squares": LossSpec(
        "least_squares",
        d_least_squares,
        g_least_squares,
        "minimise ½(D(x) - 1)² + ½D(G(z))²",
        "minimise ½(D(G(z)) - 1)²",
        probabilities=False,
    ),
    "hinge": LossSpec(
        "hinge",
        d_hinge,
        g_hinge,
        "minimise max(0, 1 - D(x)) + max(0, 1 + D(G(z)))",
        "minimise -D(G(z))",
    ),
    "wgan": LossSpec(
        "wgan",
        d_wasserstein,
        g_wasserstein,
        "maximise E[f(x)] - E[f(G(z))], weights clipped to [-c, c]",
        "minimise -E[f(G(z))]",
        wasserstein=True,
        needs_clipping=True,
        probabilities=False,
    ),
    "wgan_gp": LossSpec(
        "wgan_gp",
        d_wasserstein,
        g_wasserstein,
        "maximise E[f(x)] - E[f(G(z))] - λ E[(‖∇f(x̂)‖ - 1)²]",
        "minimise -E[f(G(z))]",
        wasserstein=True,
        needs_gp=True,
        probabilities=False,
    ),
}
