"""gancore.dynamics: the Dirac-GAN claims of Mescheder, Geiger & Nowozin (ICML 2018), and the
hand-derived fields against the project's own losses."""

import itertools
import math

import numpy as np
import pytest
import torch

from gancore import dynamics as dyn
from gancore.dynamics.field import _g_direction, _plain_jacobian, _quadrature_directions
from gancore.train import losses as L

STANDARD = ("minimax", "non_saturating")
SMOOTH = ("minimax", "non_saturating", "least_squares")


def dist(path: np.ndarray) -> np.ndarray:
    return np.hypot(path[:, 0], path[:, 1])


def sign_changes(x: np.ndarray) -> int:
    return int(np.sum(np.diff(np.sign(x)) != 0))


# --- the paper's claims --------------------------------------------------------------------


def test_unregularized_simultaneous_gd_spirals_outward():
    p = dyn.simulate("minimax", lr=0.1, steps=1000, mode="simultaneous", start=(1.0, 1.0))
    d = dist(p)
    assert d[-1] > 1.8 * d[0]
    assert sign_changes(p[:, 0]) >= 4  # it turns around (0, 0) while it grows
    quarters = [d[i * 250 : (i + 1) * 250 + 1].max() for i in range(4)]
    assert quarters == sorted(quarters)
    # The other losses too, from near (0, 0) where their linearisation rules.
    for loss in ("non_saturating", "wgan", "hinge"):
        d = dist(dyn.simulate(loss, lr=0.1, steps=2000, start=(0.05, 0.03)))
        assert d[-500:].min() > 2 * d[0], loss


@pytest.mark.parametrize("loss", ["minimax", "wgan", "hinge"])
def test_alternating_gd_with_a_small_step_stays_on_a_bounded_orbit(loss):
    p = dyn.simulate(loss, lr=0.05, steps=20000, mode="alternating", start=(0.3, 0.2))
    d = dist(p)
    assert 0.85 * d[0] < d.min() and d.max() < 1.15 * d[0]
    assert d[-2000:].min() > 0.85 * d[0]  # no slow drift inward or outward either
    assert sign_changes(p[:, 1]) >= 10  # it keeps circling


@pytest.mark.parametrize("reg", ["r1", "r2"])
@pytest.mark.parametrize("loss", ["minimax", "non_saturating", "wgan", "hinge"])
@pytest.mark.parametrize("mode", dyn.MODES)
def test_r1_and_r2_with_a_small_step_converge_to_the_equilibrium(reg, loss, mode):
    p = dyn.simulate(loss, reg=reg, gamma=1.0, lr=0.05, steps=4000, mode=mode, start=(1.0, 1.0))
    assert dist(p)[-1] < 1e-4
    assert dyn.verdict(loss, reg=reg, gamma=1.0, lr=0.05, mode=mode).kind == "converges"
    assert dyn.verdict(loss, reg=reg, gamma=1.0).kind == "converges"


@pytest.mark.parametrize("mode", dyn.MODES)
def test_wgan_with_clipping_and_wgan_gp_do_not_converge(mode):
    for kwargs in ({"loss": "wgan", "clip": 0.3}, {"loss": "wgan_gp"}):
        p = dyn.simulate(**kwargs, lr=0.05, steps=6000, mode=mode, start=(1.0, 1.0))
        assert np.all(np.isfinite(p))
        assert dist(p)[-3000:].min() > 0.2, kwargs
        assert sign_changes(p[-3000:, 0]) >= 2, kwargs  # still going round, not settled
    clipped = dyn.simulate("wgan", clip=0.3, lr=0.05, steps=200, mode=mode)
    assert np.abs(clipped[1:, 1]).max() <= 0.3
    assert dyn.verdict("wgan").kind == "cycles"  # ±i: a centre, never a sink
    assert dyn.verdict("wgan_gp", lr=0.05, mode=mode).kind == "diverges"
    # Started right next to (0, 0), WGAN-GP is pushed off it: the penalty wants |ψ| = 1.
    d = dist(dyn.simulate("wgan_gp", lr=0.05, steps=2000, mode=mode, start=(0.01, 0.0)))
    assert d[-500:].min() > 0.5


