"""Train an image GAN live: DCGAN, conditional GAN, WGAN-GP on MNIST, Fashion-MNIST, CIFAR-10."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from gancore import metrics_image, render
from gancore.checkpoint import count_parameters
from gancore.data import (
    DatasetUnavailableError,
    UnsafeArchiveError,
    extract_image_zip,
    scan_folder,
)
from gancore.hub import checkpoint_zip_bytes
from gancore.image_presets import build_image_run, list_image_presets, resolve_image_preset
from gancore.models.dcgan import DCGANConfig
from gancore.plots import base_layout
from gancore.plots import lab as lplots
from gancore.probes import evaluating
from gancore.train import Trainer
from pages import _hosted as hosted
from pages._hosted import configure_torch
from pages._lab import hyperparameters_ui, live_loop, push_ui, transport_ui

KEY = "imglab"
REFRESH_SECONDS = 1.0  # image steps are heavier than toy ones: redraw once a second
TRAIN_SLICE_SECONDS = 0.7
GRID_PER_CLASS = 8  # conditional grids: one row per label, this many columns
GRID_UNCONDITIONAL = 64
MAX_FRAMES = 40  # grid snapshots kept for the animation
QUALITY_EVERY_SECONDS = 10.0  # a quality estimate this often while training
QUALITY_SAMPLES = 500
CLASSIFIED = ("mnist", "fashion-mnist")  # a classifier for these ships in checkpoints/


@dataclass
class ImageLab:
    """One user's image run: the trainer, fixed noise for the progress grid, and its history."""

    preset: dict[str, Any]
    trainer: Trainer
    source: Any
    name: str
    running: bool = False
    error: str | None = None
    target_steps: int = 2000
    frames: list[tuple[int, bytes]] = field(default_factory=list)
    timeline: list[dict[str, float]] = field(default_factory=list)
    steps_per_second: float = 0.0
    started: float = field(default_factory=time.monotonic)
    quality: list[dict[str, float]] = field(default_factory=list)  # periodic estimates
    quality_at: float = 0.0  # time.monotonic() of the last estimate

    def fixed_grid(self) -> np.ndarray:
        """Samples from the same noise every time (one row per label when conditional)."""
        G = self.trainer.ema_generator or self.trainer.generator
        g = torch.Generator().manual_seed(7)
        if G.num_classes:
            n = G.num_classes * GRID_PER_CLASS
            y = torch.arange(G.num_classes).repeat_interleave(GRID_PER_CLASS)
        else:
            n, y = GRID_UNCONDITIONAL, None
        z = G.sample_latent(n, generator=g)
        with evaluating(G), torch.no_grad():
            return G(z, y).numpy()


@st.cache_data(show_spinner=False)
def _image_presets() -> dict[str, str]:
    return list_image_presets()


def _threads() -> None:
    # Convolutions use every core of a local machine; a hosted demo caps this with
    # GANCORE_TORCH_THREADS (see README, Deploy).
    configure_torch(default=os.cpu_count() or 1)


def new_image_lab(preset: dict[str, Any], name: str) -> ImageLab:
    _threads()
    with st.spinner(f"Loading {preset['data']['name']} (downloaded on first use)…"):
        trainer, source = build_image_run(preset)
    return ImageLab(preset=preset, trainer=trainer, source=source, name=name)


DATA_CHOICES = {
    "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST",
    "cifar10": "CIFAR-10 (170 MB download on first use)",
    "folder": "your images (a zip upload)",
}
CHANNELS = {"mnist": 1, "fashion-mnist": 1, "cifar10": 3, "folder": 3}
SIZES = (28, 32, 64)


