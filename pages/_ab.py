"""What if? A / B runs on the live pages: fork B from the run, change B, watch both.

B lives beside A in A's worker and trains in lockstep with it (gancore.live.ab), so the two
pictures and the table below them are always at the same step, drawn from the same noise.
The pages call ``ab_ui`` for the controls, ``pictures`` to draw A and B side by side with a
table of their numbers, and pass ``lab.extra["b_timeline"]`` to their curves.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import streamlit as st

from gancore import links
from gancore.viz import lab as lplots
from pages._lab import Lab, call, hyperparameters_ui, next_tick, pace
from pages._live_chart import live_chart
from pages._outside import outside, pressed

Row = tuple[str, float | None, float | None, str]  # label, A, B, format


def ab_ui(key: str, lab: Lab) -> None:
    """Fork B (or start A and B afresh from the seed); while there is a B, what it changes,
    B's own settings, and keep A, keep B or reset B."""
    if lab.handle.b is None:
        slot = st.empty()
        with slot.container():
            c1, c2, c3 = st.columns([1.1, 1.5, 3.4])
            fork = pressed(
                c1,
                "Fork B",
                icon=":material/call_split:",
                key=f"{key}_fork",
                width="stretch",
                help="B is a copy of this run as it is now: weights, optimizer state, noise",
            )
            fresh = pressed(
                c2,
                "A and B from the seed",
                key=f"{key}_fork_fresh",
                width="stretch",
                help="both start again at step 0 from this seed, with these settings",
            )
            c3.caption(
                "**What if?** Fork B, change any of B's settings below, and the two train "
                "side by side from the same noise, step for step."
            )
        if not (fork or fresh) or not _fork(key, lab, fresh=fresh):
            return
        slot.empty()  # B's controls take the buttons' place in this same run
    b = lab.handle.b
    c1, c0, c2, c3, c4 = st.columns([2.6, 1, 1, 1, 1])
    held = c0.toggle(
        "hold B",
        value=bool(b.get("held")),
        key=f"{key}_b_{lab.name}_hold",
        help="B sits out and A trains alone; release it and B catches up to A's step",
        **outside(),
    )
    if held != bool(b.get("held")):
        call(lambda: lab.handle.hold(held))
    said = c1.empty()  # filled once B's settings below are applied
    if pressed(c2, "Keep A", key=f"{key}_keep_a", width="stretch", help="drop B"):
        call(lambda: lab.handle.unfork("a"))
        st.rerun()
    if pressed(c3, "Keep B", key=f"{key}_keep_b", width="stretch", help="B becomes the run"):
        if call(lambda: lab.handle.unfork("b")) is not None:
            _forget(key, lab, "")  # A's settings widgets now show B's values
            lab.preset["train"].update(lab.config)
            lab.timeline = lab.extra.pop("b_timeline", None) or []
        st.rerun()
    if pressed(c4, "Reset B", key=f"{key}_reset_b", width="stretch", help="B from step 0"):
        call(lambda: lab.handle.reset(which="b"))
        st.rerun()
    if b.get("error"):
        st.error(f"B: {b['error']}")
    hyperparameters_ui(key, lab, which="b")
    if lab.handle.b is not None:
        said.markdown(f"**A / B** · B: {links.difference(lab.config, lab.handle.b['config'])}")


def b_train(lab: Lab) -> dict[str, Any] | None:
    """B's training settings while there is a B (for the page's link)."""
    b = lab.handle.b
    return None if b is None else b["config"]


def _fork(key: str, lab: Lab, *, fresh: bool) -> bool:
    """Fork; True when B is there. A fresh pair reruns the page (A is back at step 0)."""
    _forget(key, lab, "b_")  # B's settings widgets start from B's values
    if call(lambda: lab.handle.fork(fresh=fresh)) is None:
        return False
    if fresh:
        lab.timeline.clear()
        st.rerun()
    return True


def _forget(key: str, lab: Lab, prefix: str) -> None:
    stem = f"{key}_{prefix}{lab.name}_"
    for k in [k for k in st.session_state if str(k).startswith(stem)]:
        del st.session_state[k]


def pictures(
    lab: Lab,
    fig_a: dict[str, Any],
    fig_b: dict[str, Any],
    rows: list[Row],
    *,
    key: str,
    config: dict[str, Any] | None = None,
) -> None:
    """A and B side by side, and a table of their numbers at the same step. A's chart paces
    the page's refreshes (it is drawn last, after everything else of this refresh)."""
    step = lab.step_count
    c_a, c_b = st.columns(2)
    table = st.container()
    with table:
        st.table(_table(rows))
    with c_b:
        st.caption(f"**B** · step {lab.handle.b['step']:,}")
        live_chart(fig_b, key=f"{key}_b", config=config)
    with c_a:
        st.caption(f"**A** · step {step:,}")
        live_chart(fig_a, key=key, tick=next_tick(lab), pace=pace(), config=config)


