"""Toy 1D and 2D distributions: a sampler driven by a torch.Generator, and an exact density
where one exists.

Every distribution has `name`, `dim`, `bounds` (a view box, one (lo, hi) per dimension),
`modes` / `mode_std` (for the mode metrics; None when the data has no discrete modes) and
`params` (the keyword arguments that rebuild it with `get_toy(name, **params)`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

Bounds = tuple[tuple[float, float], ...]

MAX_USER_POINTS = 100_000


def _check_positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)


def _check_finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


class ToyDistribution:
    """Base class: subclasses implement `_sample` and, when they have one, `_density`."""

    has_density = False

    def __init__(
        self,
        name: str,
        dim: int,
        bounds: Bounds,
        params: dict[str, Any],
        modes: np.ndarray | None = None,
        mode_std: float | None = None,
    ) -> None:
        self.name = name
        self.dim = dim
        self.bounds = tuple((float(lo), float(hi)) for lo, hi in bounds)
        self.params = params
        self.modes = None if modes is None else np.asarray(modes, dtype=np.float64)
        self.mode_std = mode_std

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, dim={self.dim})"

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Draw `n` samples, float32 of shape (n, dim), using only `generator`'s randomness."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        if not isinstance(generator, torch.Generator):
            raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        return self._sample(n, generator)

    def density(self, x: np.ndarray) -> np.ndarray:
        """Exact pdf at `x`: shape (m,) or (m, 1) for 1D, (..., 2) for 2D; returns x's batch shape."""
        if not self.has_density:
            raise NotImplementedError(f"toy dataset {self.name!r} has no closed-form density")
        x = np.asarray(x, dtype=np.float64)
        if self.dim == 1 and (x.ndim == 0 or x.shape[-1] != 1):
            x = x[..., None]  # (m,) -> (m, 1)
        if x.shape[-1] != self.dim:
            raise ValueError(f"x must end in dimension {self.dim}, got shape {x.shape}")
        return self._density(x)

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        raise NotImplementedError

    def _density(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class GaussianMixture(ToyDistribution):
    """Equal-weight mixture of isotropic Gaussians with a shared standard deviation."""

    has_density = True

    def __init__(
        self, name: str, means: np.ndarray, std: float, bounds: Bounds, params: dict[str, Any]
    ) -> None:
        means = np.asarray(means, dtype=np.float64)
        super().__init__(name, means.shape[1], bounds, params, modes=means, mode_std=std)
        self.std = std
        self._means = torch.as_tensor(means, dtype=torch.float32)

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        k = self._means.shape[0]
        component = torch.randint(k, (n,), generator=generator)
        noise = torch.randn(n, self.dim, generator=generator)
        return self._means[component] + self.std * noise

    def _density(self, x: np.ndarray) -> np.ndarray:
        d2 = ((x[..., None, :] - self.modes) ** 2).sum(-1)  # (..., k)
        norm = (2 * math.pi * self.std**2) ** (self.dim / 2)
        return np.exp(-0.5 * d2 / self.std**2).mean(-1) / norm


class Uniform1D(ToyDistribution):
    """Uniform on [low, high]."""

    has_density = True

    def __init__(self, low: float, high: float) -> None:
        pad = 0.5 * (high - low)
        super().__init__("uniform", 1, ((low - pad, high + pad),), {"low": low, "high": high})
        self.low, self.high = low, high

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.low + (self.high - self.low) * torch.rand(n, 1, generator=generator)

    def _density(self, x: np.ndarray) -> np.ndarray:
        inside = (x[..., 0] >= self.low) & (x[..., 0] <= self.high)
        return inside / (self.high - self.low)


class Line2D(ToyDistribution):
    """Uniform on a segment of half-length L through the origin, blurred by isotropic noise.

    The density is exact: uniform along the segment convolved with a Gaussian factorises into
    a Gaussian across the line times a difference of normal CDFs along it.
    """

    has_density = True

    def __init__(self, length: float, angle_deg: float, noise: float) -> None:
        half = length / 2
        box = half + 1.0
        params = {"length": length, "angle_deg": angle_deg, "noise": noise}
        super().__init__("line", 2, ((-box, box), (-box, box)), params)
        theta = math.radians(angle_deg)
        self.half, self.noise = half, noise
        self._direction = np.array([math.cos(theta), math.sin(theta)])
        self._dir_t = torch.tensor(self._direction, dtype=torch.float32)

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        t = (2 * torch.rand(n, 1, generator=generator) - 1) * self.half
        return t * self._dir_t + self.noise * torch.randn(n, 2, generator=generator)

    def _density(self, x: np.ndarray) -> np.ndarray:
        u = x @ self._direction  # coordinate along the line
        v = x[..., 1] * self._direction[0] - x[..., 0] * self._direction[1]  # across it
        s = self.noise * math.sqrt(2)
        along = 0.5 * (_erf((self.half - u) / s) - _erf((-self.half - u) / s)) / (2 * self.half)
        across = np.exp(-0.5 * (v / self.noise) ** 2) / (math.sqrt(2 * math.pi) * self.noise)
        return along * across


def _erf(x: np.ndarray) -> np.ndarray:
    return torch.special.erf(torch.from_numpy(np.asarray(x, dtype=np.float64))).numpy()


class Spiral2D(ToyDistribution):
    """An Archimedean spiral with Gaussian noise (no closed-form density)."""

    def __init__(self, turns: float, radius: float, noise: float) -> None:
        box = radius + 0.75
        params = {"turns": turns, "radius": radius, "noise": noise}
        super().__init__("spiral", 2, ((-box, box), (-box, box)), params)
        self.turns, self.radius, self.noise = turns, radius, noise

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        # sqrt makes the points roughly uniform along the arc, whose length grows with radius
        t = torch.rand(n, generator=generator).sqrt()
        angle = 2 * math.pi * self.turns * t
        r = self.radius * t
        x = torch.stack([r * torch.cos(angle), r * torch.sin(angle)], dim=1)
        return x + self.noise * torch.randn(n, 2, generator=generator)


class Moons2D(ToyDistribution):
    """Two interleaved half circles (as sklearn's make_moons), centred and scaled by 1.5."""

    def __init__(self, noise: float) -> None:
        super().__init__("moons", 2, ((-3.0, 3.0), (-3.0, 3.0)), {"noise": noise})
        self.noise = noise

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        angle = math.pi * torch.rand(n, generator=generator)
        lower = torch.randint(2, (n,), generator=generator).bool()
        x = torch.where(lower, 1 - torch.cos(angle), torch.cos(angle))
        y = torch.where(lower, 0.5 - torch.sin(angle), torch.sin(angle))
        pts = 1.5 * (torch.stack([x - 0.5, y - 0.25], dim=1))
        return pts + self.noise * torch.randn(n, 2, generator=generator)


class PointCloud2D(ToyDistribution):
    """Resamples user-given points with small Gaussian jitter (no exact density is offered)."""

    def __init__(self, points: np.ndarray, jitter: float) -> None:
        lo, hi = points.min(0), points.max(0)
        margin = np.maximum(0.1 * (hi - lo), 0.5)
        bounds = tuple(zip((lo - margin).tolist(), (hi + margin).tolist(), strict=True))
        super().__init__("points", 2, bounds, {"points": points.tolist(), "jitter": jitter})
        self.jitter = jitter
        self._points = torch.as_tensor(points, dtype=torch.float32)

    def _sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        idx = torch.randint(self._points.shape[0], (n,), generator=generator)
        return self._points[idx] + self.jitter * torch.randn(n, 2, generator=generator)


def validate_points(points: Any) -> np.ndarray:
    """Check user points: a finite array of shape (n, 2) with 1 <= n <= 100_000."""
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"points must be a numeric array of shape (n, 2): {err}") from None
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"points must have shape (n, 2), got {arr.shape}")
    if not 1 <= arr.shape[0] <= MAX_USER_POINTS:
        raise ValueError(f"points must hold 1 to {MAX_USER_POINTS} rows, got {arr.shape[0]}")
    bad = ~np.isfinite(arr).all(axis=1)
    if bad.any():
        raise ValueError(f"points must be finite; row {int(np.argmax(bad))} is {arr[bad][0]}")
    return arr


