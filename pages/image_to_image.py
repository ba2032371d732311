"""Image to image: train pix2pix live (sketch -> digit, 4x super-resolution, inpainting, your
own pairs) beside an L1-only twin, then draw your own input."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from typing import Any

import numpy as np
import streamlit as st

from gancore.data.image_data import DatasetUnavailableError
from gancore.data.image_zips import UnsafeArchiveError
from gancore.data.paired import extract_pairs_zip
from gancore.io.format import count_parameters
from gancore.io.hub import load_checkpoint
from gancore.io.sources import list_shipped_checkpoints
from gancore.live import LiveError
from gancore.models.pix2pix import Pix2PixConfig
from gancore.presets.pix2pix import resolve_pix2pix_preset
from gancore.tasks import TASKS
from gancore.train.losses import LOSSES
from gancore.train.pix2pix import translate
from gancore.viz import lab as lplots
from gancore.viz import render
from gancore.viz.pix2pix import patch_map_figure
from pages import _hosted as hosted
from pages._lab import (
    LOSS_LABELS,
    Lab,
    call,
    live_loop,
    next_tick,
    open_lab,
    pace,
    replace_lab,
    transport_ui,
)
from pages._lab_export import animation_ui, checkpoint_zip_ui
from pages._live_chart import live_chart

KEY = "p2plab"
PACE_SECONDS = 1.0
TASK_PRESETS = {  # task -> the preset it starts from, and its default data
    "edges": "pix2pix-edges-mnist",
    "superres4": "pix2pix-superres-mnist",
    "inpaint": "pix2pix-inpaint-fashion",
    "paired": "pix2pix-edges-mnist",
}
DATA_CHOICES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
CANVAS = 28  # the drawing canvas: a 28 x 28 lattice of paintable pixels


def setup() -> Lab | None:
    """Task, data and seed; a new run (GAN and L1-only twin) when any of them changes."""
    c1, c2, c3 = st.columns([3, 2, 1])
    task = c1.selectbox(
        "task", list(TASKS), key=f"{KEY}_task", format_func=lambda t: f"{t}: {TASKS[t]}"
    )
    seed = int(c3.number_input("seed", 0, 2**31 - 1, 0, step=1, key=f"{KEY}_seed"))
    name = TASK_PRESETS[task]
    overrides = [f"model.task={task}"]
    if task == "paired":
        c2.caption("your pairs: a zip below")
        folder = pairs_zip_ui()
        if folder is None:
            return None
        overrides = ["data.name=pairs", f"data.path={folder}", *overrides]
    else:
        default = "fashion-mnist" if task == "inpaint" else "mnist"
        data = c2.selectbox(
            "data",
            list(DATA_CHOICES),
            index=list(DATA_CHOICES).index(default),
            key=f"{KEY}_data_{task}",
            format_func=DATA_CHOICES.get,
        )
        overrides.append(f"data.name={data}")
    try:
        wanted = resolve_pix2pix_preset(name, seed=seed, overrides=overrides)
    except ValueError as err:
        st.error(f"That setting cannot be used: {err}.")
        return None
    lab: Lab | None = st.session_state.get(KEY)
    if lab is None or _identity(lab.preset) != _identity(wanted):
        try:
            check_limits(wanted)
            threads = hosted.limits().threads(os.cpu_count() or 1)
            with st.spinner(f"Loading {wanted['data']['name']} and building both U-Nets…"):
                lab = open_lab("pix2pix", wanted, name, threads=threads)
            lab.extra["target"] = 2000
            replace_lab(KEY, lab)
        except (DatasetUnavailableError, ValueError, LiveError) as err:
            st.error(f"{name} cannot be trained here: {str(err).rstrip('.')}.")
            return None
    return lab


def _identity(preset: dict[str, Any]) -> tuple:
    return preset["train"]["seed"], repr(preset["data"]), repr(preset["model"])


def check_limits(preset: dict[str, Any]) -> None:
    limits = hosted.limits()
    model = Pix2PixConfig.from_dict(preset["model"])
    limits.check_image_size(model.image_size)
    limits.check_parameters(2 * count_parameters("pix2pix", model)["total"])


def pairs_zip_ui() -> str | None:
    """A zip holding A/ (inputs) and B/ (targets) of matching names, safely extracted once."""
    limits = hosted.limits()
    upload = st.file_uploader(
        f"a zip with folders A/ (inputs) and B/ (targets), images of matching names (up to "
        f"{limits.max_upload_mb:g} MB)",
        type=["zip"],
        key=f"{KEY}_pairs_zip",
    )
    if upload is None:
        st.info("Upload a zip of pairs to train on them.")
        return None
    data = upload.getvalue()
    limits.check_upload(len(data))
    digest = hashlib.sha256(data).hexdigest()
    held = st.session_state.get(f"{KEY}_pairs")
    if held is None or held[0] != digest:
        if held is not None:
            shutil.rmtree(held[2], ignore_errors=True)
        dest = tempfile.mkdtemp(prefix="gancore-pairs-")
        try:
            root = extract_pairs_zip(data, dest)
        except (UnsafeArchiveError, DatasetUnavailableError, ValueError) as err:
            shutil.rmtree(dest, ignore_errors=True)
            st.error(f"That zip cannot be used: {err}.")
            return None
        held = st.session_state[f"{KEY}_pairs"] = (digest, str(root), dest)
    return held[1]


def knobs_ui(lab: Lab) -> None:
    """The loss and learning rates, applied live to the GAN (its twin keeps the defaults)."""
    cfg = lab.config
    with st.expander("Training hyperparameters — applied live"):
        c = st.columns(3)
        losses = list(LOSSES)
        loss = c[0].selectbox(
            "GAN loss",
            losses,
            index=losses.index(cfg["loss"]),
            format_func=LOSS_LABELS.get,
            key=f"{KEY}_loss",
        )
        lr_g = c[1].number_input(
            "G learning rate", 1e-5, 1e-2, cfg["lr_g"], format="%.5f", key=f"{KEY}_lr_g"
        )
        lr_d = c[2].number_input(
            "D learning rate", 1e-5, 1e-2, cfg["lr_d"], format="%.5f", key=f"{KEY}_lr_d"
        )
        changes = {"loss": loss, "lr_g": float(lr_g), "lr_d": float(lr_d)}
        if any(cfg[k] != v for k, v in changes.items()):
            call(lambda: lab.handle.configure(**changes))
        st.caption(
            f"lambda (L1 weight) = {lab.preset['model']['l1_lambda']:g}, set by the preset; "
            "`python -m gancore train PRESET --set model.l1_lambda=…` trains another."
        )


def _target_ui(lab: Lab) -> None:
    cap = min(1_000_000, hosted.limits().max_steps)
    lab.extra["target"] = int(
        st.number_input(
            "steps to train",
            min(10, cap),
            cap,
            min(lab.extra["target"], cap),
            100,
            key=f"{KEY}_target",
        )
    )


def draw(lab: Lab, view: dict[str, Any] | None) -> None:
    if view is None:
        return
    lab.timeline = view["timeline"]
    step, target = lab.step_count, lab.extra["target"]
    state = "Training…" if lab.running else ("Paused." if step else "Press Train, or Step.")
    st.progress(
        min(step / target, 1.0),
        text=f"{state} pix2pix step {step:,} of {target:,} · L1-only twin step "
        f"{view['baseline_step']:,} (same time share)",
    )
    if lab.error:
        st.error(lab.error)
    c_img, c_num = st.columns([2.4, 1])
    c_img.image(
        view["examples_png"],
        caption="Rows: input · pix2pix (GAN + L1) · L1 only · target (fixed test images)",
        width="stretch",
    )
    last = lab.status["last"]
    with c_num:
        if "l1" in last:
            st.metric("L1 (pix2pix, batch)", f"{last['l1']:.4f}")
        rows = [r for r in lab.timeline if "l1_baseline" in r]
        if rows:
            st.metric("L1 (L1-only twin, batch)", f"{rows[-1]['l1_baseline']:.4f}")
        if "d_real" in last:
            st.metric("mean D(x, y) / D(x, G(x))", f"{last['d_real']:.2f} / {last['d_fake']:.2f}")
    if len(lab.timeline) > 1:
        c1, c2 = st.columns(2)
        with c1:
            live_chart(
                lplots.curves_spec(
                    lab.timeline,
                    {"l1": "L1, pix2pix", "l1_baseline": "L1, L1-only twin"},
                    title="L1 to the target",
                ),
                key=f"{KEY}_l1",
            )
        with c2:
            live_chart(
                lplots.curves_spec(
                    lab.timeline, {"d_loss": "D loss", "g_gan": "G's GAN term"}, title="GAN losses"
                ),
                key=f"{KEY}_gan",
            )
    c1, c2 = st.columns([1, 1.4])
    with c1:
        fig = patch_map_figure(view["patch_output"], view["patch_map"], critic=view["critic"])
        st.plotly_chart(fig, key=f"{KEY}_patch", width="stretch")
    c2.markdown(
        "**D's patch map.** The PatchGAN judges every patch of an (input, output) pair; blue "
        "patches of this output (the first example) look real to D, red ones fake. L1 alone "
        "is content with a blur that is right on average; the GAN term pushes exactly the "
        "patches D can tell apart to look like real strokes."
    )
    lab.extra["frames"] = view["frames"]
    live_chart(None, key=f"{KEY}_pacer", tick=next_tick(lab), pace=pace(PACE_SECONDS))


def export(lab: Lab) -> None:
    c1, c2 = st.columns(2)
    checkpoint_zip_ui(KEY, lab, c1, label="Package the pix2pix model as a checkpoint zip")
    animation_ui(KEY, lab, c2)


def drawing_ui(lab: Lab) -> None:
    """Draw your own input: paint pixels on a 28 x 28 lattice; both models translate it."""
    st.subheader("Draw your own input")
    size = lab.preset["model"]["image_size"]
    if size != CANVAS:
        st.info(f"The canvas is {CANVAS} x {CANVAS}; this model works at {size} px.")
        return
    task = lab.preset["model"]["task"]
    ink = True
    if task == "edges":
        ink = st.radio(
            "your strokes are",
            ["ink (the sketch is their edges)", "the sketch itself (draw outlines)"],
            horizontal=True,
            key=f"{KEY}_ink",
            help="The model was trained on Sobel edges of digits: double outlines. Painted "
            "regions read best as ink; thin outlines drawn as the sketch often come out faint.",
        ).startswith("ink")
    hint = {
        "edges": "Paint a digit (or its outline, as in the input row above).",
        "superres4": "Draw a digit: it is averaged to 7 x 7, and the models bring back 28 x 28.",
        "inpaint": "Draw something: its centre square is hidden, and the models fill it in.",
        "paired": "Draw an input like the ones in A/.",
    }[task]
    painted: set[tuple[int, int]] = st.session_state.setdefault(f"{KEY}_painted", set())
    c1, c2, c3 = st.columns([1, 1, 2])
    if c1.button("Start from the first example", key=f"{KEY}_from_example"):
        first = lab.extra.get("first") or {}
        x = first.get("first_input" if task == "edges" and not ink else "first_target")
        if x is not None:
            painted.clear()
            painted.update(zip(*np.nonzero(x > 0), strict=True))
            st.session_state[f"{KEY}_canvas_n"] = st.session_state.get(f"{KEY}_canvas_n", 0) + 1
    if c2.button("Clear", key=f"{KEY}_clear_drawing"):
        painted.clear()  # and a fresh canvas widget, whose old selection would paint again
        st.session_state[f"{KEY}_canvas_n"] = st.session_state.get(f"{KEY}_canvas_n", 0) + 1
    c3.caption(f"{hint} Box- or lasso-select (or click) dots to paint them.")
    coords = np.linspace(-3.0, 3.0, CANVAS)
    gx, gy = np.meshgrid(coords, coords[::-1])  # row 0 at the top
    drawn = np.array([(coords[c], coords[::-1][r]) for r, c in sorted(painted)]).reshape(-1, 2)
    left, right = st.columns([1.2, 1])
    with left:
        event = st.plotly_chart(
            lplots.canvas_figure(gx.ravel(), gy.ravel(), drawn),
            key=f"{KEY}_canvas_{st.session_state.get(f'{KEY}_canvas_n', 0)}",
            on_select="rerun",
            selection_mode=("box", "lasso", "points"),
            width="stretch",
        )
    for p in event.selection.points if event else []:
        if p.get("curve_number") == 0:
            c = int(np.argmin(np.abs(coords - p["x"])))
            r = int(np.argmin(np.abs(coords[::-1] - p["y"])))
            painted.add((r, c))
    image = -np.ones((CANVAS, CANVAS), np.float32)
    for r, c in painted:
        image[r, c] = 1.0
    reply = call(lambda: lab.handle.view(drawn=image, ink=ink, pictures=False))
    if reply is None:
        return
    shipped = _shipped_for(task, size)
    choice = right.radio(
        "translated by",
        ["the models training above", *shipped],
        key=f"{KEY}_draw_model",
        help="Shipped checkpoints (checkpoints/) of this task, trained for 5 minutes on a CPU.",
    )
    if choice in shipped:
        gan = _shipped(choice).generator
        out = translate(gan, reply["drawn_input"][None])[0]
        row, names = np.stack([reply["drawn_input"], out]), f"model input · {choice}"
    else:
        row = np.stack([reply["drawn_input"], reply["drawn_gan"], reply["drawn_l1"]])
        names = "model input · pix2pix · L1 only"
    n = len(row)
    right.image(
        render.to_png(render.image_grid(row, nrow=n, pad=1).resize((n * 150, 150), 0)),
        caption=f"{len(painted)} pixels painted · {names}",
        width="stretch",
    )
    lab.extra["drawn_gan"] = reply["drawn_gan"]


def _shipped_for(task: str, size: int) -> list[str]:
    out = []
    for name in list_shipped_checkpoints(kinds=("pix2pix",)):
        model = _shipped(name).config["model"]
        if model["task"] == task and model["image_size"] == size:
            out.append(name)
    return out


@st.cache_resource(show_spinner=False)
def _shipped(name: str):
    return load_checkpoint(name)


st.title("Image to image")
st.markdown(
    "pix2pix (Isola et al. 2017): a U-Net generator with skip connections turns an input "
    "image into an output, and a PatchGAN discriminator judges (input, output) pairs patch "
    "by patch. G minimises the GAN loss plus lambda x L1 to the target (lambda = 100). Beside "
    "it the same U-Net learns from L1 alone, in the same time share: compare the rows."
)
lab = setup()
if lab is None:
    st.stop()
transport_ui(
    KEY, lab, step_sizes=(1, 10), extra=_target_ui, stop_at=lambda lab: lab.extra["target"]
)
knobs_ui(lab)
live_loop(KEY, lab, draw, lambda lab: lab.handle.view())
export(lab)
if "first" not in lab.extra:
    desc = call(lab.handle.describe) or {}
    lab.extra["first"] = {k: np.asarray(v) for k, v in desc.items() if k.startswith("first_")}
drawing_ui(lab)
