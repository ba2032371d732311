"""Export a live run: the checkpoint as a zip (and push it to the Hub), its samples as CSV."""

from __future__ import annotations

import io
import tempfile
from typing import Any

import numpy as np
import streamlit as st

from gancore.io.format import CheckpointError
from gancore.io.hub import push_checkpoint
from gancore.io.zips import extract_checkpoint_zip
from pages._lab_core import Lab, call
from pages._outside import outside, pressed


def export_ui(key: str, lab: Lab) -> None:
    """Download the run as a checkpoint folder (the CLI's format) in a zip, and its samples."""
    c1, c2 = st.columns(2)
    checkpoint_zip_ui(key, lab, c1)
    c2.download_button(
        "Download 2,000 samples (CSV)",
        data=lambda: _samples_csv(lab),
        file_name=f"gancore-{lab.name}-step{lab.step_count}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )


def checkpoint_zip_ui(
    key: str, lab: Lab, col: Any, *, label: str = "Package the model as a checkpoint zip"
) -> None:
    """In ``col``: package the run as a checkpoint zip (the CLI's format) on request, then
    offer it to download and to push to the Hub. Every live page exports this way."""
    if pressed(col, label, key=f"{key}_package"):
        with st.spinner("Writing the checkpoint…"):
            data = call(lab.handle.export_zip)
        if data is not None:
            st.session_state[f"{key}_zip"] = (lab.step_count, data)
    packed = st.session_state.get(f"{key}_zip")
    if packed is None:
        return
    step, data = packed
    size = f"{len(data) / 1e6:.1f} MB" if len(data) >= 1e6 else f"{len(data) / 1024:.0f} KB"
    col.download_button(
        f"Download checkpoint (step {step:,}, {size})",
        data=data,
        file_name=f"gancore-{lab.name}-step{step}.zip",
        mime="application/zip",
        key=f"{key}_zip_download",
    )
    with col:
        push_ui(key, data, lab.name)


def animation_ui(key: str, lab: Lab, col: Any) -> None:
    """In ``col``: the run's training animation (its replay) as a GIF, once it has frames."""
    if lab.extra.get("frames", 0) > 1:
        col.download_button(
            "Download the training animation (GIF)",
            data=lab.handle.replay_gif,
            file_name=f"gancore-{lab.name}-training.gif",
            mime="image/gif",
            key=f"{key}_gif",
        )


def _samples_csv(lab: Lab) -> str:
    fakes = lab.handle.samples()
    buf = io.StringIO()
    header = "x,y" if fakes.shape[1] == 2 else "x"
    np.savetxt(buf, fakes, delimiter=",", header=header, comments="", fmt="%.6f")
    return buf.getvalue()


def push_ui(key: str, packed: bytes, name: str) -> None:
    """Push a packaged checkpoint (the download's zip) to a Hugging Face Hub model repo."""
    with st.expander("Push it to the Hugging Face Hub"):
        c1, c2, c3 = st.columns([3, 3, 1.2])
        repo = c1.text_input(
            "repo id", placeholder=f"your-name/gancore-{name}", key=f"{key}_push_repo", **outside()
        ).strip()
        token = (
            c2.text_input(
                "token with write access",
                type="password",
                key=f"{key}_push_token",
                help="huggingface.co/settings/tokens; left empty, your `hf auth login` token",
                **outside(),
            ).strip()
            or None
        )
        private = c3.checkbox("private", key=f"{key}_push_private", **outside())
        if pressed(st, "Push", key=f"{key}_push", disabled=not repo):
            try:
                with st.spinner(f"Uploading to {repo}…"), tempfile.TemporaryDirectory() as tmp:
                    folder = extract_checkpoint_zip(packed, tmp)
                    url = push_checkpoint(folder, repo, private=private, token=token)
            except (CheckpointError, ValueError) as err:
                st.error(f"Not pushed: {err}")
            else:
                st.success(f"Pushed, with its model card: {url}")
