"""Why D* = p_data / (p_data + p_g) pointwise, the binary cross-entropy reading, and the two
generator losses (saturating and non-saturating) with their gradients."""

from __future__ import annotations

import numpy as np

from gancore.theory.numerics import xlogy

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
