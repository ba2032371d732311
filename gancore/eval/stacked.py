"""Stacked MNIST's mode metrics (Srivastava et al. 2017; Lin et al. 2018, PacGAN, Table 2).

A Stacked MNIST image holds three digits, one per colour plane, so it belongs to one of 1000
modes (r*100 + g*10 + b). Each plane of a generated image is read by the shipped MNIST
classifier (:mod:`gancore.eval.classifier`); over ``PACGAN_SAMPLES`` = 26,000 samples, as PacGAN
and VEEGAN count, two numbers say how much of the data G covers:

- modes covered: how many of the 1000 modes hold at least one sample (``min_count``);
- KL(generated mode histogram || uniform) in nats: log(1000) - H(p) -- 0 when every mode is
  equally frequent, log(1000) = 6.91 when every sample falls in one mode; it splits exactly
  into the three planes' own digit KLs (``plane_kl``) and what the planes share
  (``dependence_kl``), which tells uneven digits from modes missed in combination.

Real Stacked MNIST itself scores ~1000 modes and KL ~0.03 on 26,000 samples: MNIST's digit
shares are not quite even (KL ~0.01 from them) and 26,000 draws from 1000 bins leave
sampling noise of ~(K-1)/(2N) = 0.02. Fewer samples (the image page's estimate) read fewer
modes and a larger KL for the same G: compare numbers at the same sample count only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from gancore.eval.classifier import Classifier, load_classifier, predict_logits

NUM_MODES = 1000
PACGAN_SAMPLES = 26_000
# PacGAN, Lin et al. 2018, Table 2 (the stacked MNIST experiment of VEEGAN's setting)
PACGAN_TABLE2 = {
    "DCGAN": {"modes": 99.0, "kl": 3.40},
    "PacDCGAN2": {"modes": 1000.0, "kl": 0.06},
}


def _planes(images: Any) -> torch.Tensor:
    """Generated images (N, 3, H, W), float in [-1, 1] or uint8 -> (3N, 1, H, W), planes in
    channel order: every image's red plane, then every green, then every blue."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images must be a tensor or an array, got {type(images).__name__}")
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[0] < 1:
        raise ValueError(
            f"Stacked MNIST images have shape (N, 3, H, W) with N >= 1, got {tuple(images.shape)}"
        )
    x = images.detach().cpu()
    return x.transpose(0, 1).reshape(-1, 1, *x.shape[2:])


def stacked_modes(
    images: Any, *, classifier: Classifier | None = None, batch_size: int = 2000
) -> np.ndarray:
    """The mode (n,) int64 in [0, 1000) of each image: the classifier's digit of its red,
    green and blue planes as r*100 + g*10 + b."""
    clf = classifier if classifier is not None else load_classifier("mnist")
    if clf.config.num_classes != 10:
        raise ValueError(f"a digit classifier has 10 classes, this one {clf.config.num_classes}")
    planes = _planes(images)
    n = planes.shape[0] // 3
    digits = predict_logits(clf, planes, batch_size=batch_size).argmax(1).numpy().reshape(3, n)
    return (100 * digits[0] + 10 * digits[1] + digits[2]).astype(np.int64)


def mode_histogram(modes: Any) -> np.ndarray:
    """Counts (1000,) int64 of modes (n,) in [0, 1000)."""
    m = np.asarray(modes)
    if m.ndim != 1 or m.size == 0 or m.dtype.kind not in "iu":
        raise ValueError(f"modes must be a non-empty 1D integer array, got {m.dtype} {m.shape}")
    if m.min() < 0 or m.max() >= NUM_MODES:
        raise ValueError(f"modes must be in [0, {NUM_MODES}), got [{m.min()}, {m.max()}]")
    return np.bincount(m, minlength=NUM_MODES).astype(np.int64)


def kl_to_uniform(counts: Any) -> float:
    """KL(p || uniform) in nats of a histogram: sum p log(p K) over the non-empty bins."""
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim != 1 or c.size == 0 or (c < 0).any() or not np.isfinite(c).all() or c.sum() == 0:
        raise ValueError("counts must be a 1D array of non-negative numbers, not all zero")
    p = c[c > 0] / c.sum()
    return max(0.0, float((p * np.log(p * c.size)).sum()))


def mode_metrics(modes: Any, *, min_count: int = 1) -> dict[str, Any]:
    """Modes covered (at least ``min_count`` samples) of 1000 and KL to uniform, from modes."""
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be a positive int, got {min_count!r}")
    counts = mode_histogram(modes)
    kl = kl_to_uniform(counts)
    planes = plane_kls(modes)
    return {
        "modes_covered": int((counts >= min_count).sum()),
        "num_modes": NUM_MODES,
        "kl_to_uniform": kl,
        "plane_kl": planes,
        "dependence_kl": max(0.0, kl - sum(planes)),
        "largest_mode_share": float(counts.max() / counts.sum()),
        "samples": int(counts.sum()),
        "min_count": min_count,
    }


def plane_kls(modes: Any) -> list[float]:
    """KL(digit histogram || uniform over 10) of the red, green and blue planes, from modes.

    KL(modes || uniform) is exactly their sum plus the planes' total correlation (how much
    one plane's digit tells of another's; >= 0): so it says whether a high KL comes from G
    drawing some digits too often in every plane (half-formed strokes read as 3 or 8, say),
    or from planes that move together (modes missed in combination)."""
    m = np.asarray(modes)
    mode_histogram(m)  # the same checks
    digits = (m // 100, (m // 10) % 10, m % 10)
    return [kl_to_uniform(np.bincount(d, minlength=10)) for d in digits]


def stacked_mnist_metrics(
    images: Any, *, classifier: Classifier | None = None, min_count: int = 1
) -> dict[str, Any]:
    """Modes covered of 1000, KL(mode histogram || uniform), the largest mode's share and the
    sample count of generated Stacked MNIST images (N, 3, H, W) in [-1, 1]. PacGAN's numbers
    are on 26,000 samples (:data:`PACGAN_SAMPLES`)."""
    return mode_metrics(stacked_modes(images, classifier=classifier), min_count=min_count)


def expected_modes_covered(samples: int, num_modes: int = NUM_MODES) -> float:
    """Modes a perfectly uniform generator covers with ``samples`` draws: K (1 - (1 - 1/K)^n)."""
    return num_modes * (1.0 - math.exp(samples * math.log1p(-1.0 / num_modes)))
