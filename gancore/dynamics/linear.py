"""The Dirac-GAN's equilibrium (0, 0), linearised: eigenvalues, and the verdict they give.

One gradient step maps x to x + h·v(x); near (0, 0) that is x ↦ M x with M from the Jacobian J
of v (`update_matrix`). The iterates converge when every eigenvalue of M lies inside the unit
circle and move away when one lies outside; the continuous flow ẋ = v(x) does the same with the
real parts of J's eigenvalues against 0 (Mescheder, Geiger & Nowozin 2018, §2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gancore.dynamics.field import (
    BLOWUP,
    GP_TARGET,
    GP_WEIGHT,
    MODES,
    checked_choice,
    checked_number,
    game,
)

KINDS = ("converges", "cycles", "diverges", "stalls")
TOL = 1e-9  # how close to the unit circle (or the imaginary axis) counts as on it


# --- the equilibrium, linearised -------------------------------------------------------------


def equilibrium_jacobian(
    loss: str, *, reg: str = "none", gamma: float = 0.0, noise: float = 0.0
) -> np.ndarray:
    """∂v/∂(θ, ψ) at (0, 0), derived by hand: [[0, −a], [b, −c]] (minus γJᵀJ for consensus).

    a = G's slope (f'(0) = ½ for minimax and non-saturating; 1 otherwise); b = D's slope (½; 1;
    0 for least squares, whose D never sees the real point at 0 move); c = D's damping: γ for R1
    and R2, −2f''(0)σ² = σ²/2 for instance noise on the standard losses and 2σ² on least
    squares (0 on the piecewise-linear ones), λ for WGAN-GP, taken on either side of ψ = 0
    (the penalty's kink: there (0, 0) is not a stationary point, see `verdict`).
    """
    g = game(loss, reg=reg, gamma=gamma, noise=noise)
    s2 = g.noise**2
    if g.loss in ("minimax", "non_saturating"):
        a, b, c = 0.5, 0.5, 0.5 * s2
    elif g.loss == "least_squares":
        a, b, c = 1.0, 0.0, 2.0 * s2
    elif g.loss == "wgan_gp":
        a, b, c = 1.0, 1.0, GP_WEIGHT
    else:
        a, b, c = 1.0, 1.0, 0.0
    if g.reg in ("r1", "r2"):
        c += g.gamma
    jac = np.array([[0.0, -a], [b, -c]])
    if g.reg == "consensus":
        jac = jac - g.gamma * jac.T @ jac
    return jac


def update_matrix(jac: np.ndarray, lr: float, mode: str) -> np.ndarray:
    """The Jacobian of one gradient-descent step of the linearised field v(x) = J x."""
    h, mode = checked_number(lr, "lr", strict=True), checked_choice(mode, MODES, "mode")
    if mode == "simultaneous":
        return np.eye(2) + h * jac
    (j11, j12), (j21, j22) = jac
    # ψ' = ψ + h(J21 θ + J22 ψ) first, then θ' = θ + h(J11 θ + J12 ψ').
    return np.array(
        [
            [1 + h * j11 + h * h * j12 * j21, h * j12 * (1 + h * j22)],
            [h * j21, 1 + h * j22],
        ]
    )


def equilibrium_eigenvalues(
    loss: str,
    *,
    reg: str = "none",
    gamma: float = 0.0,
    noise: float = 0.0,
    lr: float | None = None,
    mode: str | None = None,
) -> np.ndarray:
    """Eigenvalues at (0, 0): of the continuous field's Jacobian when lr is None (stable when
    every real part < 0), else of one discrete update in `mode` (default simultaneous; stable
    when every modulus < 1)."""
    jac = equilibrium_jacobian(loss, reg=reg, gamma=gamma, noise=noise)
    if lr is None:
        if mode is not None:
            raise ValueError("mode applies to a discrete update: give lr as well, or mode=None")
        return np.linalg.eigvals(jac)
    lr = checked_number(lr, "lr", strict=True)
    mode = checked_choice("simultaneous" if mode is None else mode, MODES, "mode")
    return np.linalg.eigvals(update_matrix(jac, lr, mode))


# --- verdicts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What the linearisation at (0, 0) predicts, and why."""

    kind: str  # one of KINDS
    radius: float  # discrete: the spectral radius of one update; continuous: the largest Re λ
    eigenvalues: np.ndarray
    discrete: bool
    reason: str


def classify(eigenvalues, *, discrete: bool, tol: float = TOL) -> str:
    """converges / cycles / diverges / stalls from eigenvalues of a fixed point's linearisation.

    Discrete (one update's Jacobian): every |λ| < 1 − tol converges, some |λ| > 1 + tol
    diverges; otherwise the eigenvalues on the unit circle decide: all of them +1 means a
    direction with no pull back and no rotation (stalls), any other (a rotation, or −1) cycles.
    Continuous: the same with Re λ against 0, and λ = 0 for +1.
    """
    ev = np.asarray(eigenvalues, dtype=complex).ravel()
    if discrete:
        size, still = np.abs(ev) - 1.0, ev - 1.0
    else:
        size, still = ev.real, ev
    if size.max() > tol:
        return "diverges"
    if size.max() < -tol:
        return "converges"
    on_edge = np.abs(size) <= tol
    return "stalls" if np.all(np.abs(still[on_edge]) <= math.sqrt(tol)) else "cycles"


