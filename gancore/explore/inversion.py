"""Bring your own image: find the latent (and label) a pretrained generator would draw it from.

Inversion optimises z by gradient descent on the pixel error, from several random starts at
once; for a conditional generator every label is tried in the same batch and the best one is
the "nearest label". The anomaly score follows AnoGAN (Schlegl et al. 2017): a weighted sum of
the residual (pixels) and the discrimination loss (distance in D's feature space). An image the
generator cannot draw, such as a letter given to an MNIST digit model, scores high.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps

from gancore.models.modes import evaluating

MAX_UPLOAD_PIXELS = 25_000_000  # refuse decompression bombs before decoding
ANOMALY_LAMBDA = 0.1  # AnoGAN's weight of the feature term


@dataclass
class Inversion:
    """The best reconstruction of one target image."""

    z: np.ndarray  # (latent_dim,)
    label: int | None  # the nearest label for a conditional model
    reconstruction: np.ndarray  # (C, H, W) in [-1, 1]
    pixel_error: float  # mean squared error per pixel, in [-1, 1] units
    feature_error: float | None  # mean squared distance of D's features (None: no D)
    anomaly_score: float | None  # (1 - λ) pixel_error + λ feature_error (None: no D)
    label_errors: dict[int, float]  # best pixel error reached under each label
    history: list[float]  # best pixel error at each optimisation step (history[0]: the start)
    seconds: float = 0.0  # wall time of the search


def prepare_image(
    image: Image.Image, *, size: int, channels: int, invert: str = "auto"
) -> np.ndarray:
    """A picture as the generator's input space: (C, size, size) float32 in [-1, 1].

    ``invert='auto'`` flips dark-on-light pictures (a digit drawn on white paper) to the
    light-on-dark look of MNIST; 'yes' and 'no' force it.
    """
    if invert not in ("auto", "yes", "no"):
        raise ValueError(f"invert must be 'auto', 'yes' or 'no', got {invert!r}")
    if image.width * image.height > MAX_UPLOAD_PIXELS:
        raise ValueError(
            f"the image is {image.width}×{image.height} pixels; the limit is {MAX_UPLOAD_PIXELS:,}"
        )
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(background, image)
    image = image.convert("L" if channels == 1 else "RGB")
    image = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    x = np.asarray(image, dtype=np.float32) / 255.0
    if invert == "yes" or (invert == "auto" and x.mean() > 0.5):
        x = 1.0 - x
    x = x[None] if channels == 1 else x.transpose(2, 0, 1)
    return (x * 2.0 - 1.0).astype(np.float32)


def invert(
    generator: torch.nn.Module,
    discriminator: torch.nn.Module | None,
    target: np.ndarray,
    *,
    label: int | None = None,
    steps: int = 200,
    restarts: int = 4,
    lr: float = 0.05,
    seed: int = 0,
    noise_seed: int | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> Inversion:
    """Optimise z (and, for a conditional model with ``label=None``, pick the label) to draw ``target``.

    Starts are drawn from ``seed``. A generator with noise layers (a community GAN: it has
    ``noise_from``) draws the same noise maps from ``noise_seed`` (default: ``seed``) at every
    step, so the search is deterministic. Without a ``discriminator`` (community repos ship
    only G) there is no feature error and no anomaly score. ``progress(step, best_error)``
    is called after each step."""
    if not 1 <= steps <= 5000:
        raise ValueError(f"steps must be in [1, 5000], got {steps}")
    if not 1 <= restarts <= 64:
        raise ValueError(f"restarts must be in [1, 64], got {restarts}")
    x = torch.as_tensor(target, dtype=torch.float32)[None]
    classes = generator.num_classes
    if classes and label is not None and not 0 <= label < classes:
        raise ValueError(f"label must be in [0, {classes - 1}], got {label}")
    labels = [None] if not classes else ([label] if label is not None else list(range(classes)))
    y = None if not classes else torch.tensor(labels).repeat_interleave(restarts)
    n = restarts * len(labels)
    gen = torch.Generator().manual_seed(seed)
    z = generator.sample_latent(n, generator=gen, device="cpu").requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    history, started = [], time.perf_counter()
    models = [m for m in (generator, discriminator) if m is not None]
    noise_from = getattr(generator, "noise_from", None)
    noise = noise_from(seed if noise_seed is None else noise_seed) if noise_from else None
    with evaluating(*models), noise or contextlib.nullcontext():
        for step in range(steps):
            err = ((generator(z, y) - x) ** 2).flatten(1).mean(1)  # (n,)
            opt.zero_grad(set_to_none=True)
            err.sum().backward()  # each start is independent: summing keeps their gradients apart
            opt.step()
            history.append(float(err.detach().min()))
            if progress is not None:
                progress(step, history[-1])
        with torch.no_grad():
            recon = generator(z, y)
            err = ((recon - x) ** 2).flatten(1).mean(1)
            best = int(err.argmin())
            feature_error = None
            if discriminator is not None:
                yb = None if y is None else y[best : best + 1]
                f_real = discriminator.features(x, yb)
                f_fake = discriminator.features(recon[best : best + 1], yb)
                feature_error = float(((f_real - f_fake) ** 2).mean())
    per_label = {}
    if classes:
        for i, lab in enumerate(labels):
            per_label[int(lab)] = float(err[i * restarts : (i + 1) * restarts].min())
    pixel = float(err[best])
    return Inversion(
        z=z[best].detach().numpy().copy(),
        label=None if y is None else int(y[best]),
        reconstruction=recon[best].numpy(),
        pixel_error=pixel,
        feature_error=feature_error,
        anomaly_score=None
        if feature_error is None
        else (1 - ANOMALY_LAMBDA) * pixel + ANOMALY_LAMBDA * feature_error,
        label_errors=per_label,
        history=history,
        seconds=time.perf_counter() - started,
    )
