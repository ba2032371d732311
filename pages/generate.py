"""Play with a pretrained generator: shipped, from the Hugging Face Hub, or uploaded."""

from __future__ import annotations

import hashlib
import tempfile

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from gancore.community.display import opaque
from gancore.explore import latent
from gancore.io.checkpoint import LoadedGAN
from gancore.io.format import CheckpointError
from gancore.io.hub import load_checkpoint
from gancore.io.sources import list_shipped_checkpoints
from gancore.io.zips import extract_checkpoint_zip
from gancore.models.kinds import MODEL_KINDS
from gancore.viz import lab as lplots
from gancore.viz import render
from pages import _community as community
from pages import _hosted as hosted
from pages._hosted import configure_torch
from pages._invert import invert_tab

KEY = "gen"


FIRST = ("cgan-mnist", "dcgan-mnist", "wgan-gp-mnist", "cgan-fashion-mnist")


def shipped_gans() -> list[str]:
    """Shipped GAN checkpoints, images first (the conditional MNIST model leads): the page
    opens on something to look at and to pick labels in."""

    def order(n: str) -> tuple:
        return (n == "ring8", FIRST.index(n) if n in FIRST else len(FIRST), n)

    return sorted(list_shipped_checkpoints(), key=order)


@st.cache_resource(max_entries=8, show_spinner=False)
def load_cached(
    source: str, revision: str | None, token_hash: str, _token: str | None, max_parameters: int
) -> LoadedGAN:
    """Shared across users: one copy per (source, revision) (and token, for private repos)."""
    return load_checkpoint(source, revision=revision, token=_token, max_parameters=max_parameters)


@st.cache_resource(max_entries=4, show_spinner=False)
def load_uploaded(digest: str, _data: bytes, max_parameters: int) -> LoadedGAN:
    with tempfile.TemporaryDirectory(prefix="gancore-upload-") as folder:
        return load_checkpoint(extract_checkpoint_zip(_data, folder), max_parameters=max_parameters)


def source_ui() -> LoadedGAN | None:
    """The chosen generator; when a new choice fails to load, the message says why and the
    last model that loaded stays on the page."""
    last = st.session_state.get(f"{KEY}_last")
    try:
        gan = _load_ui()
        if gan is not None and not MODEL_KINDS[gan.kind].draws:
            raise ValueError(
                f"{gan.source} is a {gan.kind} (image-to-image) checkpoint: it translates an "
                "input image instead of drawing from noise. Open it on the Image to image page."
            )
    except (CheckpointError, ValueError) as err:
        st.error(f"Cannot load that checkpoint: {err}")
        if last is not None:
            st.info(f"Still showing the last model that loaded: {last.source}.")
        return last
    if gan is not None:
        st.session_state[f"{KEY}_last"] = gan
    return gan


def _load_ui() -> LoadedGAN | None:
    shipped = shipped_gans()
    limits = hosted.limits()
    kinds = ["shipped", "Hugging Face Hub", "upload a checkpoint zip"]
    kind = st.radio(
        "source", kinds, horizontal=True, key=f"{KEY}_kind", label_visibility="collapsed"
    )
    if kind == "shipped":
        if not shipped:
            st.info("No shipped checkpoints in this copy; load one from the Hub or upload a zip.")
            return None
        name = st.selectbox("shipped checkpoint", shipped, key=f"{KEY}_shipped")
        with st.spinner(f"Loading {name}…"):
            return load_cached(name, None, "", None, limits.max_parameters)
    if kind == "Hugging Face Hub":
        c1, c2, c3 = st.columns([3, 1.2, 2])
        repo = c1.text_input("repo id", placeholder="owner/name", key=f"{KEY}_repo").strip()
        revision = c2.text_input("revision", placeholder="main", key=f"{KEY}_rev").strip() or None
        token = (
            c3.text_input(
                "token (private or gated repos)", type="password", key=f"{KEY}_token"
            ).strip()
            or None
        )
        community.suggestions(f"{KEY}_repo")
        if not repo:
            community.hub_caption()
            return None
        token_hash = hashlib.sha256(token.encode()).hexdigest() if token else ""
        with st.spinner(f"Downloading {repo}…"):
            return load_cached(repo, revision, token_hash, token, limits.max_parameters)
    upload = st.file_uploader(
        f"a checkpoint zip (the training pages' download, up to {limits.max_upload_mb:g} MB)",
        type=["zip"],
        key=f"{KEY}_zip",
    )
    if upload is None:
        return None
    data = upload.getvalue()
    limits.check_upload(len(data))
    return load_uploaded(hashlib.sha256(data).hexdigest(), data, limits.max_parameters)


