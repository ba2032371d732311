"""What the toy labs draw: a GAN's current state evaluated on grids and samples.

Each probe runs the models in eval mode under ``torch.no_grad`` (or with gradients only
with respect to the inputs) and returns NumPy arrays; the plots module turns them into
figures. Nothing here changes a model's weights.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from gancore import theory
from gancore.data.toy import ToyDistribution
from gancore.eval.toy import kde
from gancore.models.modes import evaluating
from gancore.train.losses import LossSpec
from gancore.train.stabilizers import per_sample


def discriminator_values(discriminator: nn.Module, x: np.ndarray, spec: LossSpec) -> np.ndarray:
    """D(x) as a probability (sigmoid of the logit) or, for critics, the raw critic score.

    A packing D (PacGAN) judges each point packed with copies of itself."""
    with evaluating(discriminator), torch.no_grad():
        out = per_sample(discriminator, torch.as_tensor(x, dtype=torch.float32))
        if spec.probabilities:
            out = torch.sigmoid(out)
    return out.numpy().astype(np.float64)


def field_2d(
    discriminator: nn.Module, bounds: tuple[tuple[float, float], ...], spec: LossSpec, n: int = 56
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D (or the critic) on an n x n grid over ``bounds``: (xs, ys, values (n, n), rows = y)."""
    (x0, x1), (y0, y1) = bounds
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    return xs, ys, discriminator_values(discriminator, pts, spec).reshape(n, n)


def fake_gradients(discriminator: nn.Module, fakes: np.ndarray, spec: LossSpec) -> np.ndarray:
    """−∂L_G/∂x at each fake sample: the direction G's loss pushes that sample (N, D)."""
    x = torch.as_tensor(fakes, dtype=torch.float32).requires_grad_(True)
    with evaluating(discriminator):
        loss = spec.g_loss(per_sample(discriminator, x)) * x.shape[0]  # per sample, summed
        (grad,) = torch.autograd.grad(loss, x)
    return -grad.numpy().astype(np.float64)


def generator_mesh(
    generator: nn.Module, *, lines: int = 13, points: int = 40, span: float | None = None
) -> list[np.ndarray]:
    """The generator manifold: a grid of z pushed through G, as polylines in data space.

    Varies the first two latent coordinates over ``[-span, span]`` (default: 2 for normal
    noise, 1 for uniform) and holds the rest at 0; a 1D latent gives one line.
    """
    cfg = generator.config
    if span is None:
        span = 1.0 if cfg.noise == "uniform" else 2.0
    ticks = np.linspace(-span, span, lines)
    along = np.linspace(-span, span, points)
    polylines = []
    dims = min(cfg.latent_dim, 2)
    for direction in range(dims):
        for t in ticks if dims == 2 else [0.0]:
            z = np.zeros((points, cfg.latent_dim))
            z[:, direction] = along
            if dims == 2:
                z[:, 1 - direction] = t
            polylines.append(z)
    z = torch.as_tensor(np.concatenate(polylines), dtype=torch.float32)
    with evaluating(generator), torch.no_grad():  # one forward pass for every line
        x = generator(z).numpy().astype(np.float64)
    return np.split(x, len(polylines))


def snapshot_1d(
    generator: nn.Module,
    discriminator: nn.Module,
    dist: ToyDistribution,
    spec: LossSpec,
    *,
    x: np.ndarray,
    fakes: np.ndarray,
    mapping_z: np.ndarray,
) -> dict[str, np.ndarray | float]:
    """The 1D lab's picture (Goodfellow et al. 2014, Fig. 1) and its numbers.

    p_data is exact; p_g is a KDE of ``fakes``; D is the learned discriminator; D* is exact
    for that p_g. V(D, G) uses the learned D, V(D*, G) the optimal one, both integrated on ``x``.
    """
    p_data = np.asarray(dist.density(x), dtype=np.float64)
    p_data = p_data / theory.integrate(p_data, x)
    p_g = kde(fakes.reshape(-1), x)
    z_p = theory.integrate(p_g, x)
    p_g = p_g / z_p if z_p > 0 else p_g
    d = discriminator_values(discriminator, x[:, None], spec)
    d_star = theory.optimal_discriminator(p_data, p_g)
    with evaluating(generator), torch.no_grad():
        gz = generator(torch.as_tensor(mapping_z, dtype=torch.float32)).numpy().reshape(-1)
    out: dict[str, np.ndarray | float] = {
        "x": x,
        "p_data": p_data,
        "p_g": p_g,
        "d": d,
        "d_star": d_star,
        "z": mapping_z.reshape(-1),
        "gz": gz.astype(np.float64),
        "v_star": theory.value_function(p_data, p_g, d_star, x),
        "js": theory.js_divergence(p_data, p_g, x),
        "w1": theory.wasserstein1(p_data, p_g, x),
    }
    out["v_learned"] = theory.value_function(p_data, p_g, d, x) if spec.probabilities else np.nan
    return out
