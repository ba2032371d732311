"""A / B runs in the training workers (gancore.live.ab): fork, lockstep, keep either."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gancore.live import WorkerPool
from gancore.presets.toy import resolve_preset


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(1)
    yield p
    p.shutdown()


@pytest.fixture
def run(pool):
    h = pool.open("toy", resolve_preset("ring8", seed=2), "ring8", threads=1)
    yield h
    h.close()


def _same(wa: dict, wb: dict) -> bool:
    return all(np.array_equal(wa[n][k], wb[n][k]) for n in wa for k in wa[n])


def test_a_fork_without_changes_trains_exactly_as_its_original(run):
    run.step(30)
    status = run.fork()
    assert status["b"]["step"] == 30 and status["step"] == 30
    assert _same(run.weights(), run.weights("b"))
    run.step(40)  # steps drive A and B alike
    assert run.status["step"] == 70 and run.b["step"] == 70
    # same weights, optimizer state and noise stream: still identical 40 rounds later
    assert _same(run.weights(), run.weights("b"))
    # B's curves start with A's history up to the fork
    steps_b = run.describe("b")["timeline_steps"]
    assert steps_b[0] == run.describe()["timeline_steps"][0] and steps_b[-1] == 70


def test_a_changed_b_differs_and_keeps_its_own_settings(run):
    run.step(10)
    run.fork(loss="least_squares", d_steps=2)
    assert run.status["config"]["loss"] == "hinge" and run.b["config"]["loss"] == "least_squares"
    run.configure(which="b", lr_g=5e-4)
    assert run.b["config"]["lr_g"] == 5e-4 and run.status["config"]["lr_g"] == 1e-3
    run.step(20)
    assert not _same(run.weights(), run.weights("b"))
    view = run.view(layers=("fake",))
    assert view["b"]["status"]["step"] == view["status"]["step"] == 30
    assert view["fake"].shape == view["b"]["fake"].shape  # same fixed noise, both drawn
    run.reset(which="b")  # B starts again at step 0 with B's settings
    assert run.b["step"] == 0 and run.b["config"]["loss"] == "least_squares"
    assert run.status["step"] == 30


def test_a_pair_trains_in_lockstep_with_an_equal_share(run):
    run.fork(loss="wgan_gp", d_steps=5)  # B's rounds cost far more than A's
    run.train(True)
    deadline = time.monotonic() + 30.0
    while run.refresh()["step"] < 30 and time.monotonic() < deadline:
        time.sleep(0.5)
    gaps = []
    for _ in range(5):  # read between the worker's turns: the two are never far apart
        s = run.refresh()
        gaps.append(abs(s["step"] - s["b"]["step"]))
        time.sleep(0.2)
    run.train(False)
    assert run.status["step"] >= 30 and max(gaps) <= 5, gaps
    assert not run.b["running"] and not run.running


def test_fresh_pair_starts_both_from_the_seed_and_either_can_be_kept(run):
    run.step(25)
    run.fork(fresh=True, loss="least_squares")
    assert run.status["step"] == 0 and run.b["step"] == 0
    run.step(5)
    kept = run.unfork("b")
    assert "b" not in kept and kept["config"]["loss"] == "least_squares" and kept["step"] == 5
    with pytest.raises(ValueError, match="no B run"):
        run.weights("b")


def test_a_bad_change_makes_no_b(run):
    with pytest.raises(ValueError, match="lr_g"):
        run.fork(lr_g=-1.0)
    assert run.refresh().get("b") is None


def test_a_held_b_sits_out_and_catches_up_when_released(run):
    run.fork(loss="least_squares")
    assert run.hold(True)["b"]["held"]
    run.step(15)
    assert run.status["step"] == 15 and run.b["step"] == 0
    run.hold(False)
    run.train(True)
    deadline = time.monotonic() + 30.0
    while run.refresh()["b"]["step"] < run.status["step"] and time.monotonic() < deadline:
        time.sleep(0.2)
    run.train(False)
    assert run.b["step"] >= 15 and not run.b["held"]