def _table(rows: list[Row]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"": [], "A": [], "B": [], "B − A": []}
    for label, a, b, fmt in rows:
        if a is None and b is None:
            continue
        out[""].append(label)
        out["A"].append(_fmt(a, fmt))
        out["B"].append(_fmt(b, fmt))
        both = a is not None and b is not None and math.isfinite(a) and math.isfinite(b)
        out["B − A"].append(_fmt(b - a, "+" + fmt) if both else "–")
    return out


def _fmt(value: float | None, fmt: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return format(value, fmt)


def toy_rows(view: dict[str, Any]) -> list[Row]:
    """The 2D lab's numbers for A (``view``) and B (``view["b"]``)."""
    a, b = view, view["b"]
    ma, mb = a["metrics"], b["metrics"]
    la, lb = a["status"]["last"], b["status"]["last"]

    def both(get: Callable[[dict, dict], float | None]) -> tuple[float | None, float | None]:
        return get(ma, la), get(mb, lb)

    rows: list[Row] = [
        ("modes captured", *both(lambda m, _: m.get("modes_captured")), ".0f"),
        ("high-quality share (%)", *both(lambda m, _: _pct(m.get("high_quality_share"))), ".1f"),
        ("grid JS(p_data ‖ p_g)", *both(lambda m, _: m.get("grid_js")), ".4f"),
        ("grid KL(p_data ‖ p_g)", *both(lambda m, _: m.get("grid_kl_data_g")), ".3f"),
        ("mean D(real)", *both(lambda _, last: last.get("d_real")), ".3f"),
        ("mean D(fake)", *both(lambda _, last: last.get("d_fake")), ".3f"),
        ("Wasserstein estimate", *both(lambda _, last: last.get("wasserstein")), ".4f"),
    ]
    return rows


def _pct(x: float | None) -> float | None:
    return None if x is None else 100 * x


def image_pair(lab: Lab, view: dict[str, Any], *, key: str) -> None:
    """The image page's A / B: both fixed-noise grids, a table of numbers, overlaid curves."""
    b = view["b"]
    c_a, c_b = st.columns(2)
    for col, who, v in ((c_a, "A", view), (c_b, "B", b)):
        col.image(v["grid_png"], caption=f"{who} at step {v['status']['step']:,}", width="stretch")
    qa, qb = view.get("quality") or {}, b.get("quality") or {}
    la, lb = view["status"]["last"], b["status"]["last"]
    rows: list[Row] = [
        ("Frechet distance (classifier features)", *_pair(qa, qb, "frechet_distance"), ".1f"),
        ("label accuracy (%)", *_pair(qa, qb, "label_accuracy", 100.0), ".1f"),
        ("smallest class share (%)", *_pair(qa, qb, "min_class_share", 100.0), ".1f"),
        ("mean D(x)", *_pair(la, lb, "d_real"), ".3f"),
        ("mean D(G(z))", *_pair(la, lb, "d_fake"), ".3f"),
        ("Wasserstein estimate", *_pair(la, lb, "wasserstein"), ".4f"),
        ("D loss", *_pair(la, lb, "d_loss"), ".3f"),
        ("G loss", *_pair(la, lb, "g_loss"), ".3f"),
    ]
    st.table(_table(rows))
    timeline_b = b.get("timeline") or []
    if len(view["timeline"]) > 1:
        c1, c2 = st.columns(2)
        with c1:
            series = {"d_loss": "D loss", "g_loss": "G loss"}
            live_chart(
                lplots.curves_spec(view["timeline"], series, title="losses", b=timeline_b),
                key=f"{key}_losses",
            )
        with c2:
            series = {"frechet_distance": "Frechet distance"}
            live_chart(
                lplots.curves_spec(
                    view.get("quality_history") or [],
                    series,
                    title="quality",
                    b=b.get("quality_history") or [],
                ),
                key=f"{key}_d",
            )


def _pair(a: dict, b: dict, name: str, scale: float = 1.0) -> tuple[float | None, float | None]:
    def one(d: dict) -> float | None:
        return None if d.get(name) is None else scale * float(d[name])

    return one(a), one(b)