def test_instance_noise_with_a_large_enough_sigma_converges():
    for sigma, kind in ((0.1, "diverges"), (1.0, "converges")):
        v = dyn.verdict("minimax", reg="instance_noise", noise=sigma, lr=0.1, mode="simultaneous")
        assert v.kind == kind
        p = dyn.simulate("minimax", reg="instance_noise", noise=sigma, lr=0.1, steps=3000)
        if kind == "converges":
            assert dist(p)[-1] < 1e-6
        else:
            assert dist(p)[-500:].min() > 0.1
    # The threshold, from |1 + hλ| < 1 with λ² + (σ²/2)λ + 1/4 = 0: σ² > h/2 ... in closed form.
    h = 0.1
    for sigma in np.linspace(0.05, 1.0, 40):
        lam = np.roots([1.0, sigma**2 / 2, 0.25])
        stable = bool(np.all(np.abs(1 + h * lam) < 1))
        v = dyn.verdict("minimax", reg="instance_noise", noise=float(sigma), lr=h)
        assert (v.kind == "converges") == stable


@pytest.mark.parametrize(
    "loss, slope", [("minimax", 0.5), ("non_saturating", 0.5), ("wgan", 1.0), ("hinge", 1.0)]
)
def test_continuous_eigenvalues_of_the_unregularized_game_are_plus_minus_i_f_prime_0(loss, slope):
    ev = np.sort_complex(dyn.equilibrium_eigenvalues(loss))
    np.testing.assert_allclose(ev, [-1j * slope, 1j * slope], atol=1e-15)


def test_regularized_eigenvalues_in_closed_form():
    for gamma in (0.3, 1.0, 2.5):  # R1: λ² + γλ + 1/4 = 0
        ev = dyn.equilibrium_eigenvalues("minimax", reg="r1", gamma=gamma)
        want = np.roots([1.0, gamma, 0.25])
        np.testing.assert_allclose(np.sort_complex(ev), np.sort_complex(want), atol=1e-7)
    for sigma in (0.5, 2.0):  # instance noise: J22 = 2f''(0)σ² = −σ²/2
        ev = dyn.equilibrium_eigenvalues("minimax", reg="instance_noise", noise=sigma)
        want = np.roots([1.0, sigma**2 / 2, 0.25])
        np.testing.assert_allclose(np.sort_complex(ev), np.sort_complex(want), atol=1e-7)
    for gamma in (0.5, 2.0):  # consensus: J − γJᵀJ = J − γ/4·I, so −γ/4 ± i/2
        ev = dyn.equilibrium_eigenvalues("minimax", reg="consensus", gamma=gamma)
        np.testing.assert_allclose(np.sort_complex(ev), [-gamma / 4 - 0.5j, -gamma / 4 + 0.5j])
    h = 0.2  # one simultaneous step: 1 + hλ; alternating: |λ| = 1 while h < 4
    for loss in ("minimax", "wgan"):
        cont = dyn.equilibrium_eigenvalues(loss)
        sim = dyn.equilibrium_eigenvalues(loss, lr=h, mode="simultaneous")
        np.testing.assert_allclose(np.sort_complex(sim), np.sort_complex(1 + h * cont))
        alt = dyn.equilibrium_eigenvalues(loss, lr=h, mode="alternating")
        np.testing.assert_allclose(np.abs(alt), 1.0, atol=1e-12)
    assert dyn.verdict("minimax", lr=0.1, mode="simultaneous").kind == "diverges"
    assert dyn.verdict("minimax", lr=0.1, mode="alternating").kind == "cycles"
    assert dyn.verdict("minimax", lr=4.5, mode="alternating").kind == "diverges"
    assert dyn.verdict("least_squares", lr=0.1).kind == "stalls"
    assert dyn.verdict("least_squares").kind == "stalls"


