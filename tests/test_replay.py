"""Replay: a run's snapshots, bounded and spread over the run, scrubbed on the live pages."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from gancore.live.replay import Replay, compact

ROOT = Path(__file__).resolve().parents[1]


def test_snapshots_stay_bounded_and_spread_over_the_whole_run():
    r = Replay(capacity=20)
    for step in range(0, 10_000, 7):
        r.offer(step, lambda step=step: {"x": np.full(3, step, dtype=np.float64)})
    steps = r.steps()
    assert len(steps) <= 21 and steps[0] == 0 and steps[-1] >= 10_000 - 7 - r.every
    gaps = np.diff(steps)
    assert gaps.max() <= 4 * np.median(gaps)  # evenly spread, not bunched at the end
    step, snap = r.nearest(5000)
    assert abs(step - 5000) <= r.every and snap["x"][0] == step
    assert r.nbytes() == 24 * len(steps)


def test_a_reset_run_starts_a_new_replay_and_bad_indices_say_so():
    r = Replay(capacity=5)
    for step in (0, 10, 20):
        r.offer(step, lambda: {})
    assert r.offer(5, lambda: {}) and r.steps() == [5]
    with pytest.raises(ValueError, match=r"\[0, 0\]"):
        r.at(3)
    with pytest.raises(ValueError, match="no snapshots"):
        Replay().nearest(3)
    assert compact({"a": np.zeros(2), "b": [np.ones(1, dtype=np.int64)]})["a"].dtype == np.float32


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_2d_lab_scrubs_back_while_the_run_goes_on_and_exports_a_gif():
    at = _ok(AppTest.from_file(str(ROOT / "pages/lab_2d.py"), default_timeout=120).run())
    for _ in range(4):
        _ok(at.button(key="lab2d_step10").click().run())
    assert at.session_state["lab2d_replay_steps_a"] == [0, 10, 20, 30, 40]
    _ok(at.select_slider(key="lab2d_replay_step_a").set_value(10).run())
    (replayed,) = [m.value for m in at.metric if m.label == "replayed step"]
    assert replayed == "10"
    _ok(at.button(key="lab2d_step10").click().run())  # training goes on; the slider holds
    assert at.session_state["lab2d_replay_step_a"] == 10
    assert at.session_state["lab2d_replay_steps_a"][-1] == 50
    lab = at.session_state["lab2d"]
    gif = Image.open(io.BytesIO(lab.handle.replay_gif()))
    assert gif.n_frames == 6
    shown = lab.handle.replay(10)
    assert shown["step"] == 10 and shown["fake"].shape == (600, 2)
    assert shown["fake"].dtype == np.float32 and "field" in shown
    early, late = lab.handle.replay(0)["fake"], lab.handle.replay(50)["fake"]
    assert not np.array_equal(early, late)


def test_1d_lab_replays_its_picture():
    at = _ok(AppTest.from_file(str(ROOT / "pages/lab_1d.py"), default_timeout=120).run())
    _ok(at.button(key="lab1d_step100").click().run())
    _ok(at.select_slider(key="lab1d_replay_step_a").set_value(0).run())
    assert any(c.value.startswith("Step 0 ·") for c in at.caption)
    snap = at.session_state["lab1d"].handle.replay(0)["snap"]
    assert snap["p_data"].shape == snap["x"].shape


def test_image_page_replays_its_grid(mnist_root, monkeypatch):
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "1")
    at = _ok(AppTest.from_file(str(ROOT / "pages/train_images.py"), default_timeout=180).run())
    _ok(at.button(key="imglab_step").click().run())
    _ok(at.button(key="imglab_step").click().run())
    _ok(at.select_slider(key="imglab_replay_step_a").set_value(0).run())
    captions = [c for i in at.get("image") for c in i.captions]
    assert any(c == "G's samples at step 0" for c in captions)
    gif = Image.open(io.BytesIO(at.session_state["imglab"].handle.replay_gif()))
    assert gif.n_frames == 3
