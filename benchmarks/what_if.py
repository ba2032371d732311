"""What-if (issue 15): what an A / B pair gets against one run alone, what a fork costs, and
how much memory a run's replay holds.

1. Rounds per second of a 2D run (ring8) training alone in a one-worker pool, then of A and
   B after forking it (B unchanged, so both cost the same per round), alternated twice in
   the same process so that the machine's noise hits both alike. Target: each of A and B
   gets >= 45% of the rounds one run gets alone. A pair with a dearer B (WGAN-GP, k = 5) is
   measured too: in lockstep both go at the pace of the dearer one.
2. A fork through the page (AppTest: the click's whole rerun) against a plain rerun of the
   same page (one refresh), and the fork command alone in the worker. Target: a fork costs
   at most one refresh.
3. Replay memory: bytes held by 200 snapshots of a 2D run (every layer drawn), a 1D run and
   an image run (dcgan-mnist grid PNGs).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, write_section

TRAIN_SECONDS = 8.0


def _rate(handle, seconds: float) -> tuple[float, float | None]:
    """Rounds per second of A (and of B, if there is one) over ``seconds`` of training."""
    handle.train(True)
    time.sleep(1.0)  # the first slices: warm-up
    s0 = handle.refresh()
    t0 = time.monotonic()
    time.sleep(seconds)
    s1 = handle.refresh()
    dt = time.monotonic() - t0
    handle.train(False)
    a = (s1["step"] - s0["step"]) / dt
    b = (s1["b"]["step"] - s0["b"]["step"]) / dt if "b" in s1 else None
    return a, b


def _shares() -> dict[str, list[float]]:
    from gancore.live import WorkerPool
    from gancore.presets.toy import resolve_preset

    pool = WorkerPool(1)
    out: dict[str, list[float]] = {k: [] for k in ("alone", "a", "b", "dear_a", "dear_b", "fork")}
    try:
        h = pool.open("toy", resolve_preset("ring8"), "ring8", threads=1)
        for _ in range(2):
            out["alone"].append(_rate(h, TRAIN_SECONDS)[0])
            t0 = time.perf_counter()
            h.fork()
            out["fork"].append(time.perf_counter() - t0)
            a, b = _rate(h, TRAIN_SECONDS)
            out["a"].append(a)
            out["b"].append(b)
            h.unfork("a")
            h.fork(loss="wgan_gp", d_steps=5)
            a, b = _rate(h, TRAIN_SECONDS)
            out["dear_a"].append(a)
            out["dear_b"].append(b)
            h.unfork("a")
        h.close()
    finally:
        pool.shutdown()
    return out


def _page_fork() -> dict[str, list[float]]:
    from streamlit.testing.v1 import AppTest

    page = str(ROOT / "pages/lab_2d.py")
    out: dict[str, list[float]] = {"rerun": [], "fork": [], "rerun_ab": []}
    for _ in range(5):
        at = AppTest.from_file(page, default_timeout=120).run()
        at.button(key="lab2d_step100").click().run()
        t0 = time.perf_counter()
        at.run()
        out["rerun"].append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        at.button(key="lab2d_fork").click().run()
        out["fork"].append(time.perf_counter() - t0)
        assert not at.exception and at.session_state["lab2d"].handle.b is not None
        t0 = time.perf_counter()
        at.run()
        out["rerun_ab"].append(time.perf_counter() - t0)
    return out


def _replay_memory(data_root: str) -> dict[str, tuple[int, int]]:
    """(snapshots kept, bytes held) after filling each kind of run's replay."""
    from gancore.live.image_run import ImageRun
    from gancore.live.toy_run import ToyRun
    from gancore.presets.image import resolve_image_preset
    from gancore.presets.toy import resolve_preset
    from gancore.viz.lab import LAYERS_2D

    out = {}
    ring = ToyRun(resolve_preset("ring8"), "ring8")
    one = ToyRun(resolve_preset("1d-classic"), "1d-classic")
    os.environ["GANCORE_DATA"] = data_root
    img = ImageRun(resolve_image_preset("dcgan-mnist"), "dcgan-mnist")
    for name, run, view, steps in (
        ("2D ring8, every layer", ring, lambda r: r.view(layers=LAYERS_2D), 5),
        ("1D 1d-classic", one, lambda r: r.view(), 5),
        ("image dcgan-mnist (8 x 8 grid PNG)", img, lambda r: r.view(quality=False), 1),
    ):
        for _ in range(260):
            run.advance(steps=steps)
            view(run)
        out[name] = (len(run.replay.items), run.replay.nbytes())
    return out


