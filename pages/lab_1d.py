"""1D lab: the picture of Goodfellow et al. (2014, Fig. 1), live, with D beside the exact D*."""

from __future__ import annotations

import streamlit as st

from gancore import theory
from gancore.train.losses import LOSSES
from gancore.viz import lab as lplots
from pages._ab import ab_ui, pictures
from pages._lab import (
    Lab,
    export_ui,
    hyperparameters_ui,
    live_loop,
    live_picture,
    setup_ui,
    share_ui,
    speed_ui,
    status_line,
    transport_ui,
)
from pages._live_chart import live_chart
from pages._replay import replay_ui

KEY = "lab1d"

st.title("1D lab: the classic picture, live")
st.markdown(
    "The figure of Goodfellow et al. (2014): the data density p_data (green), the density of "
    "G's samples p_g (purple, a kernel density estimate), the discriminator D(x) that is "
    "learning (orange), and — what the paper could only sketch — the exact optimal "
    "discriminator D\\*(x) = p_data / (p_data + p_g) for the current G (dashed). The lines "
    "below show how G maps its noise z onto x. As training converges, p_g covers p_data and "
    "D and D\\* flatten to ½."
)

lab = setup_ui(KEY, 1, "1d-classic")
transport_ui(KEY, lab, extra=lambda lab: speed_ui(KEY, lab))
hyperparameters_ui(KEY, lab)
ab_ui(KEY, lab)
share_ui(KEY, lab)


def _draw(lab: Lab, view: dict | None) -> None:
    if view is None:  # the worker could not answer: the page says why
        return
    spec, snap, last = lab.spec, view["snap"], lab.status["last"]

    def numbers() -> None:
        status_line(lab)
        st.metric("step", f"{lab.step_count:,}")
        if spec.probabilities:
            st.metric(
                "V(D, G) as trained",
                f"{snap['v_learned']:.4f}",
                help="the value function with the learned D, integrated exactly against p_data and the KDE of p_g",
            )
        st.metric(
            "V(D*, G)",
            f"{snap['v_star']:.4f}",
            help="with the optimal D for this G; −log 4 at the optimum",
        )
        st.metric("−log 4", f"{-theory.LOG4:.4f}")
        st.metric("JS(p_data ‖ p_g)", f"{snap['js']:.4f}")
        st.metric("W1(p_data, p_g)", f"{snap['w1']:.4f}")
        if spec.wasserstein and "wasserstein" in last:
            st.metric("Wasserstein estimate", f"{last['wasserstein']:.4f}")

    if "b" in view:  # an A / B comparison: both pictures, and their numbers side by side
        status_line(lab)
        b_snap, b_last = view["b"]["snap"], view["b"]["status"]["last"]
        rows = [
            (label, snap.get(k), b_snap.get(k), ".4f")
            for k, label in (
                ("v_learned", "V(D, G) as trained"),
                ("v_star", "V(D*, G)  (−log 4 = −1.3863 at the optimum)"),
                ("js", "JS(p_data ‖ p_g)"),
                ("w1", "W1(p_data, p_g)"),
            )
        ]
        rows.append(
            ("Wasserstein estimate", last.get("wasserstein"), b_last.get("wasserstein"), ".4f")
        )
        b_critic = LOSSES[lab.handle.b["config"]["loss"]].wasserstein
        fig_b = lplots.lab1d_spec(b_snap, critic=b_critic)
        pictures(
            lab, lplots.lab1d_spec(snap, critic=spec.wasserstein), fig_b, rows, key=f"{KEY}_fig"
        )
        return
    live_picture(lab, lplots.lab1d_spec(snap, critic=spec.wasserstein), numbers, key=f"{KEY}_fig")


def _draw_curves(lab: Lab) -> None:
    # Drawn from the start, empty until training: each chart loads plotly.js once, at page
    # load, rather than in the first seconds of a run.
    b = lab.extra.get("b_timeline") if lab.handle.b is not None else None
    c1, c2 = st.columns(2)
    with c1:
        live_chart(
            lambda: lplots.curves_spec(
                lab.timeline,
                {"v_learned": "V(D, G) as trained", "v_star": "V(D*, G)"},
                title="value function",
                hlines={"−log 4": -theory.LOG4},
                b=b,
            ),
            key=f"{KEY}_v",
        )
    with c2:
        live_chart(
            lambda: lplots.curves_spec(
                lab.timeline, {"js": "JS(p_data ‖ p_g)", "w1": "W1"}, title="divergences", b=b
            ),
            key=f"{KEY}_js",
        )


live_loop(KEY, lab, _draw, lambda lab: lab.handle.view(), draw_slow=_draw_curves)


def _replayed(snap: dict) -> None:
    s = snap["snap"]
    st.caption(f"Step {snap['step']:,} · V(D*, G) {s['v_star']:.4f} · JS {s['js']:.4f}")
    live_chart(lplots.lab1d_spec(s, critic=snap["critic"]), key=f"{KEY}_replay_fig")


replay_ui(KEY, lab, _replayed)
export_ui(KEY, lab)
