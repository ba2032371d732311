import math

import numpy as np
import pytest
import torch

from gancore.data.toy import TOY_DATASETS, ToySource, get_toy, toy_names, validate_points
from gancore.seeding import set_seed

PARAMS = {"points": {"points": [[0.0, 0.0], [1.0, 2.0], [-1.0, 0.5]]}}


def make(name):
    return get_toy(name, **PARAMS.get(name, {}))


@pytest.mark.parametrize("name", list(TOY_DATASETS))
def test_sampler_shape_dtype_and_determinism(name):
    dist = make(name)
    a = dist.sample(500, torch.Generator().manual_seed(3))
    b = dist.sample(500, torch.Generator().manual_seed(3))
    c = dist.sample(500, torch.Generator().manual_seed(4))
    assert a.shape == (500, dist.dim) and a.dtype == torch.float32
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert dist.dim == TOY_DATASETS[name].dim
    assert len(dist.bounds) == dist.dim


@pytest.mark.parametrize("name", list(TOY_DATASETS))
def test_sampler_ignores_global_rng(name):
    dist = make(name)
    torch.manual_seed(0)
    a = dist.sample(100, torch.Generator().manual_seed(1))
    torch.manual_seed(99)
    b = dist.sample(100, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


@pytest.mark.parametrize("name", toy_names(dim=1))
def test_1d_densities_integrate_to_one(name):
    dist = make(name)
    ((lo, hi),) = dist.bounds
    x = np.linspace(lo - 5, hi + 5, 200_001)
    integral = np.trapezoid(dist.density(x), x)
    assert integral == pytest.approx(1.0, abs=2e-3)


@pytest.mark.parametrize("name", ["ring8", "grid25", "clusters3", "line"])
def test_2d_densities_integrate_to_one(name):
    # std 0.2 so a 401x401 grid resolves the modes
    dist = get_toy(name, std=0.2) if name in ("ring8", "grid25") else make(name)
    (lo, hi), _ = dist.bounds
    g = np.linspace(lo - 1, hi + 1, 401)
    xx, yy = np.meshgrid(g, g, indexing="ij")
    p = dist.density(np.stack([xx, yy], -1))
    assert p.shape == xx.shape
    cell = (g[1] - g[0]) ** 2
    assert p.sum() * cell == pytest.approx(1.0, abs=5e-3)


def test_density_matches_samples_in_1d():
    dist = get_toy("mixture2")
    x = dist.sample(200_000, torch.Generator().manual_seed(0)).numpy()[:, 0]
    hist, edges = np.histogram(x, bins=40, range=(-4, 4), density=True)
    centres = 0.5 * (edges[1:] + edges[:-1])
    assert np.abs(hist - dist.density(centres)).max() < 0.02


def test_ring8_modes_and_spread():
    dist = get_toy("ring8")
    assert dist.modes.shape == (8, 2) and dist.mode_std == 0.02
    np.testing.assert_allclose(np.linalg.norm(dist.modes, axis=1), 2.0)
    np.testing.assert_allclose(dist.modes[0], [2.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(dist.modes[2], [0.0, 2.0], atol=1e-12)
    x = dist.sample(20_000, torch.Generator().manual_seed(0)).numpy()
    r = np.linalg.norm(x, axis=1)
    assert abs(r.mean() - 2.0) < 0.005 and abs(r.std() - 0.02) < 0.003


def test_grid25_modes():
    dist = get_toy("grid25")
    assert dist.modes.shape == (25, 2) and dist.mode_std == 0.05
    coords = {float(v) for v in dist.modes.ravel()}
    assert coords == {-4.0, -2.0, 0.0, 2.0, 4.0}
    assert len({tuple(m) for m in dist.modes}) == 25
    x = dist.sample(10_000, torch.Generator().manual_seed(0)).numpy()
    nearest = np.abs(x[:, None, :] - dist.modes[None]).sum(-1).argmin(1)
    counts = np.bincount(nearest, minlength=25)
    assert counts.min() > 300  # ~400 each


def test_densities_without_closed_form_raise():
    for name in ("spiral", "moons", "points"):
        dist = make(name)
        assert not dist.has_density
        with pytest.raises(NotImplementedError, match=name):
            dist.density(np.zeros((3, 2)))


def test_points_resample_with_jitter():
    pts = np.array([[0.0, 0.0], [10.0, 10.0]])
    dist = get_toy("points", points=pts, jitter=0.01)
    x = dist.sample(1000, torch.Generator().manual_seed(0)).numpy()
    d = np.min(np.linalg.norm(x[:, None] - pts[None], axis=-1), axis=1)
    assert d.max() < 0.06
    (xlo, xhi), (ylo, yhi) = dist.bounds
    assert xlo < 0 < 10 < xhi and ylo < 0 < 10 < yhi


@pytest.mark.parametrize(
    "points, match",
    [
        (np.zeros((5, 3)), r"shape \(n, 2\), got \(5, 3\)"),
        (np.zeros((0, 2)), "got 0"),
        (np.zeros((100_001, 2)), "got 100001"),
        ([[0.0, 1.0], [np.nan, 2.0]], "row 1"),
        ([[0.0, np.inf]], "finite"),
        ("abc", "numeric"),
    ],
)
def test_validate_points_errors(points, match):
    with pytest.raises(ValueError, match=match):
        validate_points(points)


def test_get_toy_errors_name_the_bad_value():
    with pytest.raises(ValueError, match="'nope'"):
        get_toy("nope")
    with pytest.raises(ValueError, match="radiuss"):
        get_toy("ring8", radiuss=3)
    with pytest.raises(ValueError, match="-0.1"):
        get_toy("ring8", std=-0.1)
    with pytest.raises(ValueError, match="low=3.0, high=1.0"):
        get_toy("uniform", low=3.0, high=1.0)
    with pytest.raises(ValueError, match="needs points"):
        get_toy("points")


def test_params_rebuild_the_same_distribution():
    for name in TOY_DATASETS:
        dist = make(name)
        again = get_toy(name, **dist.params)
        g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
        assert torch.equal(dist.sample(50, g1), again.sample(50, g2))


def test_toy_source_state_roundtrip():
    src = ToySource(get_toy("ring8"), seed=7)
    src.next_batch(10)
    state = src.state_dict()
    a, y = src.next_batch(32)
    assert y is None
    other = ToySource(get_toy("ring8"), seed=123)
    other.load_state_dict(state)
    b, _ = other.next_batch(32)
    assert torch.equal(a, b)


def test_set_seed_seeds_everything():
    g = set_seed(11)
    a = (torch.rand(3), np.random.rand(3), torch.rand(3, generator=g))
    g = set_seed(11)
    b = (torch.rand(3), np.random.rand(3), torch.rand(3, generator=g))
    assert torch.equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and torch.equal(a[2], b[2])
    with pytest.raises(ValueError, match="-1"):
        set_seed(-1)


def test_uniform_density_value():
    dist = get_toy("uniform", low=-1.0, high=3.0)
    np.testing.assert_allclose(dist.density(np.array([-2.0, 0.0, 2.9, 3.5])), [0, 0.25, 0.25, 0])
    assert math.isclose(dist.density(np.array([[1.0]]))[0], 0.25)