def info(gan: LoadedGAN) -> None:
    if community.is_community(gan):
        community.info(gan)
        return
    cfg = gan.config
    m = cfg["model"]
    what = (
        f"{m['image_size']}×{m['image_size']}×{m['channels']} images"
        if MODEL_KINDS[gan.kind].images
        else f"{m['data_dim']}D points"
    )
    labels = f", {gan.num_classes} labels" if gan.num_classes else ""
    st.caption(
        f"{gan.source} · {cfg.get('description', '')} · {what} from a {m['latent_dim']}-d latent{labels}"
    )
    metrics = {k: v for k, v in (cfg.get("metrics") or {}).items() if isinstance(v, (int, float))}
    if metrics:
        with st.expander("metrics recorded when it was trained"):
            st.table({k: [f"{v:.4g}" if isinstance(v, float) else v] for k, v in metrics.items()})


def _labels_for(gan: LoadedGAN, n: int, choice: str) -> np.ndarray | None:
    if not gan.num_classes:
        return None
    if choice == "every label":
        return np.arange(n) % gan.num_classes
    return np.full(n, gan.class_names.index(choice), dtype=np.int64)


def samples_tab(gan: LoadedGAN) -> None:
    c = st.columns(4)
    seed = int(c[0].number_input("seed", 0, 2**31 - 1, 0, key=f"{KEY}_seed"))
    # conditional: a label x noise grid, one label per column; big community images: fewer
    plain = (
        [8, 16, 32, 64, 100],
        64 if MODEL_KINDS[gan.kind].images and not gan.num_classes else 100,
        "n",
    )
    options, default, suffix = community.counts(gan) if community.is_community(gan) else plain
    n = int(c[1].select_slider("how many", options, value=default, key=f"{KEY}_{suffix}"))
    if not MODEL_KINDS[gan.kind].images:
        n *= 20
    trunc_on = c[2].toggle(
        "truncation",
        key=f"{KEY}_trunc_on",
        help="draw z from a truncated normal: less variety, more typical samples",
    )
    trunc = c[2].slider("|z| ≤", 0.1, 3.0, 1.0, 0.1, key=f"{KEY}_trunc") if trunc_on else None
    choice = "every label"
    if gan.num_classes:
        choice = c[3].selectbox("label", ["every label", *gan.class_names], key=f"{KEY}_label")
    labels = _labels_for(gan, n, choice)
    x = gan.sample(n, seed=seed, labels=labels, truncation=trunc)
    if MODEL_KINDS[gan.kind].images:
        nrow = (
            gan.num_classes
            if choice == "every label" and gan.num_classes and n % gan.num_classes == 0
            else None
        )
        picture = render.image_grid(community.shown(gan, x), nrow=nrow)
        st.image(
            picture,
            caption=f"{n} samples, seed {seed}" + ("" if not gan.num_classes else f", {choice}"),
            width="stretch",
        )
        st.download_button(
            "Download the grid (PNG)",
            render.to_png(picture),
            file_name=f"gancore-seed{seed}.png",
            mime="image/png",
            key=f"{KEY}_png",
        )
    else:
        bounds = lplots.bounds_around(x)
        fig = (
            lplots.lab2d_figure(
                bounds=bounds, field=None, real=None, fake=x, arrows=None, mesh=None
            )
            if x.shape[1] == 2
            else go.Figure(go.Histogram(x=x[:, 0], nbinsx=80))
        )
        st.plotly_chart(fig, width="stretch", key=f"{KEY}_toy")


