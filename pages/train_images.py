"""Train an image GAN live: DCGAN, conditional GAN, WGAN-GP on MNIST, Fashion-MNIST, CIFAR-10."""

from __future__ import annotations

import os
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from gancore.data.image_data import DatasetUnavailableError
from gancore.data.image_zips import extract_image_zip
from gancore.live import LiveError
from gancore.live.image_run import CLASSIFIED, QUALITY_EVERY_SECONDS, QUALITY_SAMPLES
from gancore.models.dcgan import DCGANConfig
from gancore.presets.image import (
    list_image_presets,
    resolve_image_preset,
    retarget_image_preset,
)
from gancore.viz import base_layout
from gancore.viz import lab as lplots
from pages import _hosted as hosted
from pages import _links as links_ui
from pages._ab import ab_ui, b_train, image_pair
from pages._lab import (
    Lab,
    call,
    hyperparameters_ui,
    live_loop,
    next_tick,
    open_lab,
    pace,
    replace_lab,
)
from pages._lab_export import animation_ui, checkpoint_zip_ui
from pages._lab_live import transport_to_target_ui
from pages._live_chart import live_chart
from pages._outside import outside
from pages._replay import replay_ui
from pages._stacked import stacked_quality_ui
from pages._uploads import extracted_zip_ui

KEY = "imglab"
PACE_SECONDS = 1.0  # image rounds are heavier than toy ones: a refresh a second at most
GRID_PER_CLASS = 8  # conditional grids: one row per label, this many columns


@st.cache_data(show_spinner=False)
def _image_presets() -> dict[str, str]:
    return list_image_presets()


def new_image_lab(preset: dict[str, Any], name: str) -> Lab:
    # Convolutions use every core of a local machine; a hosted demo caps this with
    # GANCORE_TORCH_THREADS (see README, Deploy).
    threads = hosted.limits().threads(os.cpu_count() or 1)
    with st.spinner(f"Loading {preset['data']['name']} (downloaded on first use)…"):
        lab = open_lab("image", preset, name, threads=threads)
    lab.extra["target"] = 2000
    return lab


DATA_CHOICES = {
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10 (170 MB download on first use)",
    "stacked-mnist": "Stacked MNIST (3 digits as R, G, B: 1000 modes)",
    "folder": "your images (a zip upload)",
}
SIZES = (28, 32, 64)
# what this page's pickers hold (the rest of a link is applied on top of them)
LINK_WIDGET_KEYS = ("train.seed", "data.name", "model.image_size")


def setup() -> Lab | None:
    """Preset, data, image size and seed, set from the page's link if it has one; rebuilds
    the run when any of them (or the link) changes."""
    presets = _image_presets()
    names = list(presets)

    def from_link(link: links_ui.Link, resolved: dict[str, Any]) -> None:
        st.session_state[f"{KEY}_preset"] = link.preset
        st.session_state[f"{KEY}_seed"] = resolved["train"]["seed"]
        st.session_state[f"{KEY}_data_{link.preset}"] = resolved["data"]["name"]
        st.session_state[f"{KEY}_size_{link.preset}"] = resolved["model"]["image_size"]

    link = links_ui.opened(KEY, "images", from_link)
    c1, c2 = st.columns([4, 1])
    name = c1.selectbox(
        "preset",
        names,
        key=f"{KEY}_preset",
        format_func=lambda n: f"{n} — {presets[n]}",
        help="Tuned defaults; the 28 px ones train on a CPU, 32/64 px ones want a GPU.",
        **outside(),
    )
    st.session_state.setdefault(f"{KEY}_seed", 0)
    seed = c2.number_input("seed", 0, 2**31 - 1, step=1, key=f"{KEY}_seed", **outside())
    wanted = resolve_image_preset(name, seed=int(seed))
    c1, c2 = st.columns([3, 1])
    data_names = list(DATA_CHOICES)
    st.session_state.setdefault(f"{KEY}_data_{name}", wanted["data"]["name"])
    data = c1.selectbox(
        "data",
        data_names,
        key=f"{KEY}_data_{name}",
        format_func=DATA_CHOICES.get,
        help="Any data with any size: images are resized and converted to the model's channels.",
        **outside(),
    )
    size_default = wanted["model"]["image_size"]
    st.session_state.setdefault(f"{KEY}_size_{name}", size_default)
    sizes = sorted({*SIZES, size_default, st.session_state[f"{KEY}_size_{name}"]})
    size = c2.selectbox("image size (px)", sizes, key=f"{KEY}_size_{name}", **outside())
    fixed = links_ui.fixed_overrides(link, name, data, widget_keys=LINK_WIDGET_KEYS)
    try:
        wanted = _with_data_and_size(wanted, data, int(size))
        if wanted is not None and fixed:
            wanted = resolve_image_preset(wanted, overrides=fixed)
    except (DatasetUnavailableError, ValueError) as err:
        st.error(f"That data cannot be used: {err}.")
        return None
    if wanted is None:
        return None
    lab: Lab | None = st.session_state.get(KEY)
    relink = links_ui.relink(KEY)
    if lab is None or relink or _identity(lab.name, lab.preset) != _identity(name, wanted):
        try:
            check_limits(wanted)
            lab = new_image_lab(wanted, name)
            replace_lab(KEY, lab)
        except (DatasetUnavailableError, ValueError, LiveError) as err:
            reason = str(err).rstrip(".")  # some messages end in a full stop, some do not
            st.error(f"{name} cannot be trained here: {reason}.")
            return None
    return lab


