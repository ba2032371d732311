"""Inception FID, KID and IS through torchmetrics (and torch-fidelity's InceptionV3), optional.

The standard, published-comparable scores, where the Inception weights can be had: the
optional extra ``pip install 'gancore[inception]'`` brings torchmetrics and torch-fidelity,
which download the weights once (from torch-fidelity's GitHub release, ~100 MB) into the
torch hub cache and load them with ``torch.load``'s default ``weights_only=True``. Without
the extra, or without the weights and a network, :class:`InceptionUnavailable` says which
and what to do; the classifier metrics in ``gancore.eval.image`` work everywhere.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

BATCH = 100


class InceptionUnavailable(RuntimeError):
    """Inception metrics cannot be computed here: the extra is missing or the weights are."""


def _to_unit_rgb(images: Any) -> torch.Tensor:
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise ValueError(f"images must be (N, 1 or 3, H, W) in [-1, 1], got shape {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("images contain NaN or inf")
    x = ((x.clamp(-1, 1) + 1) / 2).contiguous()
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


def inception_metrics(
    fake_images: Any,
    real_images: Any,
    *,
    kid_subset_size: int = 1000,
    feature: nn.Module | None = None,
) -> dict[str, float]:
    """FID, KID (mean and std over subsets) and Inception Score of generated images against
    real ones, both (N, C, H, W) in [-1, 1] (grayscale is repeated to RGB; torchmetrics
    resizes to 299 px). ``feature``: a stand-in feature extractor (tests); it skips IS."""
    try:
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.inception import InceptionScore
        from torchmetrics.image.kid import KernelInceptionDistance
    except ImportError:
        raise InceptionUnavailable(
            "Inception FID / KID / IS need the optional extra: pip install 'gancore[inception]' "
            "(torchmetrics and torch-fidelity). The classifier Frechet distance, label "
            "accuracy and precision/recall work without it."
        ) from None
    fake, real = _to_unit_rgb(fake_images), _to_unit_rgb(real_images)
    n = min(len(fake), len(real))
    if n < 2:
        raise ValueError(
            f"need at least 2 generated and 2 real images, got {len(fake)} and {len(real)}"
        )
    try:
        fid = FrechetInceptionDistance(feature=feature or 2048, normalize=True)
        kid = KernelInceptionDistance(
            feature=feature or 2048, subset_size=min(kid_subset_size, n), normalize=True
        )
        score = None if feature is not None else InceptionScore(normalize=True)
    except (OSError, RuntimeError) as err:  # urllib's URLError is an OSError
        raise InceptionUnavailable(
            f"the Inception weights could not be fetched ({' '.join(str(err).split())[:200]}). "
            "torch-fidelity downloads them once into the torch hub cache (~/.cache/torch/hub/"
            "checkpoints): run once with a network, or copy the file there."
        ) from None
    with torch.inference_mode():
        for i in range(0, len(real), BATCH):
            fid.update(real[i : i + BATCH], real=True)
            kid.update(real[i : i + BATCH], real=True)
        for i in range(0, len(fake), BATCH):
            fid.update(fake[i : i + BATCH], real=False)
            kid.update(fake[i : i + BATCH], real=False)
            if score is not None:
                score.update(fake[i : i + BATCH])
        kid_mean, kid_std = kid.compute()
        out = {
            "inception_fid": float(fid.compute()),
            "inception_kid": float(kid_mean),
            "inception_kid_std": float(kid_std),
            "inception_samples": len(fake),
        }
        if score is not None:
            is_mean, is_std = score.compute()
            out.update(inception_score=float(is_mean), inception_score_std=float(is_std))
    return out
