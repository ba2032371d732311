"""1D densities (Gaussian mixtures, uniforms) and the grids they are integrated on."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gancore.theory.numerics import integrate

# Grids: how finely a Gaussian is resolved and how far its tails are followed.
_POINTS_PER_STD = 40
_TAIL_STDS = 12.0
MAX_GRID = 200_000  # points in a grid at the most


@dataclass(frozen=True)
class Density1D:
    """A 1D density: a mixture of Gaussians, or a uniform on [low, high].

    Zero-weight components are allowed and ignored; weights are normalised.
    """

    weights: tuple[float, ...] = (1.0,)
    means: tuple[float, ...] = (0.0,)
    stds: tuple[float, ...] = (1.0,)
    uniform: tuple[float, float] | None = None
    _w: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.uniform is not None:
            low, high = (float(v) for v in self.uniform)
            if not (math.isfinite(low) and math.isfinite(high)) or not high > low:
                raise ValueError(f"uniform needs finite low < high, got {self.uniform!r}")
            object.__setattr__(self, "_w", np.ones(1))
            return
        n = len(self.weights)
        if n == 0 or len(self.means) != n or len(self.stds) != n:
            raise ValueError(
                "a mixture needs as many weights, means and stds (at least one): "
                f"got {len(self.weights)}, {len(self.means)}, {len(self.stds)}"
            )
        w = np.asarray(self.weights, dtype=float)
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"weights must be >= 0, finite, not all zero: got {self.weights!r}")
        for m in self.means:
            if not math.isfinite(m) or abs(m) > 1e6:
                raise ValueError(f"mean {m!r} is not a finite number within ±1e6")
        for s in self.stds:
            if not (math.isfinite(s) and 1e-6 <= s <= 1e6):
                raise ValueError(f"std {s!r} must be within [1e-6, 1e6]")
        object.__setattr__(self, "_w", w / w.sum())

    @property
    def components(self) -> list[tuple[float, float, float]]:
        """(weight, mean, std) of the components with non-zero weight."""
        if self.uniform is not None:
            return []
        return [
            (float(w), float(m), float(s))
            for w, m, s in zip(self._w, self.means, self.stds, strict=True)
            if w > 0
        ]

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Exact log-density (``-inf`` outside the support)."""
        x = np.asarray(x, dtype=float)
        if self.uniform is not None:
            low, high = self.uniform
            inside = (x >= low) & (x <= high)
            return np.where(inside, -math.log(high - low), -np.inf)
        terms = [
            math.log(w) - 0.5 * ((x - m) / s) ** 2 - math.log(s) - 0.5 * math.log(2 * math.pi)
            for w, m, s in self.components
        ]
        return _logsumexp(np.stack(terms), axis=0)

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """Exact density."""
        return np.exp(self.logpdf(x))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """Exact cumulative distribution function."""
        x = np.asarray(x, dtype=float)
        if self.uniform is not None:
            low, high = self.uniform
            return np.clip((x - low) / (high - low), 0.0, 1.0)
        erf = np.vectorize(math.erf, otypes=[float])
        return sum(w * 0.5 * (1 + erf((x - m) / (s * math.sqrt(2)))) for w, m, s in self.components)

    def mean(self) -> float:
        if self.uniform is not None:
            return 0.5 * (self.uniform[0] + self.uniform[1])
        return float(sum(w * m for w, m, _ in self.components))

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` samples drawn with ``rng``."""
        if self.uniform is not None:
            return rng.uniform(self.uniform[0], self.uniform[1], size=n)
        comps = self.components
        idx = rng.choice(len(comps), size=n, p=np.array([c[0] for c in comps]))
        means = np.array([c[1] for c in comps])[idx]
        stds = np.array([c[2] for c in comps])[idx]
        return rng.normal(means, stds)

    def grid_points(self, per_std: int = _POINTS_PER_STD, tail: float = _TAIL_STDS) -> np.ndarray:
        """Points a grid must contain to resolve this density (``per_std`` points per std)."""
        if self.uniform is not None:
            low, high = self.uniform
            eps = (high - low) * 1e-7
            # Both sides of each jump, so the trapezoid rule sees a step, not a ramp.
            return np.array([low - eps, low, high, high + eps])
        pts = []
        for _, m, s in self.components:
            n = int(2 * tail * per_std) + 1
            pts.append(np.linspace(m - tail * s, m + tail * s, n))
        return np.concatenate(pts)

    def extent(self) -> tuple[float, float]:
        """An interval holding essentially all the mass (±5 std, or the support)."""
        if self.uniform is not None:
            return float(self.uniform[0]), float(self.uniform[1])
        comps = self.components
        return (min(m - 5 * s for _, m, s in comps), max(m + 5 * s for _, m, s in comps))


def gaussian_mixture(weights, means, stds) -> Density1D:
    """A mixture of Gaussians; weights need not sum to one."""
    return Density1D(tuple(map(float, weights)), tuple(map(float, means)), tuple(map(float, stds)))


def uniform(low: float, high: float) -> Density1D:
    """The uniform density on [low, high]."""
    return Density1D(uniform=(float(low), float(high)))


def default_view(*densities: Density1D) -> tuple[float, float]:
    """Every density's extent, padded by 10% on each side: a good x-range to draw."""
    lows, highs = zip(*(d.extent() for d in densities), strict=True)
    lo, hi = min(lows), max(highs)
    pad = 0.1 * (hi - lo)
    return lo - pad, hi + pad


def make_grid(
    *densities: Density1D,
    view: tuple[float, float] | None = None,
    n: int = 2001,
    per_std: int = _POINTS_PER_STD,
) -> np.ndarray:
    """A sorted grid covering ``view`` (default: every density's extent) that resolves each density.

    It is the union of an even grid of ``n`` points and each density's own points (out to
    12 std), so narrow Gaussians, their tails and uniform edges are integrated accurately
    wherever they sit. An explicit ``view`` clips the grid to it; a coarser ``per_std``
    makes a lighter grid for drawing.
    """
    if not densities and view is None:
        raise ValueError("make_grid needs at least one density or a view")
    explicit_view = view is not None
    if view is None:
        view = default_view(*densities)
    lo, hi = view
    if not hi > lo:
        raise ValueError(f"view must have low < high, got {view!r}")
    parts = [np.linspace(lo, hi, n)] + [d.grid_points(per_std) for d in densities]
    x = np.unique(np.concatenate(parts))
    # Points closer than rounding noise make zero-width cells; keep the first of each cluster.
    x = x[np.concatenate([[True], np.diff(x) > 1e-12 * (hi - lo)])]
    if explicit_view:
        x = x[(x >= lo) & (x <= hi)]
    if x.size > MAX_GRID:
        raise ValueError(f"grid of {x.size} points is larger than {MAX_GRID}; narrow the view")
    return x


def on_grid(density: Density1D, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(p, log p)`` on the grid, renormalised so the trapezoid rule integrates ``p`` to 1.

    Renormalising removes the tiny mass outside the grid, so identities such as
    ``V(D*, G) = 2 JS - 2 log 2`` hold to rounding error rather than to truncation error.
    """
    logp = density.logpdf(x)
    p = np.exp(logp)
    z = integrate(p, x)
    if not z > 0:
        raise ValueError("the density has no mass on this grid; widen the view")
    return p / z, logp - math.log(z)


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))
