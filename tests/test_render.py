"""gancore.viz.render: the one GIF writer and what builds on it."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageSequence

from gancore.viz import render


def test_an_interpolation_gif_plays_there_and_back_at_its_aspect():
    frames = np.linspace(-1, 1, 5 * 28 * 28, dtype=np.float32).reshape(5, 1, 28, 28)
    gif = Image.open(io.BytesIO(render.interpolation_gif(frames)))
    shown = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(gif)]
    assert len(shown) == 8 and shown[0].shape == (112, 112)  # 0 1 2 3 4 3 2 1
    assert np.array_equal(shown[3], shown[5]) and not np.array_equal(shown[0], shown[4])
    wide = np.zeros((3, 3, 32, 64), np.float32)
    assert Image.open(io.BytesIO(render.interpolation_gif(wide))).size == (112, 56)


def test_a_gif_needs_a_frame():
    with pytest.raises(ValueError, match="at least one frame"):
        render.to_gif([])


def test_toy_plot_bounds_are_square_and_hold_the_points():
    from gancore.viz.lab import bounds_around

    x = np.random.default_rng(0).normal([3.0, -1.0], [1.0, 0.2], size=(1000, 2))
    (x0, x1), (y0, y1) = bounds_around(x)
    assert x1 - x0 == pytest.approx(y1 - y0)  # square: one scale on both axes
    inside = (x[:, 0] > x0) & (x[:, 0] < x1) & (x[:, 1] > y0) & (x[:, 1] < y1)
    assert inside.mean() >= 0.99 and x0 < 3.0 < x1 and y0 < -1.0 < y1
