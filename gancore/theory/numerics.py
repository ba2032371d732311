"""Integrals and safe logarithms on a sorted grid: the trapezoid rule and ``0 * log 0 = 0``."""

from __future__ import annotations

import math

import numpy as np

LOG2 = math.log(2.0)
LOG4 = math.log(4.0)


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
