"""Paths of densities from p_g to p_data (mixture or transport) and V(D*, G) along them."""

from __future__ import annotations

import numpy as np

from gancore.theory.divergences import optimal_discriminator, value_function
from gancore.theory.numerics import cumulative, integrate


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


def morph_path(
    p_g: np.ndarray, p_data: np.ndarray, x: np.ndarray, ts: np.ndarray, *, mode: str = "mixture"
) -> tuple[list[np.ndarray], np.ndarray]:
    """The densities p_g_t for each t in ``ts`` and V(D*, G_t) of each (see value_along_morph)."""
    frames, values = [], []
    for t in ts:
        pt = morph(p_g, p_data, x, float(t), mode=mode)
        frames.append(pt)
        values.append(value_function(p_data, pt, optimal_discriminator(p_data, pt), x))
    return frames, np.array(values)


def value_along_morph(
    p_g: np.ndarray, p_data: np.ndarray, x: np.ndarray, ts: np.ndarray, *, mode: str = "mixture"
) -> np.ndarray:
    """V(D*, G_t) for each t in ``ts``: falls to −log 4 exactly at t = 1."""
    return morph_path(p_g, p_data, x, ts, mode=mode)[1]
