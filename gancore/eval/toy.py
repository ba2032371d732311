"""Metrics on samples. Toy part: mode coverage, grid divergences and a 1D KDE (NumPy only)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

_CHUNK = 1 << 22  # max elements of a pairwise-distance block held in memory at once


def _points(name: str, a: Any, dim: int | None = None) -> np.ndarray:
    """As a finite float64 array of shape (n, d); a 1D array counts as (n, 1)."""
    if hasattr(a, "detach"):  # a torch tensor; keeps this module free of a torch import
        a = a.detach().cpu().numpy()
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or (dim is not None and arr.shape[1] != dim):
        want = f"(n, {dim})" if dim is not None else "(n, d)"
        raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains non-finite values")
    return arr


def mode_metrics(samples: Any, modes: Any, std: float) -> dict[str, Any]:
    """Mode coverage of `samples` (n, d) against mode centres `modes` (k, d) of spread `std`.

    A sample is high quality (HQ) when it lies within 3 std (Euclidean) of its nearest mode; a
    mode is captured when it is the nearest mode of at least one HQ sample. `reverse_kl` is
    KL(p_g || uniform) over the modes, where p_g is the share of HQ samples assigned to each
    mode: empty modes add 0 (0 log 0 = 0), and with no HQ sample at all it is log k, the
    value of all mass on one mode, so it is always finite.
    """
    modes = _points("modes", modes)
    x = _points("samples", samples, dim=modes.shape[1])
    if isinstance(std, bool) or not isinstance(std, (int, float)) or not std > 0:
        raise ValueError(f"std must be a positive number, got {std!r}")
    k = modes.shape[0]
    nearest = np.empty(len(x), dtype=np.int64)
    dist = np.empty(len(x))
    rows = max(1, _CHUNK // k)
    for start in range(0, len(x), rows):
        d2 = ((x[start : start + rows, None, :] - modes[None]) ** 2).sum(-1)  # (rows, k)
        nearest[start : start + rows] = d2.argmin(1)
        dist[start : start + rows] = np.sqrt(d2.min(1))
    hq = dist <= 3 * std
    counts = np.bincount(nearest[hq], minlength=k)
    if counts.sum() == 0:
        reverse_kl = math.log(k)
    else:
        q = counts[counts > 0] / counts.sum()
        reverse_kl = float(np.sum(q * np.log(q * k)))
    return {
        "modes_captured": int((counts > 0).sum()),
        "num_modes": k,
        "high_quality_share": float(hq.mean()),
        "reverse_kl": max(reverse_kl, 0.0),  # float noise can dip a hair below 0
        "mode_counts": counts.tolist(),
    }


def _bins_per_dim(bins: int | Sequence[int], d: int) -> list[int]:
    b = [bins] * d if isinstance(bins, int) else list(bins)
    if len(b) != d or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in b):
        raise ValueError(f"bins must be a positive integer or {d} of them, got {bins!r}")
    return b


def grid_histogram(
    samples: Any, bounds: Sequence[tuple[float, float]], bins: int | Sequence[int]
) -> np.ndarray:
    """Counts of `samples` (n, d) on a regular grid over `bounds`, shape (bins,) * d.

    Every sample is counted: points outside the bounds are clipped into the edge cells, so
    the grid stays the plotted view box and `hist.sum() == n`.
    """
    d = len(bounds)
    x = _points("samples", samples, dim=d)
    b = _bins_per_dim(bins, d)
    flat = np.zeros(len(x), dtype=np.int64)
    for j, ((lo, hi), nb) in enumerate(zip(bounds, b, strict=True)):
        if not hi > lo:
            raise ValueError(f"bounds must have lo < hi, got {(lo, hi)} for dimension {j}")
        idx = np.floor((x[:, j] - lo) / (hi - lo) * nb).astype(np.int64)
        flat = flat * nb + np.clip(idx, 0, nb - 1)
    return np.bincount(flat, minlength=math.prod(b)).reshape(b)


def grid_divergences(
    real: Any,
    fake: Any,
    bounds: Sequence[tuple[float, float]],
    bins: int | Sequence[int] = 50,
    eps: float = 1e-6,
) -> dict[str, float]:
    """KL(p_data||p_g), KL(p_g||p_data) and JS between grid histograms of real and fake.

    Histograms come from `grid_histogram` (every sample counted) and are normalised to sum
    to 1. For the KLs each cell gets `eps` added before renormalising, so an empty cell
    costs about log(1/eps) instead of infinity. JS needs no smoothing (it is bounded by
    log 2, reached by disjoint supports) and is computed on the raw histograms. Natural log.
    """
    if not 0 < eps < 1:
        raise ValueError(f"eps must be in (0, 1), got {eps!r}")
    p = grid_histogram(real, bounds, bins).ravel().astype(np.float64)
    q = grid_histogram(fake, bounds, bins).ravel().astype(np.float64)
    p, q = p / p.sum(), q / q.sum()
    m = 0.5 * (p + q)

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        nz = a > 0
        return float(np.sum(a[nz] * np.log(a[nz] / b[nz])))

    ps, qs = (p + eps) / (1 + eps * p.size), (q + eps) / (1 + eps * q.size)
    return {
        "kl_data_g": kl(ps, qs),
        "kl_g_data": kl(qs, ps),
        "js": 0.5 * kl(p, m) + 0.5 * kl(q, m),
    }


def kde(samples: Any, x: Any, bandwidth: float | None = None) -> np.ndarray:
    """Gaussian kernel density estimate of 1D `samples`, evaluated at points `x`.

    The default bandwidth is Scott's rule, std * n^(-1/5). It is floored at the spacing of
    `x` (range / (len - 1)), so a collapsed generator still draws as a visible spike
    instead of vanishing between grid points.
    """
    s = _points("samples", samples, dim=1)[:, 0]
    xs = np.asarray(x, dtype=np.float64).ravel()
    if xs.size == 0 or not np.isfinite(xs).all():
        raise ValueError("x must be a non-empty array of finite numbers")
    if bandwidth is None:
        std = float(s.std(ddof=1)) if s.size > 1 else 0.0
        spacing = float(np.ptp(xs)) / (xs.size - 1) if xs.size > 1 else 0.0
        bandwidth = max(std * s.size ** (-1 / 5), spacing, 1e-6)
    elif isinstance(bandwidth, bool) or not bandwidth > 0 or not math.isfinite(bandwidth):
        raise ValueError(f"bandwidth must be a positive number, got {bandwidth!r}")
    out = np.empty(xs.size)
    cols = max(1, _CHUNK // s.size)
    for start in range(0, xs.size, cols):
        u = (xs[start : start + cols, None] - s[None, :]) / bandwidth
        out[start : start + cols] = np.exp(-0.5 * u**2).mean(1)
    return out / (bandwidth * math.sqrt(2 * math.pi))


TOY_METRICS = (
    "modes_captured",
    "num_modes",
    "high_quality_share",
    "reverse_kl",
    "grid_kl_data_g",
    "grid_kl_g_data",
    "grid_js",
)


def toy_quality(fakes: Any, real: Any, dist: Any) -> dict[str, float]:
    """The toy metrics every part of gancore reports, under one set of names (TOY_METRICS):
    mode coverage and high-quality share where ``dist`` (a gancore.data.toy distribution) has
    modes, and the grid divergences KL(p_data || p_g), KL(p_g || p_data) and JS between the
    ``real`` and the ``fakes`` on the distribution's bounds (40 bins a side in 2D, 100 in 1D)."""
    out: dict[str, float] = {}
    if dist.modes is not None and dist.mode_std is not None:
        m = mode_metrics(fakes, dist.modes, dist.mode_std)
        out.update({k: m[k] for k in TOY_METRICS[:4]})
    g = grid_divergences(real, fakes, dist.bounds, bins=40 if dist.dim == 2 else 100)
    out.update(grid_kl_data_g=g["kl_data_g"], grid_kl_g_data=g["kl_g_data"], grid_js=g["js"])
    return out
