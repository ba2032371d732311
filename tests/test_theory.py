"""gancore.theory: the identities of Goodfellow et al. 2014 and the edge cases, to tight tolerances."""

import math

import numpy as np
import pytest

from gancore import theory as T


def random_mixture(rng: np.random.Generator, allow_zero_weights: bool = True) -> T.Density1D:
    k = int(rng.integers(1, 4))
    w = rng.random(k)
    if allow_zero_weights:
        w = w * (rng.random(k) > 0.3)
    w[0] += 0.01
    return T.gaussian_mixture(w, rng.normal(0, 3, k), 10 ** rng.uniform(-2.0, 0.5, k))


def grid_pair(a: T.Density1D, b: T.Density1D):
    x = T.make_grid(a, b)
    pa, la = T.on_grid(a, x)
    pb, lb = T.on_grid(b, x)
    return x, pa, la, pb, lb


@pytest.mark.parametrize("seed", range(40))
def test_value_at_optimum_is_two_js_minus_log4(seed):
    rng = np.random.default_rng(seed)
    a, b = random_mixture(rng), random_mixture(rng)
    x, pa, _, pb, _ = grid_pair(a, b)
    v = T.value_function(pa, pb, T.optimal_discriminator(pa, pb), x)
    js = T.js_divergence(pa, pb, x)
    assert math.isfinite(v) and math.isfinite(js)
    assert v == pytest.approx(2 * js - 2 * math.log(2), abs=1e-6)
    assert 0.0 <= js <= math.log(2)
    # D* is the best discriminator: any other D (here D* pushed around) does no better.
    d_other = np.clip(T.optimal_discriminator(pa, pb) * 0.9 + 0.05, 0, 1)
    assert T.value_function(pa, pb, d_other, x) < v


def test_value_is_minus_log4_when_pg_equals_pdata():
    a = T.gaussian_mixture([0.3, 0.7], [-1, 2], [0.4, 0.8])
    x, pa, _, _, _ = grid_pair(a, a)
    d = T.optimal_discriminator(pa, pa)
    np.testing.assert_array_equal(d, 0.5)
    assert T.value_function(pa, pa, d, x) == pytest.approx(-math.log(4), abs=1e-12)
    assert T.js_divergence(pa, pa, x) == pytest.approx(0.0, abs=1e-12)
    assert T.kl_divergence(pa, pa, x) == pytest.approx(0.0, abs=1e-12)
    assert T.wasserstein1(pa, pa, x) == pytest.approx(0.0, abs=1e-12)


def test_disjoint_supports_give_finite_exact_values():
    a, b = T.uniform(-3, -1), T.uniform(1, 3)
    x, pa, la, pb, lb = grid_pair(a, b)
    d = T.optimal_discriminator(pa, pb)
    assert T.value_function(pa, pb, d, x) == pytest.approx(0.0, abs=1e-9)
    assert T.js_divergence(pa, pb, x) == pytest.approx(math.log(2), abs=1e-9)
    assert T.kl_divergence(pa, pb, x, log_p=la, log_q=lb) == math.inf
    assert T.wasserstein1(pa, pb, x) == pytest.approx(4.0, abs=1e-4)
    # Far-apart narrow Gaussians: p_g underflows to 0 where p_data lives, still no inf/NaN.
    g1, g2 = T.gaussian_mixture([1], [-3], [0.05]), T.gaussian_mixture([1], [3], [0.05])
    div = T.divergences(g1, g2, T.make_grid(g1, g2))
    assert div.value_at_optimum == pytest.approx(0.0, abs=1e-9)
    assert div.js == pytest.approx(math.log(2), abs=1e-9)
    # With exact log-densities KL stays finite and exact: 6² / (2 · 0.05²) = 7200.
    assert div.kl_data_g == pytest.approx(7200.0, rel=1e-6)
    assert div.w1 == pytest.approx(6.0, abs=1e-6)


def test_zero_weight_component_is_ignored():
    with_zero = T.gaussian_mixture([0.5, 0.0, 0.5], [-1, 100, 1], [0.3, 0.1, 0.3])
    without = T.gaussian_mixture([0.5, 0.5], [-1, 1], [0.3, 0.3])
    x = T.make_grid(with_zero, without)
    np.testing.assert_allclose(with_zero.pdf(x), without.pdf(x), rtol=1e-14)
    assert len(with_zero.components) == 2


