"""2D lab: train a GAN on toy data live; D's heatmap, G's manifold and gradients, mode metrics."""

from __future__ import annotations

import streamlit as st

from gancore.train.losses import LOSSES
from gancore.viz import lab as lplots
from pages._ab import ab_ui, pictures, toy_rows
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
from pages._outside import outside
from pages._replay import replay_ui

KEY = "lab2d"

st.title("2D lab: watch a GAN learn")
st.markdown(
    "Real samples are green, G's samples purple. The background is D's belief that a point is "
    "real (green = real, purple = fake; for a WGAN critic, its score). Red strokes show where "
    "G's loss pushes each fake sample, and the purple mesh is a grid of noise vectors z pushed "
    "through G: the manifold G has learned."
)

lab = setup_ui(KEY, 2, "ring8")
transport_ui(KEY, lab, extra=lambda lab: speed_ui(KEY, lab))
st.session_state.setdefault(f"{KEY}_layers", list(lplots.LAYERS_2D))
layers = st.pills(
    "layers", lplots.LAYERS_2D, selection_mode="multi", key=f"{KEY}_layers", **outside()
)
hyperparameters_ui(KEY, lab)
ab_ui(KEY, lab)
shown = ",".join(layers or ())
share_ui(KEY, lab, view={} if shown == ",".join(lplots.LAYERS_2D) else {"view.layers": shown})


def _figure(view: dict) -> dict:
    arrows = None
    if "arrows" in view:
        start, grads = view["arrows"]
        arrows = (start, lplots.arrows_for_display(grads, view["bounds"]))
    return lplots.lab2d_spec(
        bounds=view["bounds"],
        field=view.get("field"),
        real=view.get("real"),
        fake=view.get("fake"),
        arrows=arrows,
        mesh=view.get("mesh"),
        critic=view["critic"],
    )


def _draw(lab: Lab, view: dict | None) -> None:
    if view is None:  # the worker could not answer: the page says why
        return
    config = {
        "toImageButtonOptions": {"format": "png", "filename": f"gancore-{lab.name}", "scale": 2}
    }
    if "b" in view:  # an A / B comparison: both pictures, and their numbers side by side
        status_line(lab)
        pictures(lab, _figure(view), _figure(view["b"]), toy_rows(view), key=f"{KEY}_fig")
        return
    m, last = view["metrics"], lab.status["last"]
    live_picture(
        lab, _figure(view), lambda: _numbers(lab, m, last), key=f"{KEY}_fig", config=config
    )


def _numbers(lab: Lab, m: dict, last: dict) -> None:
    spec = lab.spec
    status_line(lab)
    st.metric("step", f"{lab.step_count:,}")
    if "modes_captured" in m:
        st.metric("modes captured", f"{m['modes_captured']} / {m['num_modes']}")
        st.metric(
            "high-quality samples",
            f"{100 * m['high_quality_share']:.1f}%",
            help="within 3 standard deviations of their nearest mode",
        )
        st.metric(
            "reverse KL over modes",
            f"{m['reverse_kl']:.3f}",
            help="0 = every mode equally covered",
        )
    st.metric(
        "grid JS(p_data ‖ p_g)",
        f"{m['grid_js']:.4f}",
        help="on a 40×40 histogram counting every sample",
    )
    st.metric("grid KL(p_data ‖ p_g)", f"{m['grid_kl_data_g']:.3f}")
    if spec.wasserstein and "wasserstein" in last:
        st.metric(
            "Wasserstein estimate",
            f"{last['wasserstein']:.4f}",
            help="mean critic score, real − fake",
        )
    elif "d_real" in last:
        st.metric("mean D(real) / D(fake)", f"{last['d_real']:.3f} / {last['d_fake']:.3f}")


def _draw_curves(lab: Lab) -> None:
    spec = lab.spec
    last = lab.timeline[-1] if lab.timeline else {}
    b = lab.extra.get("b_timeline") if lab.handle.b is not None else None
    # Drawn from the start, empty until training: each chart loads plotly.js once, at page
    # load, rather than in the first seconds of a run.
    c1, c2, c3 = st.columns(3)
    with c1:
        live_chart(
            lambda: lplots.curves_spec(
                lab.timeline, {"d_loss": "D loss", "g_loss": "G loss"}, title="losses", b=b
            ),
            key=f"{KEY}_losses",
        )
    with c2:
        b_critic = LOSSES[lab.handle.b["config"]["loss"]].wasserstein if b else spec.wasserstein
        if spec.wasserstein and b_critic:
            series, title = {"wasserstein": "W estimate (real − fake)"}, "Wasserstein estimate"
        elif spec.wasserstein or b_critic:  # one critic, one D: both readings
            series = {"wasserstein": "W estimate", "d_real": "D(real)", "d_fake": "D(fake)"}
            title = "what D believes / critic"
        else:
            series, title = (
                {"d_real": "D(real)", "d_fake": "D(fake)"},  # short: one legend row
                "what D believes",
            )
        series.update(grad_norm_d="‖∇D‖", grad_norm_g="‖∇G‖")
        live_chart(
            lambda: lplots.curves_spec(lab.timeline, series, title=title, b=b), key=f"{KEY}_d"
        )
    with c3:
        series = {"grid_js": "grid JS"}
        if "high_quality_share" in last:
            series.update(high_quality_share="high-quality share")
        live_chart(
            lambda: lplots.curves_spec(lab.timeline, series, title="quality", b=b), key=f"{KEY}_q"
        )


live_loop(
    KEY,
    lab,
    _draw,
    lambda lab: lab.handle.view(layers=tuple(layers or ())),
    draw_slow=_draw_curves,
)


def _replayed(snap: dict) -> None:
    m = snap["metrics"]
    c_fig, c_num = st.columns([3, 1.1])  # the live picture's shape
    with c_num:
        st.metric("replayed step", f"{snap['step']:,}")
        if "num_modes" in m:
            st.metric("modes then", f"{m['modes_captured']:.0f} / {m['num_modes']:.0f}")
            st.metric("high-quality then", f"{100 * m['high_quality_share']:.1f}%")
        st.metric("grid JS then", f"{m['grid_js']:.4f}")
    with c_fig:
        live_chart(_figure(snap), key=f"{KEY}_replay_fig")


replay_ui(KEY, lab, _replayed)
export_ui(KEY, lab)
