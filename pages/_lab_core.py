"""The live pages' core: a user's run (Lab) held in a training worker, and calls to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from gancore.live import LiveError, LiveHandle
from gancore.presets.toy import list_presets, resolve_preset
from gancore.train.losses import LOSSES, LossSpec
from pages import _hosted as hosted


@dataclass
class Lab:
    """One user's run on one live page: the handle on its worker's run, and what it showed."""

    preset: dict[str, Any]
    name: str  # the preset this run started from: widget keys hang on it
    handle: LiveHandle
    timeline: list[dict[str, float]] = field(default_factory=list)
    tick: int = 0  # refreshes drawn
    shown_running: bool = False  # what the page's buttons say (Pause when True)
    extra: dict[str, Any] = field(default_factory=dict)  # page-specific state (image target)

    @property
    def status(self) -> dict[str, Any]:
        return self.handle.status

    @property
    def running(self) -> bool:
        return self.handle.running

    @property
    def step_count(self) -> int:
        return self.handle.step_count

    @property
    def error(self) -> str | None:
        return self.status.get("error")

    @property
    def config(self) -> dict[str, Any]:
        return self.status["config"]

    @property
    def spec(self) -> LossSpec:
        return LOSSES[self.config["loss"]]


def open_lab(kind: str, preset: dict[str, Any], name: str, *, threads: int) -> Lab:
    """A fresh run in the least-loaded worker (ValueError / DatasetUnavailableError say why not)."""
    handle = hosted.pool().open(kind, preset, name, threads=threads)
    return Lab(preset=preset, name=name, handle=handle)


def replace_lab(key: str, lab: Lab | None) -> None:
    """Put ``lab`` in the session, freeing the worker's run it replaces."""
    old = st.session_state.get(key)
    st.session_state[key] = lab
    if isinstance(old, Lab) and old is not lab:
        hosted.slots().release(hosted.owner(key))
        old.handle.close()


def new_lab(preset: dict[str, Any], name: str) -> Lab:
    return open_lab("toy", preset, name, threads=hosted.limits().threads(1))


def presets_for(dim: int) -> dict[str, str]:
    out = {}
    for name, description in list_presets().items():
        p = resolve_preset(name)
        if p["model"]["data_dim"] == dim:
            out[name] = description
    return out


def call(fn: Callable[[], Any]) -> Any:
    """A handle call whose failure (an overloaded server, a lost worker) is said on the page."""
    try:
        return fn()
    except LiveError as err:
        st.error(f"The training worker could not do that: {err}.")
        return None


def status_line(lab: Lab) -> None:
    if lab.error:
        st.error(lab.error)
    elif lab.running:
        rate = lab.status.get("rounds_per_second") or 0.0
        st.caption(f"Training… step {lab.step_count:,} · {rate:,.0f} rounds/s")
    else:
        st.caption(
            f"Paused at step {lab.step_count:,}." if lab.step_count else "Press Train, or Step."
        )
