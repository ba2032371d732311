"""Metrics on feature vectors, whatever network made them: Gaussian statistics, the Frechet
distance between two Gaussians, and improved precision and recall (Kynkaanniemi et al. 2019).
Pure NumPy / torch math on (n, d) arrays, validated loudly; :mod:`gancore.eval.image` feeds it
classifier features."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

DEFAULT_K = 3
_CHUNK = 1 << 22  # max elements of a pairwise-distance block (32 MiB in float64)


# ----- features and Gaussian statistics ----------------------------------------------------------


def as_feature_matrix(name: str, a: Any, *, min_rows: int = 1) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(
            f"{name} must be a 2D array (n, d) with n >= {min_rows}, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def feature_statistics(features: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean (d,) and covariance (d, d) (unbiased, ddof=1) of features (n, d), n >= 2, float64."""
    x = as_feature_matrix("features", features, min_rows=2)
    mu = x.mean(axis=0)
    xc = x - mu
    sigma = xc.T @ xc / (len(x) - 1)
    return mu, (sigma + sigma.T) / 2


def _stats_pair(mu: Any, sigma: Any, which: str) -> tuple[np.ndarray, np.ndarray]:
    mu = np.asarray(mu.detach().cpu() if isinstance(mu, torch.Tensor) else mu, dtype=np.float64)
    sigma = as_feature_matrix(f"sigma{which}", sigma)
    if mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise ValueError(
            f"mu{which} must have shape (d,) and sigma{which} (d, d); got {mu.shape} and {sigma.shape}"
        )
    if not np.isfinite(mu).all():
        raise ValueError(f"mu{which} contains NaN or infinite values")
    scale = max(1.0, float(np.abs(sigma).max()))
    if np.abs(sigma - sigma.T).max() > 1e-6 * scale:
        raise ValueError(f"sigma{which} is not symmetric: not a covariance matrix")
    sigma = (sigma + sigma.T) / 2
    if np.linalg.eigvalsh(sigma)[0] < -1e-6 * scale:
        raise ValueError(f"sigma{which} has a clearly negative eigenvalue: not a covariance matrix")
    return mu, sigma


def _sqrt_psd(a: np.ndarray) -> np.ndarray:
    """Square root of a symmetric positive semi-definite matrix; tiny negative eigenvalues -> 0."""
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def frechet_distance(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float:
    """Frechet (2-Wasserstein squared) distance between N(mu1, sigma1) and N(mu2, sigma2):

        ||mu1 - mu2||^2 + tr(sigma1) + tr(sigma2) - 2 tr((sigma1^1/2 sigma2 sigma1^1/2)^1/2)

    Both square roots are of symmetric PSD matrices, taken by eigen-decomposition with
    negative round-off eigenvalues clipped to 0, so singular or near-singular covariances
    (fewer samples than dimensions, dead features) need no jitter. Returns a float >= 0."""
    m1, s1 = _stats_pair(mu1, sigma1, "1")
    m2, s2 = _stats_pair(mu2, sigma2, "2")
    if m1.shape != m2.shape:
        raise ValueError(f"the two Gaussians differ in dimension: {m1.size} vs {m2.size}")
    root1 = _sqrt_psd(s1)
    inner = root1 @ s2 @ root1
    tr_covmean = float(np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0.0, None)).sum())
    diff = m1 - m2
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)
    return max(value, 0.0)  # round-off can dip a hair below 0 for identical Gaussians


# ----- precision and recall (Kynkaanniemi et al. 2019) -------------------------------------------------


def _sq_dists(a: torch.Tensor, b: torch.Tensor, b_sq: torch.Tensor) -> torch.Tensor:
    d2 = (a * a).sum(1, keepdim=True) + b_sq[None, :] - 2.0 * (a @ b.T)
    return d2.clamp_min_(0.0)


def _knn_radii_sq(x: torch.Tensor, k: int) -> torch.Tensor:
    """Squared distance of every point to its k-th nearest other point of the same set."""
    x_sq = (x * x).sum(1)
    rows = max(1, _CHUNK // len(x))
    out = torch.empty(len(x), dtype=x.dtype)
    for i in range(0, len(x), rows):
        # the k+1-th smallest: the point itself is the first, at distance 0 (topk is much
        # faster than kthvalue here)
        d2 = _sq_dists(x[i : i + rows], x, x_sq)
        out[i : i + rows] = d2.topk(k + 1, dim=1, largest=False).values[:, -1]
    return out


def _share_inside(points: torch.Tensor, centres: torch.Tensor, radii_sq: torch.Tensor) -> float:
    """Share of ``points`` inside at least one ball (centre, radius) of the other set."""
    c_sq = (centres * centres).sum(1)
    # round-off of the expanded square: a point equal to a centre must count as inside
    tol = 1e-9 * float(c_sq.mean()) + 1e-12
    rows = max(1, _CHUNK // len(centres))
    inside = 0
    for i in range(0, len(points), rows):
        d2 = _sq_dists(points[i : i + rows], centres, c_sq)
        inside += int((d2 <= radii_sq[None, :] + tol).any(1).sum())
    return inside / len(points)


def precision_recall(
    real_features: Any, fake_features: Any, *, k: int = DEFAULT_K
) -> dict[str, float]:
    """Improved precision and recall (Kynkaanniemi et al., NeurIPS 2019).

    Each set's manifold is the union of balls around its points with radius the distance to
    the point's k-th nearest neighbour in the same set. Precision is the share of fake points
    inside the real manifold (quality), recall the share of real points inside the fake
    manifold (coverage). Pairwise distances are computed in blocks (float64), so 10k x 10k
    sets need tens of MB, not GB. Use equally sized sets: the radii shrink as n grows."""
    real = torch.from_numpy(as_feature_matrix("real_features", real_features))
    fake = torch.from_numpy(as_feature_matrix("fake_features", fake_features))
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature dimensions differ: real {real.shape[1]}, fake {fake.shape[1]}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if min(len(real), len(fake)) <= k:
        raise ValueError(
            f"each set needs more than k={k} points; got {len(real)} real, {len(fake)} fake"
        )
    centre = real.mean(0)  # centring cuts the round-off of the expanded squares
    real, fake = real - centre, fake - centre
    return {
        "precision": _share_inside(fake, real, _knn_radii_sq(real, k)),
        "recall": _share_inside(real, fake, _knn_radii_sq(fake, k)),
    }