def setup() -> ImageLab | None:
    """Preset, data, image size and seed; rebuilds the run when any of them changes."""
    presets = _image_presets()
    names = list(presets)
    c1, c2 = st.columns([4, 1])
    name = c1.selectbox(
        "preset",
        names,
        key=f"{KEY}_preset",
        format_func=lambda n: f"{n} — {presets[n]}",
        help="Tuned defaults; the 28 px ones train on a CPU, 32/64 px ones want a GPU.",
    )
    seed = c2.number_input("seed", 0, 2**31 - 1, 0, 1, key=f"{KEY}_seed")
    wanted = resolve_image_preset(name, seed=int(seed))
    c1, c2 = st.columns([3, 1])
    data_names = list(DATA_CHOICES)
    data = c1.selectbox(
        "data",
        data_names,
        index=data_names.index(wanted["data"]["name"]),
        key=f"{KEY}_data_{name}",
        format_func=DATA_CHOICES.get,
        help="Any data with any size: images are resized and converted to the model's channels.",
    )
    size_default = wanted["model"]["image_size"]
    sizes = sorted({*SIZES, size_default})
    size = c2.selectbox(
        "image size (px)", sizes, index=sizes.index(size_default), key=f"{KEY}_size_{name}"
    )
    try:
        wanted = _with_data_and_size(wanted, data, int(size))
    except (DatasetUnavailableError, ValueError) as err:
        st.error(f"That data cannot be used: {err}.")
        return None
    if wanted is None:
        return None
    lab: ImageLab | None = st.session_state.get(KEY)
    if lab is None or _identity(lab.name, lab.preset) != _identity(name, wanted):
        try:
            check_limits(wanted)
            lab = st.session_state[KEY] = new_image_lab(wanted, name)
        except (DatasetUnavailableError, ValueError) as err:
            reason = str(err).rstrip(".")  # some messages end in a full stop, some do not
            st.error(f"{name} cannot be trained here: {reason}.")
            return None
    return lab


def _identity(name: str, preset: dict[str, Any]) -> tuple:
    # what needs fresh models when it changes (the live-editable training knobs excluded)
    return name, preset["train"]["seed"], repr(preset["data"]), repr(preset["model"])


def _with_data_and_size(preset: dict[str, Any], data: str, size: int) -> dict[str, Any] | None:
    """The preset on other data or at another size (None until an upload is there)."""
    if data == preset["data"]["name"] and size == preset["model"]["image_size"]:
        return preset
    preset = {**preset, "data": {"name": data}, "model": dict(preset["model"])}
    preset["model"].update(image_size=size, channels=CHANNELS[data])
    if data == "folder":
        folder = images_zip_ui()
        if folder is None:
            return None
        preset["data"]["path"] = folder
        if preset["model"]["num_classes"]:
            _, _, classes = scan_folder(folder)
            if len(classes) < 2:
                raise ValueError(
                    "a conditional preset needs labels: put each class's images in its own "
                    "sub-folder of the zip, or pick an unconditional preset (dcgan-mnist)"
                )
            preset["model"]["num_classes"] = len(classes)
    return resolve_image_preset(preset)


def images_zip_ui() -> str | None:
    """Your own images: a zip, safely extracted once per upload; the folder, or None."""
    limits = hosted.limits()
    upload = st.file_uploader(
        f"a zip of PNG / JPEG images (class sub-folders become labels; up to "
        f"{limits.max_upload_mb:g} MB)",
        type=["zip"],
        key=f"{KEY}_images_zip",
    )
    if upload is None:
        st.info("Upload a zip of images to train on them.")
        return None
    data = upload.getvalue()
    limits.check_upload(len(data))
    digest = hashlib.sha256(data).hexdigest()
    held = st.session_state.get(f"{KEY}_images")
    if held is None or held[0] != digest:
        if held is not None:
            shutil.rmtree(held[1], ignore_errors=True)
        dest = tempfile.mkdtemp(prefix="gancore-images-")
        try:
            extracted = extract_image_zip(data, dest)
        except UnsafeArchiveError:
            shutil.rmtree(dest, ignore_errors=True)
            raise
        held = st.session_state[f"{KEY}_images"] = (digest, dest, extracted)
    extracted = held[2]
    skipped = f", {len(extracted.skipped)} other files skipped" if extracted.skipped else ""
    st.caption(f"{len(extracted.files):,} images{skipped}.")
    return held[1]


def check_limits(preset: dict[str, Any]) -> None:
    """Refuse, before allocating, a model this server does not train (hosted caps)."""
    limits = hosted.limits()
    model = DCGANConfig.from_dict(preset["model"])
    limits.check_image_size(model.image_size)
    limits.check_parameters(count_parameters("image", model)["total"])


def _target_ui(lab: ImageLab) -> None:
    cap = min(1_000_000, hosted.limits().max_steps)
    lab.target_steps = int(
        st.number_input(
            "steps to train",
            min(10, cap),
            cap,
            min(lab.target_steps, cap),
            100,
            key=f"{KEY}_target",
            help=f"this server trains at most {cap:,} steps per run" if cap < 1_000_000 else None,
        )
    )