def interpolate_tab(gan: LoadedGAN) -> None:
    G = gan.generator
    c = st.columns(4)
    a = int(c[0].number_input("from seed", 0, 2**31 - 1, 1, key=f"{KEY}_ia"))
    b = int(c[1].number_input("to seed", 0, 2**31 - 1, 2, key=f"{KEY}_ib"))
    steps = int(c[2].slider("steps", 3, 16, 10, key=f"{KEY}_isteps"))
    mode = c[3].radio(
        "path",
        ["slerp", "lerp"],
        horizontal=True,
        key=f"{KEY}_imode",
        help="slerp follows a great circle, keeping |z| typical for a Gaussian latent",
    )
    z = latent.interpolate(latent.seeded_latent(G, a), latent.seeded_latent(G, b), steps, mode)
    labels = embeddings = None
    if gan.num_classes:
        c1, c2 = st.columns(2)
        la = c1.selectbox("label at the start", gan.class_names, key=f"{KEY}_la")
        lb = c2.selectbox(
            "label at the end", gan.class_names, index=min(1, gan.num_classes - 1), key=f"{KEY}_lb"
        )
        embeddings = latent.label_embeddings(
            G, gan.class_names.index(la), gan.class_names.index(lb), steps
        )
    frames = latent.generate_images(G, z, labels=labels, embeddings=embeddings)
    _strip(gan, frames, f"seed {a} → seed {b} ({mode})")
    if MODEL_KINDS[gan.kind].images:
        st.download_button(
            "Download as an animation (GIF)",
            render.interpolation_gif(
                opaque(frames)
            ),  # a transparent community model's frames over white
            file_name=f"gancore-{a}-to-{b}.gif",
            mime="image/gif",
            key=f"{KEY}_gif",
        )


def walk_tab(gan: LoadedGAN) -> None:
    G = gan.generator
    c = st.columns(4)
    seed = int(c[0].number_input("seed", 0, 2**31 - 1, 0, key=f"{KEY}_wseed"))
    dim = int(c[1].number_input("latent coordinate", 0, G.latent_dim - 1, 0, key=f"{KEY}_wdim"))
    span = float(c[2].slider("from −s to +s", 0.5, 4.0, 2.5, 0.5, key=f"{KEY}_wspan"))
    steps = int(c[3].slider("steps", 3, 16, 9, key=f"{KEY}_wsteps"))
    z = latent.walk(latent.seeded_latent(G, seed), dim, np.linspace(-span, span, steps))
    labels = None
    if gan.num_classes:
        label = st.selectbox("label", gan.class_names, key=f"{KEY}_wlabel")
        labels = torch.full((steps,), gan.class_names.index(label))
    _strip(
        gan,
        latent.generate_images(G, z, labels=labels),
        f"coordinate {dim} from −{span} to +{span}",
    )


def _strip(gan: LoadedGAN, frames: np.ndarray, caption: str) -> None:
    if MODEL_KINDS[gan.kind].images:
        frames = community.shown(gan, frames)
        st.image(render.image_grid(frames, nrow=len(frames)), caption=caption, width="stretch")
    else:
        st.dataframe(
            {
                "step": list(range(len(frames))),
                **{f"x{i}": frames[:, i] for i in range(frames.shape[1])},
            },
            hide_index=True,
        )


st.title("Generate")
st.markdown(
    "Sample, interpolate and explore a pretrained generator; or find your own image in its latent space."
)
configure_torch(default=2)
gan = source_ui()
if gan is None:
    st.stop()
info(gan)
gan = community.output_choice(gan)
tabs = ["Samples", "Interpolate", "Walk"] + (
    ["Invert your image"] if MODEL_KINDS[gan.kind].images else []
)
chosen = (
    st.segmented_control(
        "view", tabs, default="Samples", key=f"{KEY}_tab", label_visibility="collapsed"
    )
    or "Samples"
)
{
    "Samples": samples_tab,
    "Interpolate": interpolate_tab,
    "Walk": walk_tab,
    "Invert your image": invert_tab,
}[chosen](gan)
