"""The theory of GANs on a 1D grid: pure NumPy, no torch, no UI.

Densities are arrays sampled on a sorted grid ``x``; integrals use the trapezoid
rule on that grid. The conventions make the edge cases exact rather than NaN:
``0 * log 0 = 0``, ``D*(x) = 1/2`` where both densities vanish, and a KL
divergence whose support condition fails is ``+inf`` (that is its true value).

Identities that hold for any pair of densities normalised on the same grid::

    V(D*, G) = 2 * JS(p_data || p_g) - 2 log 2          (Goodfellow et al. 2014, Thm. 1)
    min over p_g of V(D*, G) = -2 log 2 = -log 4, reached at p_g = p_data
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)

# Grids: how finely a Gaussian is resolved and how far its tails are followed.
_POINTS_PER_STD = 40
_TAIL_STDS = 12.0
_MAX_GRID = 200_000
_D_MIN = 2.0**-1022
_D_MAX = 1.0 - 2.0**-53


# --------------------------------------------------------------------------- #
# Densities
# --------------------------------------------------------------------------- #


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
    if x.size > _MAX_GRID:
        raise ValueError(f"grid of {x.size} points is larger than {_MAX_GRID}; narrow the view")
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


# --------------------------------------------------------------------------- #
# Integration and safe logarithms
# --------------------------------------------------------------------------- #


def integrate(f: np.ndarray, x: np.ndarray) -> float:
    """Trapezoid rule of ``f`` over the grid ``x``."""
    f = np.asarray(f, dtype=float)
    x = np.asarray(x, dtype=float)
    return float(np.sum(0.5 * (f[1:] + f[:-1]) * np.diff(x)))


def cumulative(f: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Running trapezoid integral of ``f``, starting at 0."""
    steps = 0.5 * (f[1:] + f[:-1]) * np.diff(x)
    return np.concatenate([[0.0], np.cumsum(steps)])


def xlogy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a * log(b)`` with ``0 * log(anything) = 0``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a * np.log(b)
    return np.where(a == 0, 0.0, out)


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(a - m), axis=axis))


# --------------------------------------------------------------------------- #
# The discriminator and the value function
# --------------------------------------------------------------------------- #