# --- factories: keyword arguments are the dataset's parameters, validated here ---------------


def _gaussian(mean: float = 2.0, std: float = 0.5) -> ToyDistribution:
    mean, std = _check_finite("mean", mean), _check_positive("std", std)
    bounds = ((min(mean - 5 * std, -4.0), max(mean + 5 * std, 4.0)),)
    return GaussianMixture("gaussian", [[mean]], std, bounds, {"mean": mean, "std": std})


def _mixture(name: str, means: list[float], std: float) -> ToyDistribution:
    means = [_check_finite("means", m) for m in means]
    std = _check_positive("std", std)
    bounds = ((min(min(means) - 5 * std, -4.0), max(max(means) + 5 * std, 4.0)),)
    return GaussianMixture(name, [[m] for m in means], std, bounds, {"means": means, "std": std})


def _mixture2(means: tuple[float, float] = (-2.0, 2.0), std: float = 0.5) -> ToyDistribution:
    if not isinstance(means, (list, tuple)) or len(means) != 2:
        raise ValueError(f"mixture2 needs 2 means, got {means!r}")
    return _mixture("mixture2", list(means), std)


def _mixture3(
    means: tuple[float, float, float] = (-3.0, 0.0, 3.0), std: float = 0.4
) -> ToyDistribution:
    if not isinstance(means, (list, tuple)) or len(means) != 3:
        raise ValueError(f"mixture3 needs 3 means, got {means!r}")
    return _mixture("mixture3", list(means), std)