@pytest.mark.parametrize(("mu", "s1", "s2"), [(1.0, 1.0, 1.0), (0.5, 0.3, 1.2), (-2.0, 2.0, 0.5)])
def test_kl_and_w1_match_closed_forms_for_gaussians(mu, s1, s2):
    a, b = T.gaussian_mixture([1], [0], [s1]), T.gaussian_mixture([1], [mu], [s2])
    x, pa, la, pb, lb = grid_pair(a, b)
    kl = math.log(s2 / s1) + (s1**2 + mu**2) / (2 * s2**2) - 0.5
    assert T.kl_divergence(pa, pb, x, log_p=la, log_q=lb) == pytest.approx(kl, rel=1e-6)
    if np.all(pb[pa > 0] > 0):  # without log-densities KL is exact only while q does not underflow
        assert T.kl_divergence(pa, pb, x) == pytest.approx(kl, rel=1e-5)
    else:
        assert T.kl_divergence(pa, pb, x) == math.inf
    if s1 == s2:  # W1 between equal-width Gaussians is the shift.
        assert T.wasserstein1(pa, pb, x) == pytest.approx(abs(mu), rel=1e-6)


def test_densities_integrate_to_one_and_match_cdf():
    d = T.gaussian_mixture([1, 2, 3], [-2, 0, 3], [0.02, 1.0, 0.5])
    x = T.make_grid(d)
    assert T.integrate(d.pdf(x), x) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(T.cumulative(d.pdf(x), x), d.cdf(x) - d.cdf(x[0]), atol=1e-5)
    u = T.uniform(-1, 2)
    xu = T.make_grid(u)
    assert T.integrate(u.pdf(xu), xu) == pytest.approx(1.0, abs=1e-6)


def test_optimal_discriminator_and_ratio_conventions():
    p = np.array([0.0, 1.0, 0.0, 2.0])
    q = np.array([0.0, 0.0, 3.0, 2.0])
    np.testing.assert_array_equal(T.optimal_discriminator(p, q), [0.5, 1.0, 0.0, 0.5])
    np.testing.assert_array_equal(T.density_ratio(p, q), [1.0, np.inf, 0.0, 1.0])
    np.testing.assert_array_equal(T.xlogy(np.array([0.0, 0.0]), np.array([0.0, 5.0])), [0.0, 0.0])


def test_pointwise_maximisation():
    y = np.linspace(1e-6, 1 - 1e-6, 200001)
    for a, b in [(0.6, 0.2), (0.1, 3.0), (1.0, 1.0), (0.0, 2.0)]:
        ys = T.pointwise_argmax(a, b)
        assert ys == pytest.approx(a / (a + b))
        assert y[np.argmax(T.pointwise_objective(y, a, b))] == pytest.approx(ys, abs=1e-5)
        if 0 < ys < 1:
            assert T.pointwise_derivative(ys, a, b) == pytest.approx(0.0, abs=1e-9)
    assert T.pointwise_argmax(0.0, 0.0) == 0.5
    with pytest.raises(ValueError, match="a=-1"):
        T.pointwise_argmax(-1, 1)


def test_bce_terms_sum_to_minus_pair_value():
    d_real, d_fake = 0.8, 0.3
    l_real = T.binary_cross_entropy(1.0, d_real)
    l_fake = T.binary_cross_entropy(0.0, d_fake)
    assert l_real == pytest.approx(-math.log(0.8))
    assert l_fake == pytest.approx(-math.log(0.7))
    assert -(l_real + l_fake) == pytest.approx(math.log(d_real) + math.log(1 - d_fake))
    assert T.binary_cross_entropy(1.0, 1.0) == 0.0
    with pytest.raises(ValueError, match="1.5"):
        T.binary_cross_entropy(1.0, 1.5)


def test_generator_loss_gradients_match_finite_differences():
    logits = np.linspace(-6, 6, 13)
    d = 1 / (1 + np.exp(-logits))
    g = T.generator_losses(d)
    h = 1e-6
    dp = 1 / (1 + np.exp(-(logits + h)))
    gp = T.generator_losses(dp)
    for name in ("saturating", "non_saturating"):
        fd = (gp[name] - g[name]) / h
        np.testing.assert_allclose(g[f"{name}_grad_logit"], fd, atol=1e-5)
    # Early in training (D rejects fakes) the saturating gradient vanishes, the other does not.
    early = T.generator_losses(np.array([0.01]))
    assert abs(early["saturating_grad_logit"][0]) == pytest.approx(0.01)
    assert abs(early["non_saturating_grad_logit"][0]) == pytest.approx(0.99)


