"""Live-editable training settings (A's, or B's in an A / B comparison), stabilizers included."""

from __future__ import annotations

from typing import Any

import streamlit as st

from gancore.live import LiveError
from gancore.models.kinds import MODEL_KINDS
from gancore.train.config import OPTIMIZERS
from gancore.train.losses import LOSSES
from pages._lab_core import Lab
from pages._outside import outside
from pages._stabilizers import STRUCTURAL, split, stabilizers_ui

LOSS_LABELS = {
    "minimax": "minimax (saturating)",
    "non_saturating": "non-saturating",
    "least_squares": "least squares (LSGAN)",
    "hinge": "hinge",
    "wgan": "WGAN (weight clipping)",
    "wgan_gp": "WGAN-GP (gradient penalty)",
}


def hyperparameters_ui(key: str, lab: Lab, *, which: str = "a") -> None:
    """Live-editable training knobs (applied without resetting, as GAN Lab's edit mode);
    ``which="b"``: those of the run's B in an A / B comparison (pages/_ab.py).

    Widget keys include the preset, so switching presets shows that preset's own settings.
    """
    cfg = lab.config if which == "a" else lab.handle.b["config"]
    key = f"{key}_{lab.name}" if which == "a" else f"{key}_b_{lab.name}"
    title = "Training hyperparameters" if which == "a" else "B's training hyperparameters"
    with st.expander(f"{title} — applied live", expanded=which == "b"):
        c = st.columns(4)
        losses = list(LOSSES)
        loss = c[0].selectbox(
            "loss",
            losses,
            index=losses.index(cfg["loss"]),
            format_func=LOSS_LABELS.get,
            key=f"{key}_loss",
            **outside(),
        )
        d_steps = c[1].number_input(
            "k: D steps per round", 1, 100, cfg["d_steps"], key=f"{key}_k", **outside()
        )
        g_steps = c[2].number_input(
            "G steps per round", 1, 100, cfg["g_steps"], key=f"{key}_gsteps", **outside()
        )
        batch = c[3].select_slider(
            "batch size",
            sorted({16, 32, 64, 128, 256, 512, 1024, cfg["batch_size"]}),
            value=cfg["batch_size"],
            key=f"{key}_batch",
            **outside(),
        )
        changes: dict[str, Any] = dict(
            loss=loss, d_steps=int(d_steps), g_steps=int(g_steps), batch_size=int(batch)
        )
        for net, label in (("g", "generator"), ("d", "discriminator")):
            c = st.columns(4)
            opts = list(OPTIMIZERS)
            changes[f"optimizer_{net}"] = c[0].selectbox(
                f"{label} optimizer",
                opts,
                index=opts.index(cfg[f"optimizer_{net}"]),
                key=f"{key}_opt_{net}",
                **outside(),
            )
            lr = float(cfg[f"lr_{net}"])
            changes[f"lr_{net}"] = c[1].number_input(
                f"{label} learning rate",
                min_value=min(1e-6, lr),
                max_value=max(1.0, lr),
                value=lr,
                format="%.6f",
                step=1e-4,
                key=f"{key}_lr_{net}",
                **outside(),
            )
            b1, b2 = cfg[f"betas_{net}"]
            b1, b2 = float(b1), float(b2)
            beta1 = c[2].slider(
                f"{label} β1", 0.0, max(0.99, b1), b1, 0.01, key=f"{key}_b1_{net}", **outside()
            )
            beta2 = c[3].slider(
                f"{label} β2",
                min(0.9, b2),
                0.9999,
                b2,
                0.0001,
                format="%.4f",
                key=f"{key}_b2_{net}",
                **outside(),
            )
            changes[f"betas_{net}"] = [beta1, beta2]
        c = st.columns(3)
        if LOSSES[loss].needs_clipping:
            clip = float(cfg["clip_value"])
            changes["clip_value"] = c[0].number_input(
                "WGAN clip c",
                min(0.001, clip),
                max(1.0, clip),
                clip,
                0.005,
                format="%.3f",
                key=f"{key}_clip",
                **outside(),
            )
        if LOSSES[loss].needs_gp:
            changes["gp_lambda"] = c[1].number_input(
                "gradient penalty λ",
                0.0,
                max(100.0, float(cfg["gp_lambda"])),
                float(cfg["gp_lambda"]),
                0.1,
                key=f"{key}_gp",
                **outside(),
            )
        chosen = stabilizers_ui(key, cfg, images=MODEL_KINDS[lab.handle.kind].images)
        live, shape = split(chosen, cfg)
        changes.update({k: v for k, v in chosen.items() if k not in STRUCTURAL})
        current = {k: cfg[k] for k in changes}
        current["betas_g"], current["betas_d"] = list(cfg["betas_g"]), list(cfg["betas_d"])
        if changes != current:
            try:
                lab.handle.configure(which=which, **changes)
                if which == "a":
                    lab.preset["train"].update(lab.config)
            except ValueError as err:
                st.error(f"Not applied: {err}")
            except LiveError as err:
                st.error(f"Not applied: {err}.")
        if shape:
            _reshape(lab, which, shape)


def _reshape(lab: Lab, which: str, shape: dict[str, Any]) -> None:
    """Start run ``which`` again from the seed with settings that change D's shape."""
    cfg = lab.config if which == "a" else lab.handle.b["config"]
    preset = {**lab.preset, "train": {**lab.preset["train"], **cfg, **shape}}
    try:
        lab.handle.reset(which=which, preset=preset)
    except (ValueError, LiveError) as err:
        st.error(f"Not applied: {err}")
        return
    if which == "a":
        lab.preset = preset
        lab.timeline.clear()
    st.rerun()
