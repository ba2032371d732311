"""The training-dynamics figures skip plotly's validation for speed: check they are exactly
what a validated build holds, and that they show the arrays they were given."""

import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from gancore import dynamics as dyn
from gancore.viz import dynamics as dplots


def _spec(fig: go.Figure) -> dict:
    """The figure as the browser gets it, without keys set to None or {} (validation drops
    them)."""

    def clean(x):
        if isinstance(x, dict):
            out = {k: clean(v) for k, v in x.items()}
            return {k: v for k, v in out.items() if v is not None and v != {}}
        if isinstance(x, list):
            return [clean(v) for v in x]
        return x

    return clean(json.loads(pio.to_json(fig, validate=False)))


def _decoded(trace_xy) -> np.ndarray:
    fig = go.Figure(go.Scatter(x=trace_xy))
    return np.asarray(fig.data[0].x, dtype=float)


SETTINGS = [
    ("minimax", {}, (1.0, 1.0), dyn.MODES, 0.1),
    ("wgan_gp", {}, (0.3, -1.2), ("alternating",), 2.0),
    ("minimax", {"reg": "instance_noise", "noise": 1.0}, (1.0, 1.0), dyn.MODES, 0.5),
    ("least_squares", {}, (0.0, 0.0), (), 0.1),
    ("non_saturating", {"reg": "r1", "gamma": 0.5}, (2.0, 1.0), ("simultaneous",), 1.5),
]


@pytest.mark.parametrize("loss, kw, start, modes, lr", SETTINGS)
def test_figures_are_what_a_validated_build_holds(loss, kw, start, modes, lr):
    paths = {m: dyn.simulate(loss, **kw, steps=200, mode=m, start=start, lr=lr) for m in modes}
    lines = dyn.streamlines(loss, **kw, limits=(-2.5, 2.5), seeds=8, length=50)
    eig = {m: dyn.verdict(loss, **kw, lr=lr, mode=m).eigenvalues for m in modes or dyn.MODES}
    for fig in (dplots.phase_figure(lines, paths, (-2.5, 2.5)), dplots.eigen_figure(eig)):
        validated = go.Figure(fig.to_dict())  # raises on any invalid property
        assert _spec(validated) == _spec(fig)


def test_phase_figure_shows_the_paths_and_the_view():
    paths = {m: dyn.simulate("minimax", steps=50, mode=m, start=(1.0, 0.5)) for m in dyn.MODES}
    lines = dyn.streamlines("minimax", limits=(-3.0, 3.0), seeds=4, length=10)
    fig = dplots.phase_figure(lines, paths, (-3.0, 3.0), height=500)
    assert list(fig.layout.xaxis.range) == [-3.0, 3.0] == list(fig.layout.yaxis.range)
    assert fig.layout.height == 500
    by_name = {t.name: t for t in fig.data}
    for m, p in paths.items():
        np.testing.assert_array_equal(_decoded(by_name[f"{m} GD"].x), p[:, 0])
        np.testing.assert_array_equal(_decoded(by_name[f"{m} GD"].y), p[:, 1])
    angles = _decoded(fig.data[1].marker.angle)
    assert len(angles) == 16 and np.all((angles >= -180) & (angles < 180))


def test_eigen_figure_ranges_follow_the_eigenvalues():
    eig = {"simultaneous": np.array([1 + 2j, 1 - 2j]), "alternating": np.array([0.5, 0.25])}
    fig = dplots.eigen_figure(eig, height=360)
    reach = 1.15 * abs(1 + 2j)
    assert fig.layout.xaxis.range == pytest.approx((-reach, reach))
    gaps = [abs(1 + 2j) - 1, abs(1 - 2j) - 1, -0.5, -0.75]
    assert fig.layout.yaxis2.range == pytest.approx((-1.2 * max(gaps), 1.2 * max(gaps)))
    (bar,) = [t for t in fig.data if t.type == "bar"]
    assert list(bar.y) == pytest.approx(gaps)
    assert (bar.xaxis, bar.yaxis) == ("x2", "y2")
