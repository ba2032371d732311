"""Moving through a generator's latent space: interpolation, walks, label-embedding blends."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gancore.models.modes import evaluating


def lerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Straight line: (1 − t) z0 + t z1 for each t, shape (T, D)."""
    t = t.reshape(-1, 1).to(z0.dtype)
    return (1 - t) * z0 + t * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Great-circle path between z0 and z1 (White 2016): keeps |z| typical for a Gaussian prior.

    Falls back to lerp when the two points are (anti)parallel, where the arc is undefined.
    """
    t = t.reshape(-1, 1).to(z0.dtype)
    a, b = z0 / z0.norm(), z1 / z1.norm()
    omega = torch.arccos(torch.clamp((a * b).sum(), -1.0, 1.0))
    if omega.abs() < 1e-6 or (torch.pi - omega).abs() < 1e-6:
        return lerp(z0, z1, t)
    so = torch.sin(omega)
    return torch.sin((1 - t) * omega) / so * z0 + torch.sin(t * omega) / so * z1


def interpolate(
    z0: torch.Tensor, z1: torch.Tensor, steps: int, mode: str = "slerp"
) -> torch.Tensor:
    """``steps`` latents from z0 to z1 inclusive, along a line or a great circle."""
    if not 2 <= steps <= 256:
        raise ValueError(f"steps must be in [2, 256], got {steps}")
    if mode not in ("lerp", "slerp"):
        raise ValueError(f"mode must be 'lerp' or 'slerp', got {mode!r}")
    t = torch.linspace(0, 1, steps)
    return (slerp if mode == "slerp" else lerp)(z0, z1, t)


def walk(z: torch.Tensor, direction: int, offsets: np.ndarray) -> torch.Tensor:
    """z with coordinate ``direction`` replaced by each offset: a walk along one latent axis."""
    if not 0 <= direction < z.numel():
        raise ValueError(f"direction must be in [0, {z.numel() - 1}], got {direction}")
    out = z.reshape(1, -1).repeat(len(offsets), 1)
    out[:, direction] = torch.as_tensor(offsets, dtype=z.dtype)
    return out


def seeded_latent(generator: nn.Module, seed: int) -> torch.Tensor:
    """The one latent vector a seed names (the same one sampling with that seed starts from)."""
    return generator.sample_latent(1, generator=torch.Generator().manual_seed(seed), device="cpu")[
        0
    ]


@torch.no_grad()
def generate_images(
    generator: nn.Module,
    z: torch.Tensor,
    *,
    labels: torch.Tensor | None = None,
    embeddings: torch.Tensor | None = None,
) -> np.ndarray:
    """G(z) for a batch of latents; a conditional G takes labels or raw label embeddings."""
    with evaluating(generator):
        if embeddings is not None:
            return generator.forward_embedded(z, embeddings).numpy()
        return generator(z, labels).numpy()


def label_embeddings(generator: nn.Module, a: int, b: int, steps: int) -> torch.Tensor:
    """Embeddings on the straight line from label a's to label b's (a conditional G only)."""
    if not generator.num_classes:
        raise ValueError("this generator is unconditional: it has no label embedding")
    for name, label in (("a", a), ("b", b)):
        if not 0 <= label < generator.num_classes:
            raise ValueError(f"label {name}={label} is not in [0, {generator.num_classes - 1}]")
    table = generator.embed.weight.detach()
    return lerp(table[a], table[b], torch.linspace(0, 1, steps))


FIXED_NOISE_SEED = 1234  # the noise behind every fixed-noise grid (live page, checkpoint card)


@torch.no_grad()
def fixed_noise_images(
    generator: nn.Module,
    *,
    columns: int = 8,
    max_rows: int = 20,
    seed: int = FIXED_NOISE_SEED,
    device: str | torch.device = "cpu",
) -> np.ndarray:
    """The fixed-noise grid's images, (rows * columns, C, H, W): columns x columns samples, or
    for a conditional G one row per class (at most ``max_rows``) with the same latents in every
    row, so what changes down a column is the label. The same seed draws the same grid on the
    live page, in a checkpoint's card and from the CLI."""
    classes = min(generator.num_classes, max_rows)
    g = torch.Generator().manual_seed(seed)
    z = generator.sample_latent(
        columns if classes else columns * columns, generator=g, device="cpu"
    )
    y = None
    if classes:
        z = z.repeat(classes, 1)
        y = torch.arange(classes).repeat_interleave(columns).to(device)
    with evaluating(generator):
        return generator(z.to(device), y).float().cpu().numpy()
