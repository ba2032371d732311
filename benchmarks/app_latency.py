"""App latency from AppTest: how long a rerun takes after a widget change.

Side by side with a reference in the same run: a bare Streamlit script holding one slider and
one metric, which is the floor any Streamlit page pays for a rerun. AppTest times the script
run on the server (what the user waits for before the browser redraws).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

from benchmarks.common import ROOT, summary, write_section

REPEATS = 25
REFERENCE = textwrap.dedent(
    """
    import streamlit as st
    v = st.slider("v", 0.0, 10.0, 1.0, 0.01, key="v")
    st.metric("v squared", f"{v * v:.6f}")
    """
)


def _timed_changes(at: AppTest, key: str, values: list) -> list[float]:
    times = []
    for v in values:
        at.slider(key=key).set_value(v)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception, [e.value for e in at.exception]
    return times


def _page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _cold_start() -> float:
    """A fresh interpreter: import streamlit and gancore, render the app's first page once."""
    code = textwrap.dedent(
        f"""
        import time
        t0 = time.perf_counter()
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(ROOT / "streamlit_app.py")!r}, default_timeout=120).run()
        assert not at.exception
        print(time.perf_counter() - t0)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ref = Path(tmp) / "reference.py"
        ref.write_text(REFERENCE)
        at = AppTest.from_file(str(ref)).run()
        # Distinct values each time, so no cache can answer for the page under test either.
        ref_times = _timed_changes(at, "v", [1.0 + 0.1 * i for i in range(REPEATS)])
    rows.append(("reference: bare slider + metric", ref_times))

    at = _page("pages/theory_value.py")
    rows.append(
        (
            "theory page: move p_g's mean (new densities, all sections recomputed)",
            _timed_changes(at, "pg_m0", [round(-2.0 + 0.1 * i, 1) for i in range(REPEATS)]),
        )
    )
    rows.append(
        (
            "theory page: move x₀ (cached analysis, figures redrawn)",
            _timed_changes(at, "x0", [round(-2.0 + 0.1 * i, 2) for i in range(REPEATS)]),
        )
    )
    rows.append(
        (
            "theory page: move the morph t (cached path)",
            _timed_changes(at, "morph_t", [round(0.025 * (i % 40), 3) for i in range(REPEATS)]),
        )
    )
    at = _page("pages/theory_losses.py")
    rows.append(
        (
            "losses page: move θ",
            _timed_changes(at, "theta", [round(-3.0 + 0.2 * i, 2) for i in range(REPEATS)]),
        )
    )
    rows.append(
        (
            "losses page: change the width w (JS/W1 curves recomputed)",
            _timed_changes(at, "width", [round(0.02 + 0.03 * i, 2) for i in range(REPEATS)]),
        )
    )
    cold = [_cold_start() for _ in range(3)]

    ref_median = summary(ref_times)["median"]
    lines = [
        f"Rerun time after one widget change, {REPEATS} changes each (seconds). "
        "Target (issue 2): a theory slider change re-renders in at most 0.3 s.",
        "",
        "| what changes | median | mean | max | median / reference |",
        "|---|---|---|---|---|",
    ]
    for name, times in rows:
        s = summary(times)
        lines.append(
            f"| {name} | {s['median']:.3f} | {s['mean']:.3f} | {s['max']:.3f} | "
            f"{s['median'] / ref_median:.1f}× |"
        )
    c = summary(cold)
    lines += [
        "",
        f"Cold start (fresh interpreter: imports + first render of the default page, 3 runs): "
        f"median {c['median']:.2f} s, max {c['max']:.2f} s.",
    ]
    write_section(
        "app_latency",
        "App latency (AppTest)",
        "\n".join(lines),
        "python -m benchmarks app_latency",
    )


if __name__ == "__main__":
    main()