@pytest.mark.parametrize("mode", dyn.MODES)
@pytest.mark.parametrize("loss", ["minimax", "non_saturating", "least_squares"])
def test_update_matrix_is_the_jacobian_of_one_simulated_step(loss, mode):
    for reg, kw in (("none", {}), ("r1", {"gamma": 0.7}), ("consensus", {"gamma": 0.7})):
        m = dyn.update_matrix(dyn.equilibrium_jacobian(loss, reg=reg, **kw), 0.3, mode)
        eps, cols = 1e-6, []
        for e in ((eps, 0.0), (0.0, eps)):
            up = dyn.simulate(loss, reg=reg, lr=0.3, steps=1, mode=mode, start=e, **kw)[1]
            dn = dyn.simulate(loss, reg=reg, lr=0.3, steps=1, mode=mode, start=(-e[0], -e[1]), **kw)
            cols.append((up - dn[1]) / (2 * eps))
        np.testing.assert_allclose(np.array(cols).T, m, atol=1e-8)


def test_trajectories_agree_with_the_eigenvalue_verdict_over_a_sweep():
    regs = [
        ("none", {}),
        ("r1", {"gamma": 0.5}),
        ("r2", {"gamma": 1.0}),
        ("consensus", {"gamma": 0.5}),
        ("instance_noise", {"noise": 0.5}),
        ("instance_noise", {"noise": 1.5}),
    ]
    seen = set()
    for loss, (reg, kw), mode, lr in itertools.product(dyn.LOSSES, regs, dyn.MODES, (0.05, 0.3)):
        v = dyn.verdict(loss, reg=reg, lr=lr, mode=mode, **kw)
        p = dyn.simulate(loss, reg=reg, lr=lr, mode=mode, steps=2000, start=(0.05, 0.03), **kw)
        assert dyn.trajectory_kind(p) == v.kind, (loss, reg, kw, mode, lr, v.kind)
        seen.add(v.kind)
    assert seen == set(dyn.KINDS)  # the sweep meets every verdict


def test_the_sweep_verdicts_hold_for_a_larger_step_where_the_loss_allows():
    # lr = 1: simultaneous GD leaves (0, 0) even with R1 at γ = 0.5 (|1 + λ| > 1) ...
    v = dyn.verdict("wgan", reg="r1", gamma=0.5, lr=1.0, mode="simultaneous")
    p = dyn.simulate("wgan", reg="r1", gamma=0.5, lr=1.0, steps=200, start=(0.05, 0.03))
    assert v.kind == dyn.trajectory_kind(p) == "diverges"
    assert np.isnan(p[-1]).all()  # ... past BLOWUP, the rest of the path is NaN
    # ... and a stronger R1 brings it back.
    v = dyn.verdict("wgan", reg="r1", gamma=1.5, lr=1.0, mode="simultaneous")
    p = dyn.simulate("wgan", reg="r1", gamma=1.5, lr=1.0, steps=200, start=(0.05, 0.03))
    assert v.kind == dyn.trajectory_kind(p) == "converges"


# --- the hand-derived field against the objectives -----------------------------------------


def _objectives(loss: str, theta: float, psi: float, sigma: float, n: int = 20001):
    """L_D(θ, ψ) and L_G(θ, ψ) straight from gancore.train.losses, D's logit l(x) = −ψx, with instance
    noise as a mean over n equal-probability quantiles of N(0, σ²) (n = 1 without noise)."""
    t, p = torch.tensor(theta, dtype=torch.float64), torch.tensor(psi, dtype=torch.float64)
    if sigma:
        q = (torch.arange(n, dtype=torch.float64) + 0.5) / n
        eps = sigma * torch.special.ndtri(q)
    else:
        eps = torch.zeros(1, dtype=torch.float64)
    spec = L.LOSSES[loss]
    real, fake = -p * eps, -p * (t + eps)
    d_loss = spec.d_loss(real, fake)
    if spec.needs_gp:  # the critic −ψx has ∇ₓ = −ψ everywhere: the penalty is deterministic
        pen = L.gradient_penalty(lambda x: -p * x, eps[:, None], (t + eps)[:, None])
        d_loss = d_loss + 0.5 * dyn.GP_WEIGHT * pen
    return float(d_loss), float(spec.g_loss(fake))


