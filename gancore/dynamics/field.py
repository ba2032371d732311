"""Training dynamics of the Dirac-GAN (Mescheder, Geiger & Nowozin, ICML 2018), in pure NumPy.

The data is a point mass at 0, the generator G(z) = θ and the discriminator D(x) = ψ·x, so a
whole GAN game lives in the (θ, ψ) plane and its only equilibrium of interest is (0, 0).
Following the paper, the standard game is L(θ, ψ) = f(ψθ) + f(0) with f(t) = −log(1 + e^−t):
D ascends L and G descends it. In the convention of `gancore.train.losses` (a logit l that is large
on real data) that is the logit l(x) = −ψx, and every loss below is exactly the pair of
`d_*` / `g_*` functions there, evaluated on l_real = l(0) = 0 and l_fake = l(θ) = −ψθ.

With u = ψθ the hand-derived update directions v = (−∂L_G/∂θ, −∂L_D/∂ψ) are, for each loss:

- minimax:        v = (−σ(−u)ψ, σ(−u)θ)      f'(t) = σ(−t), f'(0) = ½
- non_saturating: v = (−σ(u)ψ,  σ(−u)θ)      G minimises softplus(u) = −log D(G(z))
- wgan:           v = (−ψ, θ)                 L = ψθ; ψ is clamped to [−c, c] after D's step
- wgan_gp:        v = (−ψ, θ − λ(|ψ| − 1)·sign ψ)   D's penalty (λ/2)(‖∇ₓD‖ − 1)², ∇ₓD = ψ
                  (the Trainer's gp_lambda·(‖∇ₓD‖ − 1)² is this with λ = 2·gp_lambda)
- hinge:          v = (−ψ, θ·[u < 1])         L_D = 1 + max(0, 1 − u), L_G = u
- least_squares:  v = (−ψ(1 + u), −ψθ²)       L_D = ½ + ½u², L_G = ½(u + 1)²

Regularizers (Mescheder et al. 2018, §3-4): R1 and R2 add (γ/2)‖∇ₓD‖² = (γ/2)ψ² to D's loss on
real or on fake data, which here is the same thing: v_ψ −= γψ. Instance noise adds N(0, σ²) to
real and fake samples; the field is its exact expectation (closed form for wgan, wgan_gp,
hinge and least squares; Gauss-Hermite quadrature with QUADRATURE_NODES nodes for the smooth
minimax and non-saturating integrands, deterministic). Consensus optimization (Mescheder,
Nowozin & Geiger 2017) follows w = v − γ∇(½‖v‖²) = v − γJᵀv, with J = ∂v/∂(θ, ψ) derived by
hand too (`_plain_jacobian`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np

LOSSES = ("minimax", "non_saturating", "wgan", "wgan_gp", "hinge", "least_squares")
REGULARIZERS = ("none", "r1", "r2", "instance_noise", "consensus")
MODES = ("simultaneous", "alternating")
GP_WEIGHT = 1.0  # λ of WGAN-GP's penalty (λ/2)(‖∇ₓD‖ − GP_TARGET)², as in the paper's code
GP_TARGET = 1.0
BLOWUP = 1e6  # a path whose |θ| or |ψ| passes this has diverged; its later rows are NaN
QUADRATURE_NODES = 40
MAX_STEPS = 100_000
_Z, _W = np.polynomial.hermite_e.hermegauss(QUADRATURE_NODES)
_W = _W / _W.sum()  # E[h(ε)] = Σ w_i h(σ z_i) for ε ~ N(0, σ²)
_ERF = np.frompyfunc(math.erf, 1, 1)


@dataclass(frozen=True)
class Game:
    """One validated Dirac-GAN setting (see `game`)."""

    loss: str
    reg: str = "none"
    gamma: float = 0.0
    noise: float = 0.0
    clip: float | None = None


def checked_choice(value: str, allowed: tuple[str, ...], key: str) -> str:
    name = value.replace("-", "_").lower() if isinstance(value, str) else value
    if name not in allowed:
        raise ValueError(f"{key} must be one of {', '.join(allowed)}; got {value!r}")
    return name


def checked_number(value, key: str, *, low: float = 0.0, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{key} must be a number; got {value!r}")
    v = float(value)
    if not math.isfinite(v) or v < low or (strict and v == low):
        op = ">" if strict else ">="
        raise ValueError(f"{key} must be a finite number {op} {low:g}; got {value!r}")
    return v


def game(
    loss: str,
    *,
    reg: str = "none",
    gamma: float = 0.0,
    noise: float = 0.0,
    clip: float | None = None,
) -> Game:
    """Validate a setting: ValueErrors name the bad argument and what it may be."""
    loss = checked_choice(loss, LOSSES, "loss")
    reg = checked_choice(reg, REGULARIZERS, "reg")
    gamma = checked_number(gamma, "gamma")
    noise = checked_number(noise, "noise")
    if gamma and reg not in ("r1", "r2", "consensus"):
        raise ValueError(f"gamma is the weight of r1, r2 or consensus; reg={reg!r} takes gamma=0")
    if noise and reg != "instance_noise":
        raise ValueError(f"noise is instance noise's sigma; reg={reg!r} takes noise=0")
    if clip is not None:
        clip = checked_number(clip, "clip", strict=True)
    return Game(loss, reg, gamma, noise, clip)


# --- the vector field ------------------------------------------------------------------------


def _sigmoid(x):
    """σ(x) without overflow, for floats (fast path of `simulate`) and arrays alike."""
    if isinstance(x, np.ndarray):
        return 0.5 * (1.0 + np.tanh(0.5 * x))
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def _sign(x):
    return (x > 0) * 1.0 - (x < 0) * 1.0


def _phi(a: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * np.square(a)) / math.sqrt(2 * math.pi)


def _cdf(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.asarray(_ERF(a / math.sqrt(2)), dtype=float))


def _below(m, s: float, c):
    """E[X·1{X < c}] for X ~ N(m, s²); c may be ±inf."""
    a = (c - m) / s
    return m * _cdf(a) - s * _phi(a)


def _hinge_noisy_float(theta: float, psi: float, s: float) -> tuple[float, float]:
    """`_noisy`'s hinge field at one point, in plain floats (the fast path of `simulate`)."""
    if psi == 0:
        return -psi, theta
    c = 1.0 / psi
    a = (c - theta) / s
    below = theta * 0.5 * (1.0 + math.erf(a / math.sqrt(2))) - s * _phi1(a)
    fake = below if psi > 0 else theta - below
    real = s * _phi1(abs(c) / s) * (1.0 if psi > 0 else -1.0)
    return -psi, fake - real


