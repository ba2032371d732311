"""Image to image: train pix2pix live (sketch -> digit, 4x super-resolution, inpainting, your
own pairs) beside an L1-only twin, then draw your own input."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import streamlit as st

from gancore.data.image_data import DatasetUnavailableError
from gancore.data.image_zips import UnsafeArchiveError
from gancore.data.paired import extract_pairs_zip
from gancore.live import LiveError
from gancore.models.pix2pix import Pix2PixConfig
from gancore.presets.pix2pix import resolve_pix2pix_preset
from gancore.tasks import TASKS
from gancore.train.losses import LOSSES
from gancore.viz import lab as lplots
from gancore.viz.pix2pix import patch_map_figure
from pages import _hosted as hosted
from pages import _links as links_ui
from pages._lab import (
    LOSS_LABELS,
    Lab,
    call,
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
from pages._p2p_drawing import drawing_ui
from pages._uploads import extracted_zip_ui

KEY = "p2plab"
PAGE = "image-to-image"  # its url path (streamlit_app.py), as links name it
# what this page's pickers hold (the rest of a link is applied on top of them)
LINK_WIDGET_KEYS = ("train.seed", "data.name", "model.task")
PACE_SECONDS = 1.0
TASK_PRESETS = {  # task -> the preset it starts from, and its default data
    "edges": "pix2pix-edges-mnist",
    "superres4": "pix2pix-superres-mnist",
    "inpaint": "pix2pix-inpaint-fashion",
    "paired": "pix2pix-edges-mnist",
}
DATA_CHOICES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}
L1_LAMBDA_MAX = 10_000.0  # Pix2PixConfig's range for model.l1_lambda
LAMBDA_HELP = (
    "G minimises the GAN loss + lambda x L1 to the target: a larger lambda keeps outputs "
    "closer to the target but blurrier, a smaller one leaves more to D (sharper, freer; 0 is "
    "the GAN loss alone)."
)


def setup() -> Lab | None:
    """Task, data and seed, set from the page's link if it has one; a new run (GAN and L1-only
    twin) when any of them (or the link) changes."""

    def from_link(link: links_ui.Link, resolved: dict[str, Any]) -> None:
        task, train = resolved["model"]["task"], resolved["train"]
        values = {
            "task": task,
            "seed": train["seed"],
            f"data_{task}": resolved["data"]["name"],
            "loss": train["loss"],
            "lr_g": train["lr_g"],
            "lr_d": train["lr_d"],
            "l1_lambda": float(resolved["model"]["l1_lambda"]),
        }
        st.session_state.update({f"{KEY}_{k}": v for k, v in values.items()})

    link = links_ui.opened(KEY, PAGE, from_link)
    c1, c2, c3 = st.columns([3, 2, 1])
    task = c1.selectbox(
        "task",
        list(TASKS),
        key=f"{KEY}_task",
        format_func=lambda t: f"{t}: {TASKS[t]}",
        **outside(),
    )
    st.session_state.setdefault(f"{KEY}_seed", 0)
    seed = int(c3.number_input("seed", 0, 2**31 - 1, step=1, key=f"{KEY}_seed", **outside()))
    name = TASK_PRESETS[task]
    if link is not None and link.resolved()["model"]["task"] == task:
        name = link.preset  # the linked preset, while its task is picked
    overrides = [f"model.task={task}"]
    if task == "paired":
        c2.caption("your pairs: a zip below")
        folder = pairs_zip_ui()
        if folder is None:
            return None
        overrides = ["data.name=pairs", f"data.path={folder}", *overrides]
    else:
        default = "fashion-mnist" if task == "inpaint" else "mnist"
        st.session_state.setdefault(f"{KEY}_data_{task}", default)
        data = c2.selectbox(
            "data",
            list(DATA_CHOICES),
            key=f"{KEY}_data_{task}",
            format_func=DATA_CHOICES.get,
            **outside(),
        )
        fixed = links_ui.fixed_overrides(link, name, data, widget_keys=LINK_WIDGET_KEYS)
        overrides += [f"data.name={data}", *fixed]
    try:
        wanted = resolve_pix2pix_preset(name, seed=seed, overrides=overrides)
    except ValueError as err:
        st.error(f"That setting cannot be used: {err}.")
        return None
    lab: Lab | None = st.session_state.get(KEY)
    relink = links_ui.relink(KEY)
    if lab is None or relink or _identity(lab.preset) != _identity(wanted):
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


def share(lab: Lab) -> None:
    """The page's setting in its URL (the CLI's --set keys), and a link to copy."""
    current = {
        **lab.preset,
        "model": {**lab.preset["model"], "l1_lambda": lab.status["l1_lambda"]},
        "train": {**lab.preset["train"], **lab.config},
    }
    paired = lab.preset["model"]["task"] == "paired"
    links_ui.share_ui(
        KEY,
        PAGE,
        lab.name,
        current,
        unlinkable="Your uploaded pairs are not part of a link." if paired else None,
    )


def _identity(preset: dict[str, Any]) -> tuple:
    return preset["train"]["seed"], repr(preset["data"]), repr(preset["model"])


def check_limits(preset: dict[str, Any]) -> None:
    hosted.limits().check_model(Pix2PixConfig.from_dict(preset["model"]), copies=2)


def pairs_zip_ui() -> str | None:
    """A zip holding A/ (inputs) and B/ (targets) of matching names, safely extracted once."""
    try:
        got = extracted_zip_ui(
            "a zip with folders A/ (inputs) and B/ (targets), images of matching names",
            f"{KEY}_pairs",
            empty="Upload a zip of pairs to train on them.",
            prefix="gancore-pairs-",
            extract=lambda data, dest: str(extract_pairs_zip(data, dest)),
        )
    except (UnsafeArchiveError, DatasetUnavailableError, ValueError) as err:
        st.error(f"That zip cannot be used: {err}.")
        return None
    return None if got is None else got[1]


def knobs_ui(lab: Lab) -> None:
    """The loss and learning rates, applied live to the GAN (its twin keeps the defaults)."""
    cfg, lam0 = lab.config, float(lab.status["l1_lambda"])
    with st.expander("Training hyperparameters — applied live"):
        c = st.columns(4)
        for k, v in [*((k, cfg[k]) for k in ("loss", "lr_g", "lr_d")), ("l1_lambda", lam0)]:
            st.session_state.setdefault(f"{KEY}_{k}", v)  # a link may have set them already
        loss = c[0].selectbox(
            "GAN loss", list(LOSSES), format_func=LOSS_LABELS.get, key=f"{KEY}_loss", **outside()
        )
        lr_g = c[1].number_input(
            "G learning rate", 1e-5, 1e-2, format="%.5f", key=f"{KEY}_lr_g", **outside()
        )
        lr_d = c[2].number_input(
            "D learning rate", 1e-5, 1e-2, format="%.5f", key=f"{KEY}_lr_d", **outside()
        )
        lam = c[3].number_input(
            "lambda (L1 weight)",
            0.0,
            L1_LAMBDA_MAX,
            step=10.0,
            format="%g",
            key=f"{KEY}_l1_lambda",
            help=LAMBDA_HELP,
            **outside(),
        )
        changes = {"loss": loss, "lr_g": float(lr_g), "lr_d": float(lr_d)}
        changes = {k: v for k, v in changes.items() if cfg[k] != v}
        if float(lam) != lam0:
            changes["l1_lambda"] = float(lam)
        if changes:
            call(lambda: lab.handle.configure(**changes))
        st.caption(f"lambda: {LAMBDA_HELP} The L1-only twin keeps the preset's lambda.")


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


st.title("Image to image")
st.markdown(
    "pix2pix (Isola et al. 2017): a U-Net generator with skip connections turns an input "
    "image into an output, and a PatchGAN discriminator judges (input, output) pairs patch "
    "by patch. G minimises the GAN loss plus lambda x L1 to the target (lambda = 100 by "
    "default; edit it live below). Beside it the same U-Net learns from L1 alone, in the "
    "same time share: compare the rows."
)
lab = setup()
if lab is None:
    st.stop()
transport_to_target_ui(KEY, lab)
knobs_ui(lab)
share(lab)
live_loop(KEY, lab, draw, lambda lab: lab.handle.view())
export(lab)
if "first" not in lab.extra:
    desc = call(lab.handle.describe) or {}
    lab.extra["first"] = {k: np.asarray(v) for k, v in desc.items() if k.startswith("first_")}
drawing_ui(KEY)