def _fd_field(loss, theta, psi, sigma=0.0, h=1e-5):
    def ld(p):
        return _objectives(loss, theta, p, sigma)[0]

    def lg(t):
        return _objectives(loss, t, psi, sigma)[1]

    return -(lg(theta + h) - lg(theta - h)) / (2 * h), -(ld(psi + h) - ld(psi - h)) / (2 * h)


POINTS = [(0.7, -0.4), (-1.3, 0.9), (0.2, 1.6), (-0.5, -0.3), (0.3, -1.8), (-0.4, 2.2)]  # u ≠ 1


@pytest.mark.parametrize("loss", dyn.LOSSES)
def test_field_is_minus_the_gradient_of_the_projects_losses(loss):
    g = dyn.game(loss)
    for theta, psi in POINTS:
        got = dyn.field(g, theta, psi)
        np.testing.assert_allclose(got, _fd_field(loss, theta, psi), atol=1e-7, err_msg=loss)


@pytest.mark.parametrize("loss", dyn.LOSSES)
def test_instance_noise_field_is_the_expected_gradient(loss):
    g = dyn.game(loss, reg="instance_noise", noise=0.6)
    for theta, psi in POINTS:
        got = dyn.field(g, theta, psi)
        np.testing.assert_allclose(got, _fd_field(loss, theta, psi, 0.6), atol=2e-4)


def test_r1_is_half_gamma_times_the_squared_input_gradient():
    gamma, (theta, psi) = 0.8, (0.6, -0.9)
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)

    def ld(p):
        pt = torch.tensor(p, dtype=torch.float64)
        (grad,) = torch.autograd.grad((-pt * x).sum(), x)  # ∇ₓD at the real point
        return _objectives("minimax", theta, p, 0.0)[0] + 0.5 * gamma * float(grad.pow(2).sum())

    h = 1e-5
    want = -(ld(psi + h) - ld(psi - h)) / (2 * h)
    for reg in ("r1", "r2"):
        assert dyn.field(dyn.game("minimax", reg=reg, gamma=gamma), theta, psi)[1] == (
            pytest.approx(want, abs=1e-8)
        )


@pytest.mark.parametrize("loss", dyn.LOSSES)
def test_hand_jacobian_and_consensus_match_finite_differences(loss):
    g, h = dyn.game(loss), 1e-6
    for theta, psi in POINTS:
        jac = np.array(_plain_jacobian(g, theta, psi), dtype=float).reshape(2, 2)
        fd = np.empty((2, 2))
        for j, e in enumerate(((h, 0.0), (0.0, h))):
            up = dyn.field(g, theta + e[0], psi + e[1])
            dn = dyn.field(g, theta - e[0], psi - e[1])
            fd[:, j] = (np.array(up) - np.array(dn)) / (2 * h)
        np.testing.assert_allclose(jac, fd, atol=1e-7)

        def half_sq(t, p):
            return 0.5 * float(np.sum(np.square(dyn.field(g, t, p))))

        grad = [
            (half_sq(theta + h, psi) - half_sq(theta - h, psi)) / (2 * h),
            (half_sq(theta, psi + h) - half_sq(theta, psi - h)) / (2 * h),
        ]
        w = dyn.field(dyn.game(loss, reg="consensus", gamma=0.4), theta, psi)
        np.testing.assert_allclose(
            w, np.array(dyn.field(g, theta, psi)) - 0.4 * np.array(grad), atol=1e-7
        )


@pytest.mark.parametrize("loss", dyn.LOSSES)
@pytest.mark.parametrize(
    "reg, kw",
    [
        ("none", {}),
        ("r1", {"gamma": 0.7}),
        ("instance_noise", {"noise": 0.8}),
        ("consensus", {"gamma": 0.4}),
    ],
)
def test_equilibrium_jacobian_is_the_fields_derivative_at_zero(loss, reg, kw):
    g, h = dyn.game(loss, reg=reg, **kw), 1e-6
    at = 1e-3 if loss == "wgan_gp" else 0.0  # WGAN-GP: its ψ > 0 side, off the kink
    fd = np.empty((2, 2))
    for j, e in enumerate(((h, 0.0), (0.0, h))):
        up = dyn.field(g, e[0], at + e[1])
        dn = dyn.field(g, -e[0], at - e[1])
        fd[:, j] = (np.array(up) - np.array(dn)) / (2 * h)
    np.testing.assert_allclose(dyn.equilibrium_jacobian(loss, reg=reg, **kw), fd, atol=1e-6)