def _phi1(a: float) -> float:
    return math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)


def _noisy(g: Game, theta, psi):
    """The field's expectation over instance noise: real ε and fake θ + ε, ε ~ N(0, σ²)."""
    s = g.noise
    if g.loss in ("wgan", "wgan_gp"):  # linear in the samples: the noise averages out exactly
        return _plain(g, theta, psi)
    if g.loss == "least_squares":
        # L_D = ½E(ψε + 1)² + ½ψ²E[Y²] and L_G = ½E(ψY + 1)²: v_θ is unchanged.
        return -psi * (1.0 + psi * theta), -psi * (theta * theta + 2 * s * s)
    scalar = not isinstance(theta, np.ndarray) and not isinstance(psi, np.ndarray)
    if g.loss == "hinge" and scalar:
        return _hinge_noisy_float(float(theta), float(psi), s)
    t, p = np.asarray(theta, float), np.asarray(psi, float)
    if g.loss == "hinge":
        # v_ψ = E[Y·1{ψY < 1}] − E[ε·1{ψε > −1}] in closed form (Gaussian partial moments).
        with np.errstate(divide="ignore"):
            c = np.where(p != 0, 1.0 / np.where(p != 0, p, 1.0), np.inf)
        pos = p >= 0
        fake = np.where(pos, _below(t, s, c), t - _below(t, s, c))
        real = s * _phi(np.abs(c) / s) * np.where(pos, 1.0, -1.0)
        return -p + 0.0 * t, fake - real
    # minimax, non_saturating: v_θ = −ψE[g(ψY)], v_ψ = E[f'(ψY)Y] − E[f'(−ψε)ε] with Y = θ + ε,
    # by quadrature over ε. With σ(±x) = (1 ± tanh(x/2))/2, E[Y] = θ and E[ε] = 0 (the nodes
    # are symmetric), v_ψ = ½(θ − E[tanh(ψY/2)Y] − E[tanh(ψε/2)ε]).
    z = s * _Z
    y = t[..., None] + z
    half = 0.5 * p[..., None]
    ty, te = np.tanh(half * y), np.tanh(half * z)
    m = ty @ _W
    vt = -0.5 * p * ((1.0 - m) if g.loss == "minimax" else (1.0 + m))
    vp = 0.5 * (t - (ty * y) @ _W - (te * z) @ _W)
    if scalar:
        return float(vt), float(vp)
    return vt, vp


