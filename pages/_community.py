"""The Generate page's parts for community GANs (gancore.community): what a loaded one is,
where it came from, and how many of its images a grid shows."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gancore.community import SUGGESTED_REPOS, SUPPORTED, LoadedCommunity
from gancore.community.display import SHOW_SIDE, grid_counts, opaque, shrink


def hub_caption() -> None:
    st.caption(
        "Any repo written by gancore (`python -m gancore push`) loads here, and so do these "
        f"community GAN families: {SUPPORTED}. Weights are downloaded to this server's (or "
        "your machine's) Hugging Face cache and read as tensors only: no code from a repo "
        "ever runs."
    )


def suggestions(repo_key: str) -> None:
    """One button per well-known community repo: a click fills the repo id and loads it."""

    def pick(repo: str) -> None:
        st.session_state[repo_key] = repo

    widths = [0.5] + [len(repo) / 10 + 0.5 for repo in SUGGESTED_REPOS] + [1.0]  # whole names
    cols = st.columns(widths, vertical_alignment="center")
    cols[0].caption("Try:")
    for col, repo in zip(cols[1:], SUGGESTED_REPOS, strict=False):
        col.button(
            repo,
            key=f"{repo_key}_try_{repo}",
            on_click=pick,
            args=(repo,),
            type="tertiary",
            icon=":material/download:",
            help=f"load {repo} from the Hugging Face Hub",
        )


def is_community(gan) -> bool:
    return isinstance(gan, LoadedCommunity)


def info(gan: LoadedCommunity) -> None:
    size = gan.config["model"]["image_size"]
    link = f"[{gan.url}]({gan.url})" if gan.url else gan.source
    st.caption(
        f"**{gan.family}** · {size}×{size}×{gan.config['model']['channels']} images from a "
        f"{gan.generator.latent_dim}-d latent · {gan.parameters:,} parameters · license: "
        f"{gan.license or 'not stated in the model card'} · {link}"
    )


def output_choice(gan):
    """A FastGAN offers its 128 px output too (eight times narrower at 1024 px: faster)."""
    if not is_community(gan) or gan.small_output() is gan:
        return gan
    small = st.toggle(
        "use its 128 px output",
        key="gen_small",
        help="FastGAN draws a 128 px image beside the big one from the same latent and noise",
    )
    return gan.small_output() if small else gan


def counts(gan) -> tuple[list[int], int, str]:
    """(options, default, widget key suffix) for the number of images in a grid."""
    options, default = grid_counts(gan.config["model"]["image_size"])
    return options, default, f"n{options[-1]}"


def shown(gan, x: np.ndarray) -> np.ndarray:
    """Images as a grid shows them: transparent ones over white, big ones shrunk to SHOW_SIDE px."""
    if not is_community(gan):
        return x
    x = opaque(x)
    if x.shape[-1] <= SHOW_SIDE:
        return x
    st.caption(
        f"Shown (and downloaded) at {SHOW_SIDE} px; `python -m gancore sample` writes full size."
    )
    return shrink(x)