def _record(lab: ImageLab, grid: np.ndarray) -> None:
    last = lab.trainer.history[-1] if lab.trainer.history else {}
    row = {
        "step": float(lab.trainer.step_count),
        **{k: float(v) for k, v in last.items() if k != "step"},
    }
    if not lab.timeline or lab.timeline[-1]["step"] != row["step"]:
        lab.timeline.append(row)
        del lab.timeline[:-2000]
        nrow = GRID_PER_CLASS if lab.trainer.num_classes else None
        png = render.to_png(render.image_grid(grid, nrow=nrow))
        if not lab.frames or lab.frames[-1][0] != lab.trainer.step_count:
            lab.frames.append((lab.trainer.step_count, png))
            if len(lab.frames) > MAX_FRAMES:  # keep the first, thin the rest evenly
                del lab.frames[1::2]


def draw(lab: ImageLab) -> None:
    trainer, spec = lab.trainer, lab.trainer.spec
    grid = lab.fixed_grid()
    _record(lab, grid)
    step = trainer.step_count
    done = min(step / lab.target_steps, 1.0)
    batch = trainer.config.batch_size
    ips = lab.steps_per_second * batch * trainer.config.d_steps
    status = "Training…" if lab.running else ("Paused." if step else "Press Train, or Step.")
    text = f"{status} step {step:,} of {lab.target_steps:,}"
    if lab.steps_per_second:
        left = max(lab.target_steps - step, 0) / lab.steps_per_second
        text += f" · {ips:,.0f} real images/s · about {left:,.0f} s left"
    st.progress(done, text=text)
    if lab.error:
        st.error(lab.error)
    c_grid, c_num = st.columns([2.2, 1])
    with c_grid:
        caption = "fixed noise, one row per label" if trainer.num_classes else "fixed noise"
        nrow = GRID_PER_CLASS if trainer.num_classes else None
        st.image(
            render.image_grid(grid, nrow=nrow),
            caption=f"G's samples at step {step:,} ({caption})",
            width="stretch",
        )
    with c_num:
        last = lab.timeline[-1] if lab.timeline else {}
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
        st.metric("images per second", f"{ips:,.0f}")
    if len(lab.timeline) > 1:
        c1, c2 = st.columns(2)
        with c1:
            st.plotly_chart(
                lplots.curves_figure(
                    lab.timeline, {"d_loss": "D loss", "g_loss": "G loss"}, title="losses"
                ),
                width="stretch",
                key=f"{KEY}_losses",
            )
        with c2:
            series = (
                {"wasserstein": "W estimate"}
                if spec.wasserstein
                else {"d_real": "mean D(x)", "d_fake": "mean D(G(z))"}
            )
            series.update(grad_norm_d="‖∇D‖", grad_norm_g="‖∇G‖")
            st.plotly_chart(
                lplots.curves_figure(lab.timeline, series, title="D's view and gradients"),
                width="stretch",
                key=f"{KEY}_d",
            )
    quality_ui(lab)


def estimate_quality(lab: ImageLab, *, force: bool = False) -> dict[str, float] | None:
    """A fresh quality estimate every QUALITY_EVERY_SECONDS (or now, with ``force``): the
    Frechet distance on the shipped classifier's features, label accuracy, smallest class."""
    dataset = lab.preset["data"]["name"]
    if dataset not in CLASSIFIED:
        return None
    step = lab.trainer.step_count
    due = time.monotonic() - lab.quality_at >= QUALITY_EVERY_SECONDS
    if not lab.quality or (step != lab.quality[-1]["step"] and (force or due)):
        G = lab.trainer.ema_generator or lab.trainer.generator
        y = None
        if G.num_classes:
            y = torch.arange(QUALITY_SAMPLES) % G.num_classes
        z = G.sample_latent(QUALITY_SAMPLES, generator=torch.Generator().manual_seed(99))
        with evaluating(G), torch.no_grad():
            fakes = G(z, y).numpy()
        q = metrics_image.quick_quality(fakes, dataset=dataset, labels=y)
        lab.quality.append({"step": float(step), **{k: v for k, v in q.items() if v is not None}})
        del lab.quality[:-500]
        lab.quality_at = time.monotonic()
    return lab.quality[-1]


def quality_ui(lab: ImageLab) -> None:
    """The periodic quality estimate: when it stops improving, training has done its work."""
    if lab.preset["data"]["name"] not in CLASSIFIED:
        st.caption(
            "No quality estimate for this data: a classifier ships for MNIST and Fashion-MNIST "
            "only (`python -m gancore eval` reports the same numbers for a saved run)."
        )
        return
    last = estimate_quality(lab)
    prev = lab.quality[-2] if len(lab.quality) > 1 else None
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
    if len(lab.quality) > 1:
        with c[3]:
            st.plotly_chart(
                lplots.curves_figure(
                    lab.quality,
                    {"frechet_distance": "Frechet distance"},
                    title="quality",
                    height=220,
                ),
                width="stretch",
                key=f"{KEY}_quality",
            )


