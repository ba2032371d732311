"""The discriminator, the value function and the divergences between two densities on a grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gancore.theory.densities import MAX_GRID, Density1D, gaussian_mixture, on_grid
from gancore.theory.numerics import LOG2, LOG4, cumulative, integrate, xlogy

# D clipped to the range float64 can tell apart from 0 and 1
_D_MIN = 2.0**-1022
_D_MAX = 1.0 - 2.0**-53


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


def value_monte_carlo(real: np.ndarray, fake: np.ndarray, d: np.ndarray, x: np.ndarray) -> float:
    """V(D, G) estimated from samples: the mean of log D(x_real) plus the mean of
    log(1 − D(x_fake)), with D given on the grid ``x`` (interpolated; clipped away from 0 and 1).
    It converges to ``value_function`` as the samples grow: minimising D's cross-entropy on
    real and fake samples is maximising this average."""
    dr = np.clip(np.interp(real, x, d), 1e-12, 1 - 1e-12)
    df = np.clip(np.interp(fake, x, d), 1e-12, 1 - 1e-12)
    return float(np.mean(np.log(dr)) + np.mean(np.log1p(-df)))


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
    x = np.linspace(lo, hi, min(int((hi - lo) / (width / 25)) + 1, MAX_GRID))
    p, _ = on_grid(base, x)
    js, w1 = [], []
    for t in thetas:
        q, _ = on_grid(gaussian_mixture([1], [float(t)], [width]), x)
        js.append(js_divergence(p, q, x))
        w1.append(wasserstein1(p, q, x))
    return np.array(js), np.array(w1)