def _data_root(tmp: Path) -> str:
    if os.environ.get("GANCORE_DATA"):
        return os.environ["GANCORE_DATA"]
    import shutil

    shutil.copytree(ROOT.parent / "shared" / "data" / "MNIST" / "raw", tmp / "MNIST" / "raw")
    return str(tmp)


def main() -> None:
    load0 = os.getloadavg()[0]
    shares = _shares()
    page = _page_fork()
    with tempfile.TemporaryDirectory() as tmp:
        memory = _replay_memory(_data_root(Path(tmp)))
    load1 = os.getloadavg()[0]
    med = statistics.median
    alone = med(shares["alone"])
    rows = [
        ("one run alone", alone, None),
        ("A of an unchanged pair", med(shares["a"]), med(shares["a"]) / alone),
        ("B of an unchanged pair", med(shares["b"]), med(shares["b"]) / alone),
        (
            "A of a pair with B = WGAN-GP, k = 5",
            med(shares["dear_a"]),
            med(shares["dear_a"]) / alone,
        ),
        ("B of that pair", med(shares["dear_b"]), med(shares["dear_b"]) / alone),
    ]
    table = "| run | rounds/s (median of 2) | share of one run alone |\n|---|---|---|\n"
    table += "".join(
        f"| {n} | {r:,.0f} | {'' if s is None else f'{100 * s:.0f}%'} |\n" for n, r, s in rows
    )
    each = [f"{r:,.0f}" for r in shares["alone"]]
    fork_ms = [1000 * f for f in shares["fork"]]
    page_rows = (
        "| what | median (ms) | max (ms) |\n|---|---|---|\n"
        f"| a plain rerun of the 2D lab (one refresh) | {1000 * med(page['rerun']):.0f} | "
        f"{1000 * max(page['rerun']):.0f} |\n"
        f"| the Fork B click's rerun | {1000 * med(page['fork']):.0f} | "
        f"{1000 * max(page['fork']):.0f} |\n"
        f"| a plain rerun of the same page with A and B (one refresh of the pair) | "
        f"{1000 * med(page['rerun_ab']):.0f} | {1000 * max(page['rerun_ab']):.0f} |\n"
        f"| the fork command alone (in the worker, from the server) | "
        f"{med(fork_ms):.1f} | {max(fork_ms):.1f} |\n"
    )
    mem_rows = "| run | snapshots kept | memory | per snapshot |\n|---|---|---|---|\n" + "".join(
        f"| {n} | {k} | {b / 1e6:.1f} MB | {b / k / 1e3:.1f} kB |\n" for n, (k, b) in memory.items()
    )
    body = f"""
Pair against one run alone, a one-worker pool (one core), ring8, {TRAIN_SECONDS:.0f} s each,
alternated twice in one process (one run alone: {", ".join(each)} rounds/s):

{table}
In lockstep the pair trains at the pace of its dearer member: with B a WGAN-GP critic taking
five D steps per round, A waits for B, and both get the same (lower) rounds per second.

A fork, as the user gets it (AppTest of pages/lab_2d.py after 100 steps; 5 tries):

{page_rows}
Replay memory after 260 drawn refreshes (at most 200 snapshots are kept, thinned evenly):

{mem_rows}
The machine was shared with other work: 1-minute load average {load0:.1f} before and
{load1:.1f} after.
"""
    write_section(
        "what_if",
        "What-if: A / B share, fork cost, replay memory",
        body,
        "python -m benchmarks what_if",
    )


if __name__ == "__main__":
    main()
