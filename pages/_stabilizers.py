"""The stabilizers on the live pages: every knob of gancore.train.stabilizers, with its one line.

Live knobs (R1 / R2 and their lazy interval, instance noise and its annealing, unrolled D,
DiffAugment for images) are edits of the running Trainer. The three that shape D (spectral
norm, PacGAN's pack, minibatch std) need a new D: changing one starts that run again from
the seed with the new setting (for B in an A / B comparison: B alone, which then catches up).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from gancore.train.diffaugment import POLICIES, parse_policy
from gancore.train.stabilizers import STABILIZERS, STRUCTURAL
from pages._outside import outside

__all__ = ["STRUCTURAL", "split", "stabilizers_ui"]


def _help(name: str) -> str:
    knob = STABILIZERS[name]
    return f"{knob.what} ({knob.paper})" if knob.paper else knob.what


def stabilizers_ui(key: str, cfg: dict[str, Any], *, images: bool) -> dict[str, Any]:
    """Widgets for every stabilizer, set from ``cfg``; returns every knob's chosen value."""
    st.markdown("**Stabilizers**: the (?) of each says what it does.")
    out: dict[str, Any] = {}
    c = st.columns(4)
    out["r1_gamma"] = c[0].number_input(
        "R1 γ (real)",
        0.0,
        1e4,
        float(cfg["r1_gamma"]),
        0.1,
        key=f"{key}_r1",
        help=_help("r1_gamma"),
        **outside(),
    )
    out["r2_gamma"] = c[1].number_input(
        "R2 γ (fake)",
        0.0,
        1e4,
        float(cfg["r2_gamma"]),
        0.1,
        key=f"{key}_r2",
        help=_help("r2_gamma"),
        **outside(),
    )
    out["reg_every"] = int(
        c[2].number_input(
            "R1/R2 every N D steps",
            1,
            1000,
            int(cfg["reg_every"]),
            key=f"{key}_regn",
            help=_help("reg_every"),
            **outside(),
        )
    )
    out["unroll_steps"] = int(
        c[3].number_input(
            "unrolled D: k look-ahead",
            0,
            20,
            int(cfg["unroll_steps"]),
            key=f"{key}_unroll",
            help=_help("unroll_steps"),
            **outside(),
        )
    )
    c = st.columns(4)
    out["instance_noise"] = c[0].number_input(
        "instance noise σ",
        0.0,
        10.0,
        float(cfg["instance_noise"]),
        0.05,
        key=f"{key}_noise",
        help=_help("instance_noise"),
        **outside(),
    )
    out["instance_noise_steps"] = int(
        c[1].number_input(
            "σ falls to 0 over (rounds)",
            0,
            10**9,
            int(cfg["instance_noise_steps"]),
            500,
            key=f"{key}_noise_steps",
            help=_help("instance_noise_steps"),
            **outside(),
        )
    )
    out["instance_noise_floor"] = c[2].number_input(
        "σ never below",
        0.0,
        10.0,
        float(cfg["instance_noise_floor"]),
        0.05,
        key=f"{key}_noise_floor",
        help=_help("instance_noise_floor"),
        **outside(),
    )
    if images:
        picked = c[3].multiselect(
            "DiffAugment",
            list(POLICIES),
            default=list(parse_policy(cfg["diffaugment"])),
            key=f"{key}_diffaug",
            help=_help("diffaugment"),
            **outside(),
        )
        out["diffaugment"] = ",".join(p for p in POLICIES if p in picked)
    c = st.columns(4)
    out["spectral_norm"] = c[0].checkbox(
        "spectral norm of D",
        bool(cfg["spectral_norm"]),
        key=f"{key}_sn",
        help=_help("spectral_norm"),
        **outside(),
    )
    out["pack"] = int(
        c[1].number_input(
            "PacGAN: pack m",
            1,
            16,
            int(cfg["pack"]),
            key=f"{key}_pack",
            help=_help("pack"),
            **outside(),
        )
    )
    out["minibatch_std"] = c[2].checkbox(
        "minibatch std",
        bool(cfg["minibatch_std"]),
        key=f"{key}_mbstd",
        help=_help("minibatch_std"),
        **outside(),
    )
    c[3].caption("These three shape D: changing one starts the run again from the seed.")
    return out


def split(chosen: dict[str, Any], cfg: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(live edits, D-shaping edits) among the chosen values that differ from ``cfg``."""
    changed = {k: v for k, v in chosen.items() if v != cfg[k]}
    shape = {k: v for k, v in changed.items() if k in STRUCTURAL}
    return {k: v for k, v in changed.items() if k not in STRUCTURAL}, shape