def share(lab: Lab) -> None:
    """The page's setting in its URL, and a link to copy (see pages/_links.py)."""
    current = {**lab.preset, "train": {**lab.preset["train"], **lab.config}}
    upload = lab.preset["data"]["name"] == "folder"
    links_ui.share_ui(
        KEY,
        "images",
        lab.name,
        current,
        b_train=b_train(lab),
        unlinkable="Your uploaded images are not part of a link." if upload else None,
    )


def _identity(name: str, preset: dict[str, Any]) -> tuple:
    # what needs fresh models when it changes (the live-editable training knobs excluded)
    return name, preset["train"]["seed"], repr(preset["data"]), repr(preset["model"])


def _with_data_and_size(preset: dict[str, Any], data: str, size: int) -> dict[str, Any] | None:
    """The preset on other data or at another size (None until an upload is there)."""
    if data == preset["data"]["name"] and size == preset["model"]["image_size"]:
        return preset
    folder = images_zip_ui() if data == "folder" else None
    if data == "folder" and folder is None:
        return None
    return retarget_image_preset(preset, data, size, folder=folder)


def images_zip_ui() -> str | None:
    """Your own images: a zip, safely extracted once per upload; the folder, or None."""
    got = extracted_zip_ui(
        "a zip of PNG / JPEG images (class sub-folders become labels)",
        f"{KEY}_images",
        empty="Upload a zip of images to train on them.",
        prefix="gancore-images-",
        extract=extract_image_zip,
    )
    if got is None:
        return None
    folder, extracted = got
    skipped = f", {len(extracted.skipped)} other files skipped" if extracted.skipped else ""
    st.caption(f"{len(extracted.files):,} images{skipped}.")
    return folder


def check_limits(preset: dict[str, Any]) -> None:
    """Refuse, before allocating, a model this server does not train (hosted caps)."""
    hosted.limits().check_model(DCGANConfig.from_dict(preset["model"]))


def draw(lab: Lab, view: dict[str, Any] | None) -> None:
    if view is None:  # the worker could not answer: the page says why
        return
    lab.timeline = view["timeline"]
    status, spec = lab.status, lab.spec
    step, target = lab.step_count, lab.extra["target"]
    done = min(step / target, 1.0)
    cfg = lab.config
    rate = status.get("rounds_per_second") or 0.0
    ips = rate * cfg["batch_size"] * cfg["d_steps"]
    state = "Training…" if lab.running else ("Paused." if step else "Press Train, or Step.")
    text = f"{state} step {step:,} of {target:,}"
    if rate and lab.running:
        text += f" · {ips:,.0f} real images/s · about {max(target - step, 0) / rate:,.0f} s left"
    st.progress(done, text=text)
    if lab.error:
        st.error(lab.error)
    if "b" in view:  # an A / B comparison: both grids, their numbers and curves
        image_pair(lab, view, key=KEY)
        live_chart(None, key=f"{KEY}_pacer", tick=next_tick(lab), pace=pace(PACE_SECONDS))
        return
    c_grid, c_num = st.columns([2.2, 1])
    with c_grid:
        caption = "fixed noise, one row per label" if view["classes"] else "fixed noise"
        st.image(
            view["grid_png"],
            caption=f"G's samples at step {step:,} ({caption})",
            width="stretch",
        )
    with c_num:
        last = status["last"]
        st.metric("step", f"{step:,}")
        if spec.wasserstein and "wasserstein" in last:
            st.metric(
                "Wasserstein estimate",
                f"{last['wasserstein']:.4f}",
                help="mean critic score on real − on fake: it should fall as G improves",
            )
        elif "d_real" in last:
            st.metric("mean D(x)", f"{last['d_real']:.3f}")
            st.metric("mean D(G(z))", f"{last['d_fake']:.3f}")
        if "d_loss" in last:
            st.metric("D loss / G loss", f"{last['d_loss']:.3f} / {last['g_loss']:.3f}")
        st.metric("images per second", f"{ips:,.0f}" if ips else "—", help="while training")
    if len(lab.timeline) > 1:
        c1, c2 = st.columns(2)
        with c1:
            live_chart(
                lplots.curves_spec(
                    lab.timeline, {"d_loss": "D loss", "g_loss": "G loss"}, title="losses"
                ),
                key=f"{KEY}_losses",
            )
        with c2:
            series = (
                {"wasserstein": "W estimate"}
                if spec.wasserstein
                else {"d_real": "mean D(x)", "d_fake": "mean D(G(z))"}
            )
            series.update(grad_norm_d="‖∇D‖", grad_norm_g="‖∇G‖")
            live_chart(
                lplots.curves_spec(lab.timeline, series, title="D's view and gradients"),
                key=f"{KEY}_d",
            )
    quality_ui(lab, view)
    lab.extra["frames"] = view["frames"]
    # last: acknowledges the whole refresh once the browser has it, which asks for the next
    live_chart(None, key=f"{KEY}_pacer", tick=next_tick(lab), pace=pace(PACE_SECONDS))