def label_check(lab: ImageLab) -> None:
    """The seeds' point about conditional D: it should reject a real image with the wrong label."""
    if not lab.trainer.num_classes:
        return
    st.subheader("Does D check the label?")
    st.markdown(
        "A conditional discriminator judges an image *and* its label: a real 3 labelled "
        "“7” should be rejected. Rows are real images (one per class), columns the label D is "
        "told; a trained D lights up the diagonal."
    )
    k = lab.trainer.num_classes
    x, y = _one_real_per_class(lab, k)
    D = lab.trainer.discriminator
    with evaluating(D), torch.no_grad():
        scores = torch.stack([D(x, torch.full((k,), j)) for j in range(k)], dim=1)
        values = torch.sigmoid(scores) if lab.trainer.spec.probabilities else scores
    names = list(lab.source.class_names) or [str(i) for i in range(k)]
    fig = go.Figure(
        go.Heatmap(
            z=values.numpy(),
            x=names,
            y=[f"real {names[i]}" for i in y.tolist()],
            colorscale="Viridis",
            colorbar=dict(title="D(x | y′)"),
        )
    )
    fig.update_xaxes(title_text="label y′ given to D")
    fig.update_yaxes(autorange="reversed")
    st.plotly_chart(base_layout(fig, height=420), width="stretch", key=f"{KEY}_labels")


def _one_real_per_class(lab: ImageLab, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    labels = lab.source.data.labels
    idx = [int(np.flatnonzero(np.asarray(labels) == c)[0]) for c in range(k)]
    x, y = lab.source.take(idx)
    return x, y


def export(lab: ImageLab) -> None:
    c1, c2 = st.columns(2)
    if c1.button("Package the model as a checkpoint zip", key=f"{KEY}_package"):
        with st.spinner("Writing the checkpoint…"):
            st.session_state[f"{KEY}_zip"] = (lab.trainer.step_count, _checkpoint_zip(lab))
    packed = st.session_state.get(f"{KEY}_zip")
    if packed is not None:
        step, data = packed
        c1.download_button(
            f"Download checkpoint (step {step:,}, {len(data) / 1e6:.1f} MB)",
            data=data,
            file_name=f"gancore-{lab.name}-step{step}.zip",
            mime="application/zip",
            key=f"{KEY}_zip_download",
        )
        with c1:
            push_ui(KEY, data, lab.name)
    if len(lab.frames) > 1:
        c2.download_button(
            "Download the training animation (GIF)",
            data=_gif(lab.frames),
            file_name=f"gancore-{lab.name}-training.gif",
            mime="image/gif",
            key=f"{KEY}_gif",
        )


def _gif(frames: list[tuple[int, bytes]]) -> bytes:
    from PIL import Image

    images = [
        Image.open(io.BytesIO(png)).convert("P", palette=Image.Palette.ADAPTIVE)
        for _, png in frames
    ]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:], duration=250, loop=0)
    return buf.getvalue()


def _checkpoint_zip(lab: ImageLab) -> bytes:
    trainer = lab.trainer
    grid = lab.fixed_grid()
    config = {
        "kind": "image",
        "description": lab.preset.get("description", ""),
        "model": lab.preset["model"],
        "train": trainer.config.to_dict(),
        "data": {
            **lab.preset["data"],
            **({"class_names": list(lab.source.class_names)} if trainer.num_classes else {}),
        },
        "metrics": {"step": trainer.step_count},
        "command": f"trained in the gancore app from preset {lab.name!r}",
    }
    png = render.to_png(
        render.image_grid(grid, nrow=GRID_PER_CLASS if trainer.num_classes else None)
    )
    return checkpoint_zip_bytes(
        f"gancore-{lab.name}",
        generator=trainer.ema_generator or trainer.generator,
        discriminator=trainer.discriminator,
        config=config,
        sample_png=png,
    )


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
transport_ui(
    KEY, lab, lambda: new_image_lab(lab.preset, lab.name), step_sizes=(1, 10), extra=_target_ui
)
hyperparameters_ui(KEY, lab)


live_loop(
    KEY,
    lab.running,
    draw,
    refresh=REFRESH_SECONDS,
    slice_seconds=TRAIN_SLICE_SECONDS,
    max_steps=lambda lab: lab.target_steps - lab.trainer.step_count,
    threads=os.cpu_count() or 1,
)
label_check(lab)
export(lab)