# --- determinism, grids, arguments -----------------------------------------------------------


def test_simulation_is_deterministic():
    for kw in ({"loss": "minimax", "reg": "instance_noise", "noise": 0.7}, {"loss": "hinge"}):
        a = dyn.simulate(**kw, steps=300, mode="alternating", start=(0.4, -0.8))
        b = dyn.simulate(**kw, steps=300, mode="alternating", start=(0.4, -0.8))
        np.testing.assert_array_equal(a, b)
    assert dyn.simulate("wgan", steps=5).shape == (6, 2)


def test_vector_field_and_streamlines_follow_the_field():
    th, ps, u, v = dyn.vector_field("non_saturating", reg="r1", gamma=0.5, limits=(-2, 2), n=9)
    assert th.shape == ps.shape == u.shape == v.shape == (9, 9)
    g = dyn.game("non_saturating", reg="r1", gamma=0.5)
    i, j = 3, 7
    assert (u[i, j], v[i, j]) == pytest.approx(dyn.field(g, float(th[i, j]), float(ps[i, j])))
    lines = dyn.streamlines("wgan", limits=(-2, 2), seeds=4, length=30)
    assert lines.shape == (16, 30, 2)
    r = np.hypot(lines[..., 0], lines[..., 1])  # WGAN's field turns on circles
    assert np.abs(r - r[:, :1]).max() < 0.01
    noisy = dyn.vector_field("hinge", reg="instance_noise", noise=0.5, n=5)
    assert all(np.all(np.isfinite(a)) for a in noisy)


def test_quadrature_matches_a_fine_midpoint_rule():
    g = dyn.game("minimax", reg="instance_noise", noise=1.3)
    eps = 1.3 * torch.special.ndtri((torch.arange(200001, dtype=torch.float64) + 0.5) / 200001)
    e = eps.numpy()
    for theta, psi in ((0.5, 2.0), (-1.0, -1.5)):
        y = theta + e
        sig = 1 / (1 + np.exp(psi * y))  # f'(ψy) = σ(−ψy)
        want = (-psi * sig.mean(), (sig * y).mean() - (e / (1 + np.exp(-psi * e))).mean())
        assert dyn.field(g, theta, psi) == pytest.approx(want, abs=2e-5)


def test_trajectory_kinds():
    t = np.linspace(0, 20 * math.pi, 2001)
    circle = np.c_[np.cos(t), np.sin(t)]
    assert dyn.trajectory_kind(circle) == "cycles"
    assert dyn.trajectory_kind(circle * np.exp(-t / 20)[:, None]) == "converges"
    assert dyn.trajectory_kind(circle * np.exp(t / 20)[:, None]) == "diverges"
    stop = np.c_[np.minimum(t, 1.0), np.zeros_like(t)] + [0.5, 0.0]
    assert dyn.trajectory_kind(stop) == "stalls"
    assert dyn.trajectory_kind(np.array([[1.0, 1.0], [np.nan, np.nan]])) == "diverges"