def _plain(g: Game, theta, psi):
    u = psi * theta
    if g.loss == "minimax":
        s = _sigmoid(-u)
        return -s * psi, s * theta
    if g.loss == "non_saturating":
        return -_sigmoid(u) * psi, _sigmoid(-u) * theta
    if g.loss == "wgan":
        return -psi + 0.0 * theta, theta + 0.0 * psi
    if g.loss == "wgan_gp":
        return -psi + 0.0 * theta, theta - GP_WEIGHT * (psi - GP_TARGET * _sign(psi))
    if g.loss == "hinge":
        return -psi + 0.0 * theta, theta * (u < 1)
    return -psi * (1.0 + u), -psi * theta * theta  # least_squares


def _base(g: Game, theta, psi):
    if g.reg == "instance_noise" and g.noise > 0:
        return _noisy(g, theta, psi)
    return _plain(g, theta, psi)


def _plain_jacobian(g: Game, theta, psi):
    """∂v/∂(θ, ψ) of the noise-free field, by hand: (J11, J12, J21, J22), J_ij = ∂v_i/∂x_j.

    Kinks count as flat, as autograd does (d/du max(0, u) = 0 at 0; d/dψ sign ψ = 0).
    """
    u = psi * theta
    if g.loss in ("minimax", "non_saturating"):
        s = _sigmoid(-u)
        ds = -s * (1.0 - s)  # d/du σ(−u)
        j21, j22 = s + ds * u, ds * theta * theta
        if g.loss == "minimax":
            return -ds * psi * psi, -s - ds * u, j21, j22
        r = 1.0 - s  # σ(u), whose derivative is σ(u)σ(−u) = −ds
        return ds * psi * psi, -r + ds * u, j21, j22
    zero = 0.0 * u
    if g.loss == "wgan":
        return zero, zero - 1.0, zero + 1.0, zero
    if g.loss == "wgan_gp":
        return zero, zero - 1.0, zero + 1.0, zero - GP_WEIGHT
    if g.loss == "hinge":
        return zero, zero - 1.0, (u < 1) * 1.0, zero
    return -psi * psi, -1.0 - 2.0 * u, -2.0 * u, -theta * theta  # least_squares


