"""Training-dynamics page: how long it takes to re-render after a slider move (issue 14).

AppTest times the page's script run after one widget change, which is what a user waits for
before the browser redraws, beside a reference in the same process: a bare Streamlit script
with one slider and one metric, the floor of any rerun. Every move sets a value not seen
before, so the page's cache never answers. The pure work of one setting is timed apart, outside
Streamlit: both gradient-descent paths, the verdicts, the streamlines, both figures and their
JSON (what st.plotly_chart sends).
"""

from __future__ import annotations

import os
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import plotly.io as pio
from streamlit.testing.v1 import AppTest

from benchmarks.common import ROOT, summary, write_section
from gancore import dynamics as dyn
from gancore.viz import dynamics as dplots

MOVES = 20
PAGE = "pages/theory_dynamics.py"
TARGET = 0.3
REFERENCE = textwrap.dedent(
    """
    import streamlit as st
    v = st.slider("v", 0.0, 10.0, 1.0, 0.01, key="v")
    st.metric("v squared", f"{v * v:.6f}")
    """
)
LRS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0]  # not 0.1


def _moves(at: AppTest, widget: str, key: str, values: list) -> list[float]:
    times = []
    for v in values:
        getattr(at, widget)(key=key).set_value(v)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, [e.value for e in at.exception]
    return times


def _page(setup: list[tuple[str, str, object]]) -> AppTest:
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=120).run()
    for widget, key, value in setup:  # one run each: a widget may be enabled by the one before
        getattr(at, widget)(key=key).set_value(value)
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _work(loss: str, steps: int, start: tuple, **kw) -> float:
    """One setting's computation and figures, as the page does them, without Streamlit."""
    clip = kw.pop("clip", None)
    t0 = time.perf_counter()
    paths = {
        m: dyn.simulate(loss, **kw, clip=clip, steps=steps, mode=m, start=start, lr=0.1)
        for m in dyn.MODES
    }
    verdicts = {m: dyn.verdict(loss, **kw, lr=0.1, mode=m) for m in dyn.MODES}
    kinds = [dyn.trajectory_kind(p) for p in paths.values()]
    reach = float(
        np.clip(
            1.1 * max(np.abs(p[np.all(np.isfinite(p), axis=1)]).max() for p in paths.values()), 2, 6
        )
    )
    lines = dyn.streamlines(loss, **kw, limits=(-reach, reach), seeds=8, length=50)
    figs = [
        dplots.phase_figure(lines, paths, (-reach, reach)),
        dplots.eigen_figure({m: v.eigenvalues for m, v in verdicts.items()}, height=360),
    ]
    for f in figs:
        pio.to_json(f, validate=False)
    assert len(kinds) == 2
    return time.perf_counter() - t0


def main() -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / "reference.py"
        ref.write_text(REFERENCE)
        at = AppTest.from_file(str(ref)).run()
        ref_times = _moves(at, "slider", "v", [1.0 + 0.1 * i for i in range(MOVES)])
    thetas = [round(-1.0 + 0.1 * i, 2) for i in range(MOVES)]
    twenty = [round(0.1 + 0.1 * i, 2) for i in range(MOVES)]  # 0.1 .. 2.0, all distinct
    sigmas = [round(0.15 + 0.1 * i, 2) for i in range(MOVES)]
    rows = [("reference: bare slider + metric", ref_times)]
    rows.append(
        (
            "default (minimax, 1,000 steps, both modes): move θ₀",
            _moves(_page([]), "slider", "dyn_theta0", thetas),
        )
    )
    rows.append(
        (
            "R1: move γ",
            _moves(_page([("selectbox", "dyn_reg", "r1")]), "slider", "dyn_gamma", twenty),
        )
    )
    rows.append(
        (
            "WGAN with clipping: move c",
            _moves(_page([("selectbox", "dyn_loss", "wgan")]), "slider", "dyn_clip", twenty),
        )
    )
    rows.append(
        (
            f"move the learning rate ({len(LRS)} moves)",
            _moves(_page([]), "select_slider", "dyn_lr", LRS),
        )
    )
    noisy = [("selectbox", "dyn_reg", "instance_noise")]
    rows.append(
        (
            "instance noise (quadrature), 1,000 steps: move σ",
            _moves(_page(noisy), "slider", "dyn_noise", sigmas),
        )
    )
    rows.append(
        (
            "instance noise, 2,000 steps (the heaviest setting): move σ",
            _moves(_page([*noisy, ("slider", "dyn_steps", 2000)]), "slider", "dyn_noise", sigmas),
        )
    )
    work = [
        ("default: minimax, 1,000 steps", lambda t: _work("minimax", 1000, (t, 1.0))),
        (
            "consensus, 1,000 steps",
            lambda t: _work("minimax", 1000, (t, 1.0), reg="consensus", gamma=1.0),
        ),
        (
            "instance noise, 2,000 steps",
            lambda t: _work("minimax", 2000, (t, 1.0), reg="instance_noise", noise=1.0),
        ),
    ]
    work_rows = [(name, [fn(t) for t in thetas]) for name, fn in work]

    load_after = os.getloadavg()[0]
    ref_median = summary(ref_times)["median"]
    lines = [
        f"Rerun time of the training-dynamics page after one widget change, {MOVES} changes each "
        f"(seconds). Target (issue 14): at most {TARGET} s after a slider move.",
        "",
        f"The machine is shared: its 1-minute load average was {load_before:.1f} before and "
        f"{load_after:.1f} after (2 cores), so compare the ratio to the reference too.",
        "",
        "| what changes | median | mean | max | median / reference | within target |",
        "|---|---|---|---|---|---|",
    ]
    for name, times in rows:
        s = summary(times)
        ok = (
            ""
            if name.startswith("reference")
            else ("yes" if s["max"] <= TARGET else "median only" if s["median"] <= TARGET else "no")
        )
        lines.append(
            f"| {name} | {s['median']:.3f} | {s['mean']:.3f} | {s['max']:.3f} | "
            f"{s['median'] / ref_median:.1f}× | {ok} |"
        )
    lines += [
        "",
        f"The same work outside Streamlit ({MOVES} starts each): both paths, verdicts, "
        "streamlines, both figures and their JSON (seconds).",
        "",
        "| setting | median | max |",
        "|---|---|---|",
    ]
    for name, times in work_rows:
        s = summary(times)
        lines.append(f"| {name} | {s['median']:.4f} | {s['max']:.4f} |")
    write_section(
        "dynamics_render",
        "Training-dynamics page: re-render after a slider move (AppTest)",
        "\n".join(lines),
        "python -m benchmarks dynamics_render",
    )


if __name__ == "__main__":
    main()