def _rotates(ev: np.ndarray, discrete: bool) -> bool:
    """Whether a pair of eigenvalues turns (complex, or negative for a discrete step); a double
    real eigenvalue counts as real although rounding splits it by ~1e-8 i."""
    spread = (ev[0] - ev[-1]) ** 2  # the discriminant of the 2 × 2 matrix
    scale = 1e-12 * max(1.0, float(np.abs(ev).max()) ** 2)
    return bool(spread.real < -scale or (discrete and np.any(ev.real < -scale)))


def verdict(
    loss: str,
    *,
    reg: str = "none",
    gamma: float = 0.0,
    noise: float = 0.0,
    lr: float | None = None,
    mode: str | None = None,
    tol: float = TOL,
) -> Verdict:
    """Classify the equilibrium (0, 0) from `equilibrium_eigenvalues` (same arguments).

    WGAN-GP is the exception the paper points out: its penalty pulls |ψ| toward GP_TARGET, so at
    ψ = 0 D is pushed away and (0, 0) is no stationary point at all: iterates near it leave.
    Each side of ψ = 0 is an affine field whose fixed point (∓λ·GP_TARGET, 0) lies on the line
    ψ = 0 itself. Where that side's linearisation turns (complex, or negative for a step) the
    iterates cross ψ = 0 again and again and circle (0, 0) at a distance of about λ: diverges
    (from (0, 0), onto a bounded orbit), as it does where that side is unstable; where it does
    not turn, they settle at θ = ∓λ·GP_TARGET, away from the data: stalls.
    """
    ev = equilibrium_eigenvalues(loss, reg=reg, gamma=gamma, noise=noise, lr=lr, mode=mode)
    discrete = lr is not None
    kind = classify(ev, discrete=discrete, tol=tol)
    radius = float(np.abs(ev).max() if discrete else ev.real.max())
    what = f"spectral radius {radius:.6f}" if discrete else f"largest real part {radius:+.6f}"
    if game(loss).loss == "wgan_gp":
        if kind != "diverges":  # near (0, 0) the penalty always pushes the iterates off it
            kind = "diverges" if _rotates(ev, discrete) else "stalls"
        reason = (
            f"(0, 0) is not a stationary point: at ψ = 0 the gradient penalty pushes |ψ| toward "
            f"{GP_TARGET:g}, so the iterates leave (0, 0). On each side of ψ = 0 the field has "
            f"{what}: "
            + (
                "unstable, so they fly off."
                if radius > (1 + tol if discrete else tol)
                else "it turns, so they cross ψ = 0 again and again and circle (0, 0) at a "
                f"distance of about λ = {GP_WEIGHT:g}, never reaching it."
                if kind == "diverges"
                else f"no turn, so they settle at θ = ∓{GP_WEIGHT * GP_TARGET:g}, away from the data."
            )
        )
        return Verdict(kind, radius, ev, discrete, reason)
    reason = {
        "converges": f"{what}: every eigenvalue pulls toward (0, 0).",
        "diverges": f"{what}: some direction is pushed away from (0, 0).",
        "cycles": f"{what}: the eigenvalues on the edge rotate, so the iterates circle (0, 0) "
        "neither closer nor further.",
        "stalls": f"{what}: an eigenvalue at {'1' if discrete else '0'} with no rotation: a line "
        "of equilibria where D is flat (ψ = 0), so G stops wherever it arrives.",
    }[kind]
    return Verdict(kind, radius, ev, discrete, reason)


def trajectory_kind(path: np.ndarray, *, band: float = 0.1) -> str:
    """converges / cycles / diverges / stalls as a simulated path shows it.

    Looks at the last quarter of the path against the start's distance d0 to (0, 0): all of it
    within d0 / (1 + band) converges; all of it beyond d0·(1 + band) (or NaN, past BLOWUP)
    diverges; a last quarter that spans under 1e-3 of its distance to (0, 0) has stopped away
    from the data and stalls; what straddles d0 (an orbit through the start) cycles.
    """
    p = np.asarray(path, dtype=float)
    if p.ndim != 2 or p.shape[1] != 2 or len(p) < 2:
        raise ValueError(
            f"path must be an array of shape (steps + 1, 2), steps >= 1; got {p.shape}"
        )
    d = np.hypot(p[:, 0], p[:, 1])
    if not np.all(np.isfinite(d)) or d.max() >= BLOWUP:
        return "diverges"
    d0 = d[0]
    tail = p[-max(1, (len(d) - 1) // 4) - 1 :]
    near, far = d[-len(tail) :].min(), d[-len(tail) :].max()
    if far <= 1e-3 * d0:
        return "converges"
    if np.hypot(*(tail - tail[-1]).T).max() <= 1e-3 * d[-1]:
        return "stalls"
    if far < d0 / (1 + band):
        return "converges"
    if near > d0 * (1 + band):
        return "diverges"
    return "cycles"