def quality_ui(lab: Lab, view: dict[str, Any]) -> None:
    """The periodic quality estimate: when it stops improving, training has done its work."""
    if lab.preset["data"]["name"] not in CLASSIFIED:
        st.caption(
            "No quality estimate for this data: a classifier ships for MNIST and Fashion-MNIST "
            "only (`python -m gancore eval` reports the same numbers for a saved run)."
        )
        return
    if "modes_covered" in view["quality"]:  # Stacked MNIST: modes of 1000, KL to uniform
        return stacked_quality_ui(KEY, view)
    last, history = view["quality"], view["quality_history"]
    prev = history[-2] if len(history) > 1 else None
    c = st.columns([1, 1, 1, 3])
    c[0].metric(
        "Frechet distance",
        f"{last['frechet_distance']:.1f}",
        delta=None
        if prev is None
        else f"{last['frechet_distance'] - prev['frechet_distance']:+.1f}",
        delta_color="inverse",
        help=f"{QUALITY_SAMPLES} samples against 2,000 test images, on the features of the "
        "shipped classifier (not Inception: not comparable to published FIDs); lower is better. Re-estimated every "
        f"{QUALITY_EVERY_SECONDS:.0f} s while training.",
    )
    if "label_accuracy" in last:
        c[1].metric(
            "label accuracy",
            f"{100 * last['label_accuracy']:.1f}%",
            help="share of samples the classifier reads as the label G was asked for",
        )
    c[2].metric(
        "smallest class share",
        f"{100 * last['min_class_share']:.1f}%",
        help="of the samples, the share of the rarest predicted class (10% = all even)",
    )
    if len(history) > 1:
        with c[3]:
            live_chart(
                lplots.curves_spec(
                    history, {"frechet_distance": "Frechet distance"}, title="quality", height=220
                ),
                key=f"{KEY}_quality",
            )


def label_check(lab: Lab) -> None:
    """The seeds' point about conditional D: it should reject a real image with the wrong label."""
    if not lab.preset["model"]["num_classes"]:
        return
    st.subheader("Does D check the label?")
    st.markdown(
        "A conditional discriminator judges an image *and* its label: a real 3 labelled "
        "“7” should be rejected. Rows are real images (one per class), columns the label D is "
        "told; a trained D lights up the diagonal."
    )
    scores = call(lab.handle.label_scores)
    if scores is None:
        return
    names = scores["names"]
    fig = go.Figure(
        go.Heatmap(
            z=scores["values"],
            x=names,
            y=[f"real {names[i]}" for i in scores["rows"]],
            colorscale="Viridis",
            colorbar=dict(title="D(x | y′)"),
        )
    )
    fig.update_xaxes(title_text="label y′ given to D")
    fig.update_yaxes(autorange="reversed")
    st.plotly_chart(base_layout(fig, height=420), width="stretch", key=f"{KEY}_labels")


def export(lab: Lab) -> None:
    c1, c2 = st.columns(2)
    checkpoint_zip_ui(KEY, lab, c1)
    animation_ui(KEY, lab, c2)


st.title("Train an image GAN")
st.markdown(
    "DCGAN (transposed convolutions, BatchNorm and ReLU in G with tanh at the end; strided "
    "convolutions and LeakyReLU in D; no hidden fully connected layers; N(0, 0.02) init), its "
    "class-conditional version, and WGAN-GP with a critic. The grid is drawn from the same "
    "noise every time, so you watch the same samples take shape."
)
lab = setup()
if lab is None:
    st.stop()
transport_to_target_ui(KEY, lab)
hyperparameters_ui(KEY, lab)
ab_ui(KEY, lab)
share(lab)
live_loop(KEY, lab, draw, lambda lab: lab.handle.view())
replay_ui(
    KEY,
    lab,
    lambda snap: st.image(
        snap["grid_png"], caption=f"G's samples at step {snap['step']:,}", width=480
    ),
)
label_check(lab)
export(lab)
