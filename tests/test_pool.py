"""The training workers (gancore.live): placement, fair CPU shares, a killed worker, leases."""

from __future__ import annotations

import time

import numpy as np
import pytest

from gancore.live import LiveError, WorkerPool
from gancore.presets.toy import resolve_preset


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(2, save_every=0.5)
    yield p
    p.shutdown()


def _open(pool: WorkerPool, seed: int = 0, preset: str = "ring8"):
    return pool.open("toy", resolve_preset(preset, seed=seed), preset, threads=1)


def _wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_runs_go_to_the_least_loaded_worker_and_are_isolated(pool):
    a, b = _open(pool, 0), _open(pool, 1)
    try:
        a.train(True)
        c = _open(pool, 2)  # a's worker has a running run: c goes to the other one
        assert pool._where[c.sid] != pool._where[a.sid]
        b.step(10)
        assert b.refresh()["step"] == 10 and c.refresh()["step"] == 0
        a.train(False)
        c.close()
        with pytest.raises(LiveError, match="closed"):
            c.refresh()
    finally:
        a.close()
        b.close()


def test_steps_through_a_worker_are_deterministic_per_seed(pool):
    runs = [_open(pool, s) for s in (3, 3, 4)]
    try:
        for r in runs:
            r.step(20)
        w = [r.weights()["generator"] for r in runs]
        assert all(np.array_equal(w[0][k], w[1][k]) for k in w[0])
        assert not all(np.array_equal(w[0][k], w[2][k]) for k in w[0])
    finally:
        for r in runs:
            r.close()


def test_a_worker_shares_its_core_by_cpu_time():
    """Two runs on one worker, one of them 4x dearer per round (batch 2048 against 512):
    each gets about half the CPU, so the cheap one does several times the rounds."""
    with_one = WorkerPool(1)
    try:
        cheap = _open(with_one, 0)
        dear = _open(with_one, 1)
        dear.configure(batch_size=2048)
        cheap.train(True)
        dear.train(True)
        time.sleep(4.0)
        cheap.train(False)
        dear.train(False)
        (stats,) = with_one.stats()
        cpu = stats["session_cpu"]
        share = cpu[cheap.sid] / (cpu[cheap.sid] + cpu[dear.sid])
        assert 0.4 < share < 0.6, cpu
        assert cheap.refresh()["step"] > 1.5 * dear.refresh()["step"]
    finally:
        with_one.shutdown()


def test_a_killed_worker_costs_a_message_and_the_run_carries_on(pool):
    a, b = _open(pool, 0), _open(pool, 1)
    try:
        a.train(True)
        _wait(lambda: a.refresh()["step"] > 200)
        time.sleep(1.2)  # a state save (every 0.5 s here) past step 200
        where = pool._where[a.sid]
        pid = pool.kill_worker(where)
        restarts = pool.restarts
        view = a.view(layers=("fake",))  # the next request finds the worker gone
        assert a.notice and "carries on" in a.notice
        assert view["status"]["step"] > 100 and view["status"]["running"]
        assert pool.restarts == restarts + 1 and pid not in pool.pids()
        step = view["status"]["step"]
        _wait(lambda: a.refresh()["step"] > step + 50)  # still training, in a live worker
        assert b.refresh()["step"] == 0  # a run on the other worker is untouched
    finally:
        a.close()
        b.close()


def test_an_unwatched_run_pauses_and_a_long_idle_one_is_freed():
    short = WorkerPool(1, lease=1.0, idle=3.0)
    try:
        run = _open(short, 0)
        run.train(True)
        time.sleep(2.5)  # nobody asks: the tab was closed
        (stats,) = short.stats()
        assert stats["running"] == 0 and stats["sessions"] == 1
        status = run.refresh()
        assert not status["running"] and "nobody watched" in status["notice"]
        time.sleep(4.0)
        (stats,) = short.stats()
        assert stats["sessions"] == 0  # freed
        status = run.refresh()  # a visitor comes back: a fresh run, and a word about it
        assert status["step"] == 0 and "freed after a long time" in run.notice
    finally:
        short.shutdown()


def test_bad_settings_are_value_errors_and_nothing_changes(pool):
    run = _open(pool, 0)
    try:
        run.step(5)
        with pytest.raises(ValueError, match="lr_g must be a number"):
            run.configure(lr_g=-1.0)
        assert run.refresh()["config"]["lr_g"] > 0 and run.step_count == 5
        with pytest.raises(ValueError, match="unknown"):
            pool.call(run.sid, "no such command")
    finally:
        run.close()


def test_the_rate_shown_is_rounds_per_wall_clock_second(pool):
    run = _open(pool, 5)
    try:
        run.train(True)
        time.sleep(1.0)
        s0, t0 = run.refresh(), time.monotonic()
        time.sleep(2.5)
        s1, t1 = run.refresh(), time.monotonic()
        measured = (s1["step"] - s0["step"]) / (t1 - t0)
        assert measured > 0
        assert 0.5 * measured < s1["rounds_per_second"] < 2 * measured
    finally:
        run.train(False)
        run.close()