def _quadrature_directions(g: Game):
    """`field` and `_g_direction` at one point for minimax / non-saturating under instance
    noise, in one tanh and one product with the weights each (simulate's hot loop): with
    y = θ + σz_i and h = ψ/2, E[tanh(hY)Y] = θm + Σ w_i σz_i tanh(hy_i), m = E[tanh(hY)]."""
    z = g.noise * _Z
    n, sign = z.size, (-1.0 if g.loss == "minimax" else 1.0)
    nodes, on_y = np.concatenate([z, z]), np.repeat([1.0, 0.0], n)  # y_i (θ + σz_i), then σz_i
    weights = np.zeros((2 * n, 3))
    weights[:n, 0], weights[:n, 1], weights[n:, 2] = _W, z * _W, z * _W

    def both(theta: float, psi: float) -> tuple[float, float]:
        m, a, b = (np.tanh((0.5 * psi) * (nodes + theta * on_y)) @ weights).tolist()
        return -0.5 * psi * (1.0 + sign * m), 0.5 * (theta - theta * m - a - b)

    def g_only(theta: float, psi: float) -> float:
        return -0.5 * psi * (1.0 + sign * float(np.tanh((0.5 * psi) * (theta + z)) @ _W))

    return both, g_only


def _g_direction(g: Game, theta: float, psi: float) -> float:
    """v_θ alone at one point: under instance noise the standard losses need one expectation
    for it instead of three (alternating descent's G step)."""
    if g.reg == "instance_noise" and g.noise > 0 and g.loss in ("minimax", "non_saturating"):
        m = float(np.tanh((0.5 * psi) * (theta + g.noise * _Z)) @ _W)
        return -0.5 * psi * ((1.0 - m) if g.loss == "minimax" else (1.0 + m))
    return field(g, theta, psi)[0]


def field(g: Game, theta, psi):
    """The update direction (v_θ, v_ψ) = (−∂L_G/∂θ, −∂L_D/∂ψ) with the regularizer, at floats
    or at arrays of points."""
    vt, vp = _base(g, theta, psi)
    if g.reg in ("r1", "r2"):
        return vt, vp - g.gamma * psi
    if g.reg == "consensus" and g.gamma:
        j11, j12, j21, j22 = _plain_jacobian(g, theta, psi)
        # w = v − γ∇(½‖v‖²) = v − γJᵀv
        return vt - g.gamma * (j11 * vt + j21 * vp), vp - g.gamma * (j12 * vt + j22 * vp)
    return vt, vp


def _limits(limits) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in limits)
    except (TypeError, ValueError):
        lo = hi = math.nan
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"limits must be two finite numbers, low < high; got {limits!r}")
    return lo, hi


