"""The Generate page's "Invert your image" view: the latent a generator draws a picture from.

gancore's own image models are scored with their discriminator (AnoGAN's anomaly score);
community GANs (generator only) show the pixel error and how far it fell, within the search
budget gancore.community.inversion sets by image size (none above 256 px).
"""

from __future__ import annotations

import hashlib
import io

import plotly.graph_objects as go
import streamlit as st
from PIL import Image

from gancore.community import inversion as budgets
from gancore.explore.inversion import invert, prepare_image
from gancore.io.checkpoint import LoadedGAN
from gancore.viz import base_layout, render
from pages import _community as community
from pages import _hosted as hosted

KEY = "gen"
SOURCES = ("upload a picture", "a sample of this model")
OURS = budgets.BUDGETS[64]  # gancore's own models: 28-64 px, the same sliders as always


def invert_tab(gan: LoadedGAN) -> None:
    m = gan.config["model"]
    theirs = community.is_community(gan)
    plan = budgets.budget(m["image_size"]) if theirs else OURS
    if plan is None:
        st.info(budgets.refusal(gan.family, m["image_size"], gan.small_output() is not gan))
        return
    if m["channels"] not in (1, 3):
        st.info(
            f"This {gan.family} draws {m['channels']}-channel (RGBA) images; a picture is "
            "compared in RGB or greyscale, so inversion is offered for models without alpha."
        )
        return
    if theirs:
        st.markdown(
            "Upload a picture, or pick one of the model's own samples: gancore searches the "
            "latent space for the image closest to it (noise layers fixed by the seed, so the "
            "search repeats exactly). A community repo ships no discriminator, so there is no "
            f"anomaly score: the **pixel error** says how close it got. At {m['image_size']} px "
            "every step is a forward and backward pass, hence the step limits."
        )
    else:
        st.markdown(
            "Upload a picture (a digit drawn on paper works): gancore searches the latent space "
            "(and every label) for the sample closest to it. The **anomaly score** is AnoGAN's: "
            "pixel error plus a tenth of the distance in D's features. Things the model never "
            "saw score high."
        )
    source = st.radio("target", SOURCES, horizontal=True, key=f"{KEY}_inv_src")
    c = st.columns(3)
    lo, hi, default, stride = plan.steps
    suffix = "" if plan == OURS else str(hi)  # slider ranges differ: one widget per budget
    steps = int(
        c[1].slider("optimisation steps", lo, hi, default, stride, key=f"{KEY}_inv_steps{suffix}")
    )
    restarts = int(
        c[2].slider(
            "random starts", 1, plan.max_restarts, plan.restarts, key=f"{KEY}_inv_restarts{suffix}"
        )
        if plan.max_restarts > 1
        else 1
    )
    if source == SOURCES[1]:
        seed = int(c[0].number_input("sample seed", 0, 2**31 - 1, 1, key=f"{KEY}_inv_seed"))
        target, ident, noise_seed = gan.sample(1, seed=seed)[0], ("sample", seed), seed
    else:
        picked = _uploaded(c[0], m, flip_default=not theirs or m["channels"] == 1)
        if picked is None:
            return
        target, ident, noise_seed = *picked, 0
    ident = (gan.source, m["image_size"], *ident)
    if st.button("Find it in the latent space", type="primary", key=f"{KEY}_inv_go"):
        bar = st.progress(0.0, text="Optimising z…")

        def tick(step: int, err: float) -> None:
            bar.progress((step + 1) / steps, text=f"step {step + 1} of {steps}: error {err:.4f}")

        result = invert(
            gan.generator,
            gan.discriminator,
            target,
            steps=steps,
            restarts=restarts,
            noise_seed=noise_seed,
            progress=tick,
        )
        bar.empty()
        st.session_state[f"{KEY}_inv_result"] = (ident, result)
    saved = st.session_state.get(f"{KEY}_inv_result")
    if not saved or saved[0] != ident:
        st.image(_shown(target, 140), caption="what the generator will try to draw")
        return
    _result(gan, target, saved[1])


def _uploaded(column, m: dict, *, flip_default: bool):
    """(target, identity) of the uploaded picture, or None (nothing yet, or a message shown);
    ``flip_default``: colours on "auto" (MNIST-likes and gancore's models), else "no"."""
    upload = st.file_uploader(
        f"your image (PNG or JPEG, up to {hosted.limits().max_upload_mb:g} MB)",
        type=["png", "jpg", "jpeg", "bmp", "webp"],
        key=f"{KEY}_inv_file",
    )
    invert_mode = column.radio(
        "colours",
        ["auto", "yes", "no"],
        index=0 if flip_default else 2,
        horizontal=True,
        key=f"{KEY}_inv_mode",
        help="invert dark-on-light pictures to the dataset's light-on-dark look (auto decides by brightness)",
    )
    if upload is None:
        return None
    data = upload.getvalue()
    try:
        hosted.limits().check_upload(len(data))
    except ValueError as err:
        st.error(f"That file cannot be used: {err}.")
        return None
    try:
        picture = Image.open(io.BytesIO(data))  # lazy: the size is known before any decoding
        target = prepare_image(
            picture, size=m["image_size"], channels=m["channels"], invert=invert_mode
        )
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        st.error(f"That file cannot be read as an image: {err}")
        return None
    return target, ("upload", hashlib.sha256(data).hexdigest(), invert_mode)


def _shown(x, side: int) -> Image.Image:
    small = x.shape[-1] <= 64  # pixel art stays sharp; photographs are resampled smoothly
    method = Image.Resampling.NEAREST if small else Image.Resampling.LANCZOS
    return render.image_grid(x[None]).resize((side, side), method)


def _result(gan: LoadedGAN, target, result) -> None:
    c1, c2, c3 = st.columns([1, 1, 2])
    c1.image(_shown(target, 160), caption="your image")
    c2.image(_shown(result.reconstruction, 160), caption="the closest G can draw")
    start = result.history[0]
    with c3:
        if result.label is not None:
            st.metric("nearest label", gan.class_names[result.label])
        if result.anomaly_score is not None:
            st.metric("anomaly score", f"{result.anomaly_score:.4f}")
            st.caption(
                f"pixel error {result.pixel_error:.4f} · D-feature error {result.feature_error:.4f}"
            )
        else:
            st.metric(
                "pixel error",
                f"{result.pixel_error:.4f}",
                delta=f"{result.pixel_error - start:.4f} from the start",
                delta_color="inverse",
            )
        st.caption(
            f"best error {start:.4f} at the start, {result.pixel_error:.4f} after "
            f"{len(result.history)} steps ({result.seconds:.1f} s)"
        )
    if result.label_errors:
        fig = go.Figure(
            go.Bar(
                x=[gan.class_names[k] for k in result.label_errors],
                y=list(result.label_errors.values()),
                marker_color="#7b4bb3",
            )
        )
        fig.update_yaxes(title_text="best pixel error")
        st.plotly_chart(
            base_layout(fig, height=260, title="how well each label can draw it"),
            width="stretch",
            key=f"{KEY}_inv_bars",
        )