def optimal_discriminator(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """D*(x) = p_data / (p_data + p_g); 1/2 where both vanish (any value is optimal there)."""
    p_data = np.asarray(p_data, dtype=float)
    p_g = np.asarray(p_g, dtype=float)
    total = p_data + p_g
    with np.errstate(divide="ignore", invalid="ignore"):
        d = p_data / total
    return np.where(total > 0, d, 0.5)


def density_ratio(p_data: np.ndarray, p_g: np.ndarray) -> np.ndarray:
    """r(x) = p_data / p_g = D* / (1 - D*): ``inf`` where only p_data lives, 1 where neither does."""
    p_data = np.asarray(p_data, dtype=float)
    p_g = np.asarray(p_g, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = p_data / p_g
    r = np.where(p_g > 0, r, np.inf)
    return np.where((p_g == 0) & (p_data == 0), 1.0, r)


def value_integrand(p_data: np.ndarray, p_g: np.ndarray, d: np.ndarray) -> np.ndarray:
    """p_data(x) log D(x) + p_g(x) log(1 - D(x)), with 0 log 0 = 0.

    D is clipped to [2**-1022, 1 - 2**-53], the range float64 can tell apart from 0 and 1:
    where D* rounds to exactly 1, p_g is below 1e-16 p_data, so the clipped term is noise
    rather than a spurious -inf.
    """
    d = np.clip(np.asarray(d, dtype=float), _D_MIN, _D_MAX)
    return xlogy(p_data, d) + xlogy(p_g, 1.0 - d)


def value_function(p_data: np.ndarray, p_g: np.ndarray, d: np.ndarray, x: np.ndarray) -> float:
    """V(D, G) = E_data[log D(x)] + E_g[log(1 - D(x))], integrated over the grid ``x``.

    A D that is exactly 0 where data lives (or 1 where fakes live) is infinitely wrong;
    with D clipped to float64's resolution that shows as a large negative number, not inf.
    """
    return integrate(value_integrand(p_data, p_g, d), x)


def kl_divergence(
    p: np.ndarray,
    q: np.ndarray,
    x: np.ndarray,
    *,
    log_p: np.ndarray | None = None,
    log_q: np.ndarray | None = None,
) -> float:
    """KL(p || q) = ∫ p log(p / q). ``+inf`` when p has mass where q has none.

    Pass exact log-densities when you have them: far in the tails ``q`` underflows to 0
    while ``log q`` stays finite, and the result stays the true (finite) value.
    """
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.log(p) if log_p is None else np.asarray(log_p, dtype=float)
        lq = np.log(q) if log_q is None else np.asarray(log_q, dtype=float)
        integrand = np.where(p > 0, p * (lp - lq), 0.0)
    if np.any(np.isposinf(integrand)):
        return math.inf
    return max(integrate(integrand, x), 0.0)


def js_divergence(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """Jensen-Shannon divergence in nats: ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2. Always in [0, log 2]."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    # log m = log(p + q) - log 2: halving p + q can underflow to 0 where p > 0 is subnormal.
    s = p + q
    integrand = 0.5 * (xlogy(p, p) - xlogy(p, s) + xlogy(q, q) - xlogy(q, s) + LOG2 * s)
    return min(max(integrate(integrand, x), 0.0), LOG2)


def wasserstein1(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> float:
    """Earth mover's distance in 1D: W1 = ∫ |F_p(x) − F_q(x)| dx."""
    fp = cumulative(np.asarray(p, dtype=float), x)
    fq = cumulative(np.asarray(q, dtype=float), x)
    return integrate(np.abs(fp - fq), x)


@dataclass(frozen=True)
class Divergences:
    """Every quantity the value-function panel shows, for one (p_data, p_g) pair."""

    value_at_optimum: float  # V(D*, G)
    js: float
    kl_data_g: float  # KL(p_data || p_g)
    kl_g_data: float  # KL(p_g || p_data)
    w1: float

    @property
    def two_js_minus_log4(self) -> float:
        return 2.0 * self.js - LOG4


def divergences(p_data: Density1D, p_g: Density1D, x: np.ndarray) -> Divergences:
    """V(D*, G), JS, KL both ways and W1 for two densities on the grid ``x``."""
    pd, lpd = on_grid(p_data, x)
    pg, lpg = on_grid(p_g, x)
    d_star = optimal_discriminator(pd, pg)
    return Divergences(
        value_at_optimum=value_function(pd, pg, d_star, x),
        js=js_divergence(pd, pg, x),
        kl_data_g=kl_divergence(pd, pg, x, log_p=lpd, log_q=lpg),
        kl_g_data=kl_divergence(pg, pd, x, log_p=lpg, log_q=lpd),
        w1=wasserstein1(pd, pg, x),
    )


# --------------------------------------------------------------------------- #
# Pointwise maximisation: why D* = p_data / (p_data + p_g)
# --------------------------------------------------------------------------- #


def pointwise_objective(y: np.ndarray, a: float, b: float) -> np.ndarray:
    """f(y) = a log y + b log(1 − y), the integrand of V at one x with a = p_data(x), b = p_g(x)."""
    y = np.asarray(y, dtype=float)
    return xlogy(a, y) + xlogy(b, 1.0 - y)


def pointwise_derivative(y: np.ndarray, a: float, b: float) -> np.ndarray:
    """f'(y) = a / y − b / (1 − y); zero exactly at y = a / (a + b)."""
    y = np.asarray(y, dtype=float)
    return a / y - b / (1.0 - y)


def pointwise_argmax(a: float, b: float) -> float:
    """argmax over y in (0, 1) of a log y + b log(1 − y): a / (a + b) (1/2 when a = b = 0)."""
    if a < 0 or b < 0:
        raise ValueError(f"a and b are densities and must be >= 0, got a={a}, b={b}")
    return 0.5 if a + b == 0 else a / (a + b)


# --------------------------------------------------------------------------- #
# The binary cross-entropy reading
# --------------------------------------------------------------------------- #


def binary_cross_entropy(y: float, y_hat: float) -> float:
    """L(y, ŷ) = −[y log ŷ + (1 − y) log(1 − ŷ)], with 0 log 0 = 0."""
    if not 0.0 <= y_hat <= 1.0:
        raise ValueError(f"ŷ is a probability and must be in [0, 1], got {y_hat}")
    return float(-(xlogy(y, y_hat) + xlogy(1.0 - y, 1.0 - y_hat)))


# --------------------------------------------------------------------------- #
# Generator losses: saturating vs non-saturating
# --------------------------------------------------------------------------- #


def generator_losses(d_fake: np.ndarray) -> dict[str, np.ndarray]:
    """Both generator losses and their gradients, as functions of D(G(z)) in (0, 1).

    G minimises either the saturating ``log(1 − D)`` or the non-saturating ``−log D``.
    With D = σ(l), the gradient that reaches G flows through the logit l:
    d/dl log(1 − σ(l)) = −D  (vanishes when D rejects the fakes, D → 0: G starves),
    d/dl (−log σ(l)) = −(1 − D)  (largest exactly then).
    """
    d = np.asarray(d_fake, dtype=float)
    return {
        "saturating": xlogy(1.0, 1.0 - d),
        "non_saturating": -xlogy(1.0, d),
        "saturating_grad_logit": -d,
        "non_saturating_grad_logit": -(1.0 - d),
        "saturating_grad_d": -1.0 / (1.0 - d),
        "non_saturating_grad_d": -1.0 / d,
    }


# --------------------------------------------------------------------------- #
# Moving G toward the data
# --------------------------------------------------------------------------- #


def morph(
    p_g: np.ndarray, p_data: np.ndarray, x: np.ndarray, t: float, *, mode: str = "mixture"
) -> np.ndarray:
    """A path of densities from p_g (t = 0) to p_data (t = 1), normalised on ``x``.

    ``mixture``: (1 − t) p_g + t p_data, mass fades from one to the other.
    ``transport``: displacement interpolation (the W1/W2 geodesic in 1D): every quantile
    moves on a straight line, so bumps slide toward the data as a generator would move them.
    Both ends are exact: t = 0 gives p_g and t = 1 gives p_data.
    """
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must be in [0, 1], got {t}")
    p_g = np.asarray(p_g, dtype=float)
    p_data = np.asarray(p_data, dtype=float)
    if t == 0.0:
        return p_g.copy()
    if t == 1.0:
        return p_data.copy()
    if mode == "mixture":
        return (1.0 - t) * p_g + t * p_data
    if mode != "transport":
        raise ValueError(f"mode must be 'mixture' or 'transport', got {mode!r}")
    u = np.linspace(0.0, 1.0, 8 * x.size + 1)[1:-1]
    q_g = _quantiles(p_g, x, u)
    q_d = _quantiles(p_data, x, u)
    x_t = (1.0 - t) * q_g + t * q_d
    # Mass between consecutive quantiles is du; histogram it back onto the grid cells.
    edges = np.concatenate([[x[0]], 0.5 * (x[1:] + x[:-1]), [x[-1]]])
    mass, _ = np.histogram(x_t, bins=edges)
    p_t = mass / np.diff(edges)  # cells have positive width: make_grid drops near-duplicates
    z = integrate(p_t, x)
    return p_t / z if z > 0 else p_t


def _quantiles(p: np.ndarray, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    cdf = cumulative(p, x)
    cdf = cdf / cdf[-1]
    # np.interp needs increasing abscissae: drop the flat stretches of the CDF.
    keep = np.concatenate([[True], np.diff(cdf) > 0])
    return np.interp(u, cdf[keep], x[keep])


def value_along_morph(
    p_g: np.ndarray, p_data: np.ndarray, x: np.ndarray, ts: np.ndarray, *, mode: str = "mixture"
) -> np.ndarray:
    """V(D*, G_t) for each t in ``ts``: falls to −log 4 exactly at t = 1."""
    out = []
    for t in ts:
        pt = morph(p_g, p_data, x, float(t), mode=mode)
        out.append(value_function(p_data, pt, optimal_discriminator(p_data, pt), x))
    return np.array(out)


# --------------------------------------------------------------------------- #
# JS versus Wasserstein on two narrow, separated distributions
# --------------------------------------------------------------------------- #


def js_and_w1_vs_shift(thetas: np.ndarray, width: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """JS and W1 between N(0, width²) and N(θ, width²) for each θ.

    JS saturates at log 2 once the bumps stop overlapping, so its gradient in θ vanishes;
    W1 = |θ| keeps pointing the way home.
    """
    if not width > 0:
        raise ValueError(f"width must be > 0, got {width}")
    thetas = np.asarray(thetas, dtype=float)
    span = float(np.max(np.abs(thetas))) if thetas.size else 0.0
    base = gaussian_mixture([1], [0.0], [width])
    # An even grid fine enough for every bump (each θ needs no points of its own).
    lo, hi = -span - 15 * width, span + 15 * width
    x = np.linspace(lo, hi, min(int((hi - lo) / (width / 25)) + 1, _MAX_GRID))
    p, _ = on_grid(base, x)
    js, w1 = [], []
    for t in thetas:
        q, _ = on_grid(gaussian_mixture([1], [float(t)], [width]), x)
        js.append(js_divergence(p, q, x))
        w1.append(wasserstein1(p, q, x))
    return np.array(js), np.array(w1)