def vector_field(
    loss: str,
    *,
    reg: str = "none",
    gamma: float = 0.0,
    noise: float = 0.0,
    limits: tuple[float, float] = (-2.0, 2.0),
    n: int = 21,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The field on an n × n grid over limits² (θ along columns, ψ along rows): Θ, Ψ, U, V."""
    g = game(loss, reg=reg, gamma=gamma, noise=noise)
    lo, hi = _limits(limits)
    if not isinstance(n, (int, np.integer)) or not 2 <= n <= 400:
        raise ValueError(f"n must be an integer in [2, 400]; got {n!r}")
    axis = np.linspace(lo, hi, int(n))
    th, ps = np.meshgrid(axis, axis)
    u, v = field(g, th, ps)
    return th, ps, np.asarray(u, float), np.asarray(v, float)


def streamlines(
    loss: str,
    *,
    reg: str = "none",
    gamma: float = 0.0,
    noise: float = 0.0,
    limits: tuple[float, float] = (-2.0, 2.0),
    seeds: int = 7,
    length: int = 60,
) -> np.ndarray:
    """Curves that follow the field from a seeds × seeds grid of points, (seeds², length, 2).

    Each curve takes `length` midpoint steps of a fixed arc length (1/40 of the view) along the
    normalised field, all curves at once. A curve stops (repeats its point) where v = 0 or where
    the field turns back on it (a line of equilibria, such as least squares' ψ = 0).
    """
    g = game(loss, reg=reg, gamma=gamma, noise=noise)
    lo, hi = _limits(limits)
    if not isinstance(seeds, (int, np.integer)) or not 1 <= seeds <= 40:
        raise ValueError(f"seeds must be an integer in [1, 40]; got {seeds!r}")
    if not isinstance(length, (int, np.integer)) or not 2 <= length <= 1000:
        raise ValueError(f"length must be an integer in [2, 1000]; got {length!r}")
    ds = (hi - lo) / 40
    axis = lo + (hi - lo) * (np.arange(seeds) + 0.5) / seeds
    th, ps = (a.ravel() for a in np.meshgrid(axis, axis))
    out = np.empty((th.size, length, 2))

    def unit(t, p):
        u, v = field(g, t, p)
        norm = np.hypot(u, v)
        scale = np.divide(ds, norm, out=np.zeros_like(norm), where=norm > 1e-12)
        return u * scale, v * scale

    alive, prev_u, prev_v = np.ones(th.size, bool), np.zeros(th.size), np.zeros(th.size)
    for k in range(length):
        out[:, k, 0], out[:, k, 1] = th, ps
        u, v = unit(th, ps)
        u, v = unit(th + 0.5 * u, ps + 0.5 * v)
        alive &= (u * prev_u + v * prev_v >= 0) & ((u != 0) | (v != 0))
        u, v = np.where(alive, u, 0.0), np.where(alive, v, 0.0)
        th, ps, prev_u, prev_v = th + u, ps + v, u, v
    return out


# --- simulation ------------------------------------------------------------------------------


def simulate(
    loss: str,
    *,
    reg: str = "none",
    gamma: float = 0.0,
    noise: float = 0.0,
    clip: float | None = None,
    lr: float = 0.1,
    steps: int = 1000,
    mode: str = "simultaneous",
    start: tuple[float, float] = (1.0, 1.0),
) -> np.ndarray:
    """Gradient descent on the Dirac-GAN: rows (θ_k, ψ_k) for k = 0..steps, shape (steps + 1, 2).

    simultaneous: both players step from the same point. alternating: D steps first, then G
    steps against the updated D (as `gancore.train.trainer.Trainer` does with one D step per G step).
    `clip` clamps ψ to [−clip, clip] after every D step (WGAN's weight clipping; any loss).
    Once |θ| or |ψ| passes BLOWUP the run has diverged and the remaining rows are NaN.
    """
    g = game(loss, reg=reg, gamma=gamma, noise=noise, clip=clip)
    lr = checked_number(lr, "lr", strict=True)
    mode = checked_choice(mode, MODES, "mode")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}]; got {steps!r}")
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an integer in [1, {MAX_STEPS}]; got {steps!r}")
    try:
        if isinstance(start, str):
            raise TypeError
        th, ps = (float(v) for v in start)
    except (TypeError, ValueError):
        raise ValueError(f"start must be two numbers (theta0, psi0); got {start!r}") from None
    if not (math.isfinite(th) and math.isfinite(ps)):
        raise ValueError(f"start must be two finite numbers (theta0, psi0); got {start!r}")
    c = g.clip
    if g.reg == "instance_noise" and g.noise > 0 and g.loss in ("minimax", "non_saturating"):
        both, g_only = _quadrature_directions(g)
    else:
        both, g_only = partial(field, g), partial(_g_direction, g)
    path = np.full((int(steps) + 1, 2), np.nan)
    path[0] = th, ps
    for k in range(1, int(steps) + 1):
        if mode == "simultaneous":
            vt, vp = both(th, ps)
            th, ps = th + lr * vt, ps + lr * vp
            if c is not None:
                ps = min(max(ps, -c), c)
        else:
            _, vp = both(th, ps)
            ps = ps + lr * vp
            if c is not None:
                ps = min(max(ps, -c), c)
            th = th + lr * g_only(th, ps)
        if not (abs(th) < BLOWUP and abs(ps) < BLOWUP):  # also catches NaN
            break
        path[k] = th, ps
    return path