def _uniform(low: float = -2.0, high: float = 2.0) -> ToyDistribution:
    low, high = _check_finite("low", low), _check_finite("high", high)
    if high <= low:
        raise ValueError(f"uniform needs low < high, got low={low}, high={high}")
    return Uniform1D(low, high)


def _ring8(radius: float = 2.0, std: float = 0.02) -> ToyDistribution:
    radius, std = _check_positive("radius", radius), _check_positive("std", std)
    angles = 2 * np.pi * np.arange(8) / 8
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    box = radius + max(1.0, 5 * std)
    params = {"radius": radius, "std": std}
    return GaussianMixture("ring8", means, std, ((-box, box), (-box, box)), params)


def _grid25(spacing: float = 2.0, std: float = 0.05) -> ToyDistribution:
    spacing, std = _check_positive("spacing", spacing), _check_positive("std", std)
    ticks = spacing * np.arange(-2, 3)
    means = np.stack(np.meshgrid(ticks, ticks, indexing="ij"), axis=-1).reshape(-1, 2)
    box = 2 * spacing + max(0.75 * spacing, 5 * std)
    params = {"spacing": spacing, "std": std}
    return GaussianMixture("grid25", means, std, ((-box, box), (-box, box)), params)


def _clusters3(std: float = 0.2) -> ToyDistribution:
    std = _check_positive("std", std)
    means = np.array([[-2.0, -1.2], [2.0, -1.2], [0.0, 2.0]])
    box = 3.0 + 5 * std
    return GaussianMixture("clusters3", means, std, ((-box, box), (-box, box)), {"std": std})


def _spiral(turns: float = 1.5, radius: float = 3.0, noise: float = 0.05) -> ToyDistribution:
    return Spiral2D(
        _check_positive("turns", turns),
        _check_positive("radius", radius),
        _check_positive("noise", noise),
    )


def _moons(noise: float = 0.05) -> ToyDistribution:
    return Moons2D(_check_positive("noise", noise))


def _line(length: float = 4.0, angle_deg: float = 30.0, noise: float = 0.05) -> ToyDistribution:
    return Line2D(
        _check_positive("length", length),
        _check_finite("angle_deg", angle_deg),
        _check_positive("noise", noise),
    )


def _points(points: Any = None, jitter: float = 0.02) -> ToyDistribution:
    if points is None:
        raise ValueError("the 'points' dataset needs points=<array of shape (n, 2)>")
    return PointCloud2D(validate_points(points), _check_positive("jitter", jitter))


@dataclass(frozen=True)
class ToySpec:
    """A registry entry: the data dimension, a one-line description and the factory."""

    dim: int
    description: str
    factory: Callable[..., ToyDistribution]


TOY_DATASETS: dict[str, ToySpec] = {
    "gaussian": ToySpec(1, "one Gaussian (the Goodfellow et al. 2014 Fig. 1 target)", _gaussian),
    "mixture2": ToySpec(1, "two equal Gaussians", _mixture2),
    "mixture3": ToySpec(1, "three equal Gaussians", _mixture3),
    "uniform": ToySpec(1, "uniform on an interval", _uniform),
    "ring8": ToySpec(2, "8 Gaussians on a circle of radius 2, std 0.02", _ring8),
    "grid25": ToySpec(2, "5x5 Gaussians at spacing 2 around the origin, std 0.05", _grid25),
    "spiral": ToySpec(2, "a noisy spiral", _spiral),
    "moons": ToySpec(2, "two interleaved half circles", _moons),
    "line": ToySpec(2, "a noisy line segment", _line),
    "clusters3": ToySpec(2, "three disjoint Gaussian clusters", _clusters3),
    "points": ToySpec(2, "your own points, resampled with jitter", _points),
}


def toy_names(dim: int | None = None) -> list[str]:
    """Registered dataset names, optionally only those of dimension `dim`."""
    return [name for name, spec in TOY_DATASETS.items() if dim is None or spec.dim == dim]


def get_toy(name: str, **params: Any) -> ToyDistribution:
    """Build a registered toy distribution; unknown names or parameters raise ValueError."""
    if name not in TOY_DATASETS:
        raise ValueError(f"unknown toy dataset {name!r}; choose one of {sorted(TOY_DATASETS)}")
    factory = TOY_DATASETS[name].factory
    allowed = list(inspect.signature(factory).parameters)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown} for toy dataset {name!r}; allowed: {allowed}"
        )
    return factory(**params)


class ToySource:
    """A data source for the Trainer: batches from a toy distribution, reproducible by seed.

    Its whole state is its torch.Generator's state, so a resumed run draws the same batches.
    """

    def __init__(self, dist: ToyDistribution, seed: int) -> None:
        self.dist = dist
        self.generator = torch.Generator().manual_seed(seed)

    def next_batch(self, batch_size: int) -> tuple[torch.Tensor, None]:
        """A (batch_size, dim) float32 batch; toy data has no labels."""
        return self.dist.sample(batch_size, self.generator), None

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
