import math

import numpy as np
import pytest
import torch

from gancore.data.toy import get_toy
from gancore.eval.toy import grid_divergences, grid_histogram, kde, mode_metrics

RING = get_toy("ring8")


def test_samples_on_three_of_eight_modes():
    rng = np.random.default_rng(0)
    x = RING.modes[[0, 3, 5]].repeat(100, axis=0) + rng.normal(0, 0.02, (300, 2))
    m = mode_metrics(x, RING.modes, RING.mode_std)
    assert m["modes_captured"] == 3 and m["num_modes"] == 8
    assert m["high_quality_share"] > 0.97
    assert m["mode_counts"][0] > 90 and m["mode_counts"][1] == 0
    # equal thirds on 3 of 8 modes: KL(q || uniform) = log(8 / 3)
    exact = mode_metrics(RING.modes[[0, 3, 5]].repeat(100, axis=0), RING.modes, 0.02)
    assert exact["high_quality_share"] == 1.0
    assert exact["reverse_kl"] == pytest.approx(math.log(8 / 3))


def test_perfect_samples_capture_all_modes_with_zero_kl():
    x = RING.sample(8000, torch.Generator().manual_seed(0))
    m = mode_metrics(x, RING.modes, RING.mode_std)  # tensors accepted
    assert m["modes_captured"] == 8
    assert m["high_quality_share"] == pytest.approx(1 - math.exp(-4.5), abs=0.005)  # 2D Rayleigh
    assert m["reverse_kl"] < 0.005


def test_far_away_samples_are_not_high_quality():
    x = np.full((50, 2), 10.0)
    m = mode_metrics(x, RING.modes, RING.mode_std)
    assert m["high_quality_share"] == 0.0 and m["modes_captured"] == 0
    assert m["reverse_kl"] == pytest.approx(math.log(8))  # documented convention: finite
    # the origin is 2 away from every mode: nearest but far, so not HQ
    assert mode_metrics(np.zeros((5, 2)), RING.modes, 0.02)["high_quality_share"] == 0.0


def test_three_std_boundary_and_1d():
    modes = np.array([[0.0], [10.0]])
    x = np.array([0.29, -0.31, 10.0, 5.0])
    m = mode_metrics(x, modes, 0.1)
    assert m["high_quality_share"] == 0.5 and m["mode_counts"] == [1, 1]


def test_mode_metrics_validation():
    with pytest.raises(ValueError, match="shape"):
        mode_metrics(np.zeros((3, 3)), RING.modes, 0.02)
    with pytest.raises(ValueError, match="std"):
        mode_metrics(np.zeros((3, 2)), RING.modes, 0.0)
    with pytest.raises(ValueError, match="non-finite"):
        mode_metrics(np.full((3, 2), np.nan), RING.modes, 0.1)


def test_histogram_counts_every_sample():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 5, (1000, 2))  # many points fall outside the view box
    bounds = ((-2.0, 2.0), (-1.0, 3.0))
    h = grid_histogram(x, bounds, 10)
    assert h.shape == (10, 10) and h.sum() == 1000
    outside = (np.abs(x[:, 0]) > 2).sum()
    assert outside > 400
    # clipped into the edge cells: rows 0 and 9 hold every point beyond x = ±2
    assert h[0].sum() + h[9].sum() >= outside
    h1 = grid_histogram(np.array([-5.0, 0.1, 0.6, 5.0]), ((0.0, 1.0),), 2)
    assert h1.tolist() == [2, 2]


def test_histogram_matches_numpy_inside_bounds():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (5000, 2))
    ours = grid_histogram(x, ((-1, 1), (-1, 1)), (8, 5))
    ref, _, _ = np.histogram2d(x[:, 0], x[:, 1], bins=(8, 5), range=((-1, 1), (-1, 1)))
    assert np.array_equal(ours, ref.astype(int))


def test_divergences_identical_and_disjoint():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (2000, 2))
    same = grid_divergences(a, a, ((-3, 3), (-3, 3)), 20)
    assert same == {"kl_data_g": 0.0, "kl_g_data": 0.0, "js": 0.0}
    left, right = rng.uniform(-3, -1, (500, 2)), rng.uniform(1, 3, (800, 2))
    d = grid_divergences(left, right, ((-3, 3), (-3, 3)), 30)
    assert d["js"] == pytest.approx(math.log(2), abs=1e-12)
    assert math.isfinite(d["kl_data_g"]) and d["kl_data_g"] > 5  # about log(1/eps)
    assert math.isfinite(d["kl_g_data"]) and d["kl_g_data"] > 5


def test_divergences_of_similar_sets_are_small_and_ordered():
    g = torch.Generator().manual_seed(0)
    real = RING.sample(20_000, g).numpy()
    close = RING.sample(20_000, g).numpy()
    collapsed = np.repeat(RING.modes[:4], 5000, axis=0)
    bounds = RING.bounds
    near = grid_divergences(real, close, bounds, 40)
    far = grid_divergences(real, collapsed, bounds, 40)
    assert near["js"] < 0.01 and far["js"] > 0.2
    # missing half the modes hurts KL(p_data || p_g) much more than the reverse
    assert far["kl_data_g"] > far["kl_g_data"]


def test_kde_integrates_to_one_and_matches_density():
    dist = get_toy("gaussian", mean=1.0, std=0.5)
    s = dist.sample(5000, torch.Generator().manual_seed(0))
    x = np.linspace(-3, 5, 801)
    p = kde(s, x)
    assert np.trapezoid(p, x) == pytest.approx(1.0, abs=1e-3)
    assert np.abs(p - dist.density(x)).max() < 0.05
    # Scott's rule: h = std * n^(-1/5); an explicit bandwidth is honoured
    one = kde(np.array([0.0]), np.array([0.0]), bandwidth=0.5)
    assert one[0] == pytest.approx(1 / (0.5 * math.sqrt(2 * math.pi)))


def test_kde_of_a_collapsed_generator_is_a_visible_spike():
    x = np.linspace(-2, 2, 401)
    p = kde(np.full(100, 0.003), x)
    assert np.isfinite(p).all() and p.max() > 10
    assert np.trapezoid(p, x) == pytest.approx(1.0, abs=0.02)
    with pytest.raises(ValueError, match="bandwidth"):
        kde(np.zeros(3), x, bandwidth=-1.0)