BAD = [
    (lambda: dyn.simulate("lsgan"), "loss must be one of minimax, non_saturating"),
    (lambda: dyn.simulate("minimax", reg="l2"), "reg must be one of none, r1, r2"),
    (lambda: dyn.simulate("minimax", mode="jacobi"), "mode must be one of simultaneous"),
    (lambda: dyn.simulate("minimax", lr=0), "lr must be a finite number > 0"),
    (lambda: dyn.simulate("minimax", lr=float("nan")), "lr must be a finite number"),
    (lambda: dyn.simulate("minimax", steps=0), "steps must be an integer in [1, 100000]"),
    (lambda: dyn.simulate("minimax", steps=2.5), "steps must be an integer"),
    (lambda: dyn.simulate("minimax", start=(1.0,)), "start must be two numbers"),
    (lambda: dyn.simulate("minimax", start=(1.0, math.inf)), "start must be two finite"),
    (lambda: dyn.simulate("minimax", start="12"), "start must be two numbers"),
    (lambda: dyn.update_matrix(np.eye(2), 0.1, "leapfrog"), "mode must be one of"),
    (lambda: dyn.simulate("wgan", clip=0), "clip must be a finite number > 0"),
    (lambda: dyn.simulate("minimax", reg="r1", gamma=-1), "gamma must be a finite number >= 0"),
    (lambda: dyn.simulate("minimax", gamma=1.0), "gamma is the weight of r1, r2 or consensus"),
    (lambda: dyn.simulate("minimax", noise=0.5), "noise is instance noise's sigma"),
    (lambda: dyn.simulate("minimax", reg="instance_noise", noise=-1), "noise must be"),
    (lambda: dyn.equilibrium_eigenvalues("minimax", mode="alternating"), "give lr as well"),
    (lambda: dyn.equilibrium_eigenvalues("minimax", lr=-0.1), "lr must be a finite number > 0"),
    (lambda: dyn.vector_field("minimax", limits=(1, -1)), "limits must be two finite numbers"),
    (lambda: dyn.vector_field("minimax", n=1), "n must be an integer in [2, 400]"),
    (lambda: dyn.trajectory_kind(np.zeros(3)), "path must be an array of shape"),
]


@pytest.mark.parametrize("call, message", BAD)
def test_bad_arguments_name_the_parameter_and_what_it_allows(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)


def test_both_spellings_of_a_loss_name():
    a = dyn.simulate("non-saturating", steps=10)
    np.testing.assert_array_equal(a, dyn.simulate("non_saturating", steps=10))
    assert dyn.game("WGAN-GP").loss == "wgan_gp"


@pytest.mark.parametrize("loss", dyn.LOSSES)
def test_noisy_field_is_the_same_at_one_point_and_on_a_grid(loss):
    # simulate takes plain floats (a faster path); figures take arrays: they must agree.
    th, ps, u, v = dyn.vector_field(loss, reg="instance_noise", noise=0.7, n=7)  # ψ = 0 included
    g = dyn.game(loss, reg="instance_noise", noise=0.7)
    for i, j in itertools.product(range(7), range(7)):
        got = dyn.field(g, float(th[i, j]), float(ps[i, j]))
        assert got == pytest.approx((u[i, j], v[i, j]), abs=1e-12)


@pytest.mark.parametrize("loss", dyn.LOSSES)
def test_the_g_step_shortcut_is_the_fields_first_component(loss):
    for reg, kw in (("instance_noise", {"noise": 0.9}), ("consensus", {"gamma": 0.5})):
        g = dyn.game(loss, reg=reg, **kw)
        for theta, psi in POINTS:
            assert _g_direction(g, theta, psi) == pytest.approx(
                dyn.field(g, theta, psi)[0], abs=1e-14
            )


@pytest.mark.parametrize("loss", ["minimax", "non_saturating"])
def test_simulates_quadrature_shortcut_is_the_field(loss):
    # simulate's hot loop under instance noise folds E[tanh(hY)Y] into one product per point.
    for sigma in (0.05, 0.9, 3.0):
        g = dyn.game(loss, reg="instance_noise", noise=sigma)
        both, g_only = _quadrature_directions(g)
        for theta, psi in [*POINTS, (40.0, -25.0)]:
            assert both(theta, psi) == pytest.approx(dyn.field(g, theta, psi), rel=1e-12, abs=1e-14)
            assert g_only(theta, psi) == pytest.approx(_g_direction(g, theta, psi), abs=1e-14)
        # and a whole damped path, stepped by hand through the field, matches simulate's
        th, ps = 1.0, 1.0
        for _ in range(200):
            _, vp = dyn.field(g, th, ps)
            ps += 0.1 * vp
            th += 0.1 * dyn.field(g, th, ps)[0]
        path = dyn.simulate(loss, reg="instance_noise", noise=sigma, steps=200, mode="alternating")
        assert path[-1] == pytest.approx((th, ps), rel=1e-10, abs=1e-12)