@pytest.mark.parametrize("mode", ["mixture", "transport"])
def test_morph_ends_exactly_at_the_data(mode):
    a = T.gaussian_mixture([0.5, 0.5], [-2, 2], [0.3, 0.5])
    g = T.uniform(-1, 3)
    x, pa, _, pg, _ = grid_pair(a, g)
    np.testing.assert_array_equal(T.morph(pg, pa, x, 0.0, mode=mode), pg)
    ts = np.linspace(0, 1, 11)
    values = T.value_along_morph(pg, pa, x, ts, mode=mode)
    assert values[-1] == pytest.approx(-math.log(4), abs=1e-12)
    assert np.all(values >= -math.log(4) - 1e-9)
    assert values[0] > values[5] > values[-1]
    for t in (0.3, 0.7):
        assert T.integrate(T.morph(pg, pa, x, t, mode=mode), x) == pytest.approx(1.0, abs=1e-9)
    if mode == "transport":  # the mean moves in a straight line
        mid = T.morph(pg, pa, x, 0.5, mode=mode)
        mean = lambda p: T.integrate(x * p, x)  # noqa: E731
        assert mean(mid) == pytest.approx(0.5 * (mean(pg) + mean(pa)), abs=2e-3)


def test_js_is_flat_where_w1_is_linear():
    thetas = np.array([0.0, 0.5, 1.0, 2.0, -3.0])
    js, w1 = T.js_and_w1_vs_shift(thetas, width=0.05)
    assert js[0] == pytest.approx(0.0, abs=1e-12)
    # Ten widths apart the bumps still overlap by ~1e-6; two or more and JS is log 2 to 1e-12.
    np.testing.assert_allclose(js[1:], math.log(2), atol=1e-5)
    np.testing.assert_allclose(js[2:], math.log(2), atol=1e-12)
    np.testing.assert_allclose(w1, np.abs(thetas), atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(weights=(1.0,), means=(0.0,), stds=(0.0,)), "std 0.0"),
        (dict(weights=(-1.0,), means=(0.0,), stds=(1.0,)), "weights"),
        (dict(weights=(1.0,), means=(float("nan"),), stds=(1.0,)), "mean nan"),
        (dict(weights=(1.0, 1.0), means=(0.0,), stds=(1.0,)), "as many"),
        (dict(uniform=(2.0, 1.0)), "low < high"),
    ],
)
def test_bad_densities_are_refused_with_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        T.Density1D(**kwargs)


def test_sampling_is_deterministic_and_matches_the_density():
    d = T.gaussian_mixture([0.25, 0.75], [-2, 1], [0.5, 0.3])
    s1 = d.sample(50000, np.random.default_rng(3))
    s2 = d.sample(50000, np.random.default_rng(3))
    np.testing.assert_array_equal(s1, s2)
    assert s1.mean() == pytest.approx(d.mean(), abs=0.02)
    assert np.mean(s1 < -0.5) == pytest.approx(0.25, abs=0.01)


def test_the_monte_carlo_value_converges_to_the_integral_and_the_morph_path_matches():
    p_data = T.gaussian_mixture([0.6, 0.4], [-1.5, 1.8], [0.5, 0.4])
    p_g = T.gaussian_mixture([1.0], [0.5], [1.2])
    x = T.make_grid(p_data, p_g)
    pd, _ = T.on_grid(p_data, x)
    pg, _ = T.on_grid(p_g, x)
    d = T.optimal_discriminator(pd, pg)
    exact = T.value_function(pd, pg, d, x)
    rng = np.random.default_rng(0)
    errors = [
        abs(T.value_monte_carlo(p_data.sample(n, rng), p_g.sample(n, rng), d, x) - exact)
        for n in (1_000, 100_000)
    ]
    assert errors[1] < 0.01 and errors[1] < errors[0] + 0.005
    ts = np.linspace(0, 1, 5)
    frames, values = T.morph_path(pg, pd, x, ts)
    assert len(frames) == 5 and np.allclose(values, T.value_along_morph(pg, pd, x, ts))
    assert np.allclose(frames[-1], pd) and values[-1] == pytest.approx(-np.log(4), abs=1e-6)
