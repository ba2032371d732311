"""What the 1D and 2D labs share: per-user training state, controls, and the live loop.

Per-user state lives in ``st.session_state`` (one ``Lab`` per page), so one person's run
never shows in another's. A fragment with ``run_every`` trains for a small time slice and
redraws; AppTest does not fire timers, so every live control also has a button that drives
the very same ``advance`` function.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st
import torch

from gancore import metrics, probes
from gancore.checkpoint import CheckpointError
from gancore.hub import checkpoint_zip_bytes, extract_checkpoint_zip, push_checkpoint
from gancore.losses import LOSSES
from gancore.plots import lab as lplots
from gancore.presets import build_from_preset, list_presets, resolve_preset
from gancore.toy import ToyDistribution, toy_names
from gancore.train import OPTIMIZERS, DivergedError, Trainer
from gancore.user_data import parse_points_csv, rescale_points
from pages import _hosted as hosted
from pages._hosted import configure_torch

# A tick trains for the slice, then draws (~30 ms for the 2D lab); ticks are requested every
# REFRESH_SECONDS and queue while one runs. With the browser on the same 2-core box, the browser
# is the limit (lab_refresh): once the charts updated in place (pages/_live_chart.py), 0.16 s
# gave 4.4-5.3 chart redraws a second and ~35% more training rounds than 0.2 s (4.3-4.7); with
# the curves redrawn every 2 s, 4.7-5.5.
REFRESH_SECONDS = 0.16
TRAIN_SLICE_SECONDS = 0.08  # of each refresh, the part spent training
N_SHOWN = 600  # samples drawn on the figure
N_METRIC = 2000  # samples behind the metrics

LOSS_LABELS = {
    "minimax": "minimax (saturating)",
    "non_saturating": "non-saturating",
    "least_squares": "least squares (LSGAN)",
    "hinge": "hinge",
    "wgan": "WGAN (weight clipping)",
    "wgan_gp": "WGAN-GP (gradient penalty)",
}


@dataclass
class Lab:
    """One user's run on one lab page."""

    preset: dict[str, Any]
    trainer: Trainer
    dist: ToyDistribution
    running: bool = False
    error: str | None = None
    # Fixed noise and data for what is drawn, so points move smoothly instead of flickering.
    real_shown: np.ndarray | None = None
    real_metric: np.ndarray | None = None
    timeline: list[dict[str, float]] = field(default_factory=list)
    steps_per_second: float = 0.0
    name: str = ""  # the preset this run started from: widget keys hang on it

    def fixed_fakes(self, n: int) -> np.ndarray:
        """G's samples from the same noise every time, so the picture moves smoothly.

        The live generator, not its EMA: D's field and the gradient arrows are about it.
        """
        g = torch.Generator().manual_seed(12345)
        G = self.trainer.generator
        with probes.evaluating(G), torch.no_grad():
            return G(G.sample_latent(n, generator=g)).numpy().astype(np.float64)


def new_lab(preset: dict[str, Any], name: str) -> Lab:
    configure_torch()
    trainer, dist = build_from_preset(preset)
    g = torch.Generator().manual_seed(2024)
    real_metric = dist.sample(N_METRIC, g).numpy().astype(np.float64)
    return Lab(
        preset=preset,
        trainer=trainer,
        dist=dist,
        real_shown=real_metric[:N_SHOWN],
        real_metric=real_metric,
        name=name,
    )


def presets_for(dim: int) -> dict[str, str]:
    out = {}
    for name, description in list_presets().items():
        p = resolve_preset(name)
        if p["model"]["data_dim"] == dim:
            out[name] = description
    return out


def get_lab(key: str, default_preset: str) -> Lab:
    if key not in st.session_state:
        st.session_state[key] = new_lab(resolve_preset(default_preset), default_preset)
    return st.session_state[key]


def advance(
    lab: Lab,
    *,
    seconds: float | None = None,
    steps: int | None = None,
    only: str | None = None,
) -> int:
    """Train for a time slice or a number of rounds (``only='d'`` or ``'g'``: one round of
    just that network); a diverged run stops and says so."""
    if lab.error:
        return 0
    configure_torch()
    t0 = time.perf_counter()
    try:
        if only is not None:
            lab.trainer.step(update_d=only == "d", update_g=only == "g")
            return 1
        done = len(lab.trainer.run(steps=steps, seconds=seconds))
    except DivergedError as err:
        lab.running = False
        lab.error = (
            f"Training diverged at step {lab.trainer.step_count}: {err} The last good state "
            "is kept. Lower the learning rates (or switch loss) and press Resume."
        )
        return 0
    dt = time.perf_counter() - t0
    if done and dt > 0:
        lab.steps_per_second = done / dt
    return done


def setup_ui(key: str, dim: int, default_preset: str) -> Lab:
    """Preset, dataset and seed pickers; rebuilding the lab when any of them changes."""
    lab = get_lab(key, default_preset)
    presets = presets_for(dim)
    names = list(presets)
    c1, c2, c3 = st.columns([3, 2, 1])
    preset_name = c1.selectbox(
        "preset",
        names,
        index=names.index(default_preset),
        key=f"{key}_preset",
        help="A preset is a tuned good default: press Train and it converges.",
        format_func=lambda n: f"{n} — {presets[n]}",
    )
    datasets = [n for n in toy_names(dim) if n != "points"] + (["points"] if dim == 2 else [])
    dataset = c2.selectbox(
        "data",
        datasets,
        index=datasets.index(resolve_preset(preset_name)["data"]["name"]),
        key=f"{key}_dataset_{preset_name}",
        format_func=lambda n: "your points (draw or upload)" if n == "points" else n,
    )
    seed = c3.number_input("seed", 0, 2**31 - 1, 0, 1, key=f"{key}_seed")
    wanted = resolve_preset(preset_name, seed=int(seed))
    if dataset == "points":
        points = points_ui(key)
        if points is None:
            st.stop()
        wanted["data"] = {"name": "points", "points": points.tolist()}
    elif dataset != wanted["data"]["name"]:
        wanted["data"] = {"name": dataset}
    if _identity(lab.name, lab.preset) != _identity(preset_name, wanted):
        lab = st.session_state[key] = new_lab(wanted, preset_name)
    return lab


def _identity(name: str, preset: dict[str, Any]) -> tuple:
    # What needs fresh models when it changes (the live-editable training knobs excluded).
    data = json.dumps(preset["data"], sort_keys=True)
    return (
        name,
        hashlib.sha1(data.encode()).hexdigest(),
        str(preset["model"]),
        preset["train"]["seed"],
    )


def points_ui(key: str) -> np.ndarray | None:
    """Your own data: drawn on a canvas or uploaded as CSV; None until there is enough."""
    how = st.radio(
        "your points",
        ["draw them", "upload a CSV"],
        horizontal=True,
        key=f"{key}_points_how",
        label_visibility="collapsed",
    )
    return draw_points_ui(key) if how == "draw them" else csv_points_ui(key)


def csv_points_ui(key: str) -> np.ndarray | None:
    """A CSV of x,y rows: parsed strictly, rescaled into the lab's view; None until valid."""
    upload = st.file_uploader(
        "your points: a CSV of x,y rows (header optional, up to 10,000 rows, 2 MB)",
        type=["csv", "txt"],
        key=f"{key}_points_file",
    )
    if upload is None:
        st.info("Upload a CSV of points to train on them; they are rescaled to fit [-3, 3].")
        return None
    try:
        points = parse_points_csv(upload.getvalue())
    except ValueError as err:
        st.error(f"That file cannot be used: {err}.")
        return None
    return rescale_points(points)


CANVAS = np.linspace(-3.0, 3.0, 61)  # the drawing canvas: a 61 x 61 lattice of paintable dots


def draw_points_ui(key: str) -> np.ndarray | None:
    """Paint points by box- or lasso-selecting (or clicking) dots of the canvas; each selection
    adds the dots it covers. Returns the drawing once it has enough points to train on."""
    drawn: list[tuple[float, float]] = st.session_state.setdefault(f"{key}_drawn", [])
    gx, gy = np.meshgrid(CANVAS, CANVAS)
    fig = lplots.canvas_figure(gx.ravel(), gy.ravel(), np.array(drawn).reshape(-1, 2))
    event = st.plotly_chart(
        fig,
        key=f"{key}_canvas",
        on_select="rerun",
        selection_mode=("box", "lasso", "points"),
        width="stretch",
    )
    picked = [
        (round(float(p["x"]), 3), round(float(p["y"]), 3))
        for p in (event.selection.points if event else [])
        if p.get("curve_number") == 0
    ]
    new = [p for p in picked if p not in set(drawn)]
    if new:
        drawn.extend(new)
        st.rerun()
    c1, c2 = st.columns([1, 3])
    if c1.button("Clear the drawing", key=f"{key}_clear"):
        drawn.clear()
        st.rerun()
    c2.caption(
        f"{len(drawn)} points. Use the box or lasso tool above the canvas (or click dots) to "
        "paint; each selection adds its dots. Train once you have 20 or more."
    )
    return np.array(drawn, dtype=np.float64) if len(drawn) >= 20 else None


def transport_ui(
    key: str,
    lab: Any,
    reset: Callable[[], Any],
    *,
    step_sizes: tuple[int, ...] = (1, 10, 100),
    extra: Callable[[Any], None] | None = None,
) -> None:
    """Train / Pause, single steps, Reset (``reset()`` builds the fresh run), and ``extra``.

    ``lab`` is any run with ``trainer``, ``running`` and ``error`` (toy or image).
    """
    cols = st.columns([1.3] + [1] * (len(step_sizes) + 1) + [2.4])
    if lab.running:
        if cols[0].button(
            "Pause", icon=":material/pause:", key=f"{key}_pause", type="primary", width="stretch"
        ):
            lab.running = False
            hosted.slots().release(hosted.owner(key))
            st.rerun()
    elif cols[0].button(
        "Resume" if lab.trainer.step_count else "Train",
        icon=":material/play_arrow:",
        key=f"{key}_play",
        type="primary",
        width="stretch",
    ):
        start_training(key, lab)
        st.rerun()
    for col, n in zip(cols[1:], step_sizes, strict=False):
        label, suffix = ("Step", "") if n == 1 else (f"Step ×{n}", str(n))
        if col.button(label, key=f"{key}_step{suffix}", width="stretch", help="k D steps, then G"):
            lab.error = None
            advance(lab, steps=n)
    if cols[len(step_sizes) + 1].button(
        "Reset", key=f"{key}_reset", width="stretch", help="fresh models, same settings"
    ):
        st.session_state[key] = reset()
        hosted.slots().release(hosted.owner(key))
        st.rerun()
    if extra is not None:
        with cols[-1]:
            extra(lab)
    notice = st.session_state.get(f"{key}_notice")
    if notice:
        st.warning(notice)
    c_d, c_g, _ = st.columns([1, 1, 4])
    if c_d.button("Step D only", key=f"{key}_step_d", help="k D updates; G stays as it is"):
        lab.error = None
        advance(lab, only="d")
    if c_g.button("Step G only", key=f"{key}_step_g", help="G updates; D stays as it is"):
        lab.error = None
        advance(lab, only="g")


def start_training(key: str, lab: Any) -> bool:
    """Press Train: take one of the server's training slots, or say it is busy."""
    st.session_state.pop(f"{key}_notice", None)
    if lab.trainer.step_count >= hosted.limits().max_steps:
        st.session_state[f"{key}_notice"] = _step_cap_message()
        return False
    if not hosted.slots().acquire(hosted.owner(key)):
        st.session_state[f"{key}_notice"] = hosted.busy_message(hosted.slots().capacity)
        return False
    lab.error, lab.running = None, True
    return True


def _step_cap_message() -> str:
    cap = hosted.limits().max_steps
    return (
        f"This server stops a run at {cap:,} steps (GANCORE_MAX_STEPS). The model is kept: "
        "download it, or train longer from the command line."
    )


def speed_ui(key: str) -> None:
    st.slider(
        "steps per refresh (at most)",
        1,
        500,
        100,
        key=f"{key}_speed",
        help=f"Each refresh ({1 / REFRESH_SECONDS:.0f} per second) trains for at most "
        f"{TRAIN_SLICE_SECONDS:.2f} s or this many rounds, whichever comes first.",
    )


def live_loop(
    key: str,
    running: bool,
    draw: Callable[[Any], None],
    *,
    refresh: float = REFRESH_SECONDS,
    slice_seconds: float = TRAIN_SLICE_SECONDS,
    max_steps: Callable[[Any], int] | None = None,
    threads: int = 1,
    draw_slow: Callable[[Any], None] | None = None,
    slow_refresh: float = 2.0,
) -> None:
    """The live part of a lab: a fragment that trains a time slice, then redraws, ``refresh``
    times a second while running. A run that stops itself (diverged, or reached
    ``max_steps``) reruns the whole page, which turns the timer off.

    ``draw_slow`` (curves over time) is a second fragment redrawn every ``slow_refresh``
    seconds, which spares the browser re-rendering them on every tick (every 2 s rather than
    1 s: 4.7-5.5 chart redraws a second against 4.4-4.6 in lab_refresh). (A training slice
    that shrank when drawing was slow starved training on a loaded server: 0.2 rounds/s per
    session with 8 sessions, so the slice is fixed.)"""

    @st.fragment(run_every=refresh if running else None)
    def live() -> None:
        lab = st.session_state[key]
        configure_torch(threads)
        if lab.running:
            slots, me = hosted.slots(), hosted.owner(key)
            limit = (
                int(st.session_state.get(f"{key}_speed", 100))
                if max_steps is None
                else max_steps(lab)
            )
            room = hosted.limits().max_steps - lab.trainer.step_count
            if room <= 0:
                st.session_state[f"{key}_notice"] = _step_cap_message()
            if not slots.acquire(me):  # our slot lapsed (a long stall) and others took them
                st.session_state[f"{key}_notice"] = hosted.busy_message(slots.capacity)
                lab.running = False
            limit = min(limit, room)
            if lab.running and limit > 0:
                advance(lab, seconds=slice_seconds, steps=limit)
            if limit <= 0 or not lab.running:
                lab.running = False
                slots.release(me)
                st.rerun(scope="app")
        draw(lab)

    live()
    if draw_slow is not None:

        @st.fragment(run_every=slow_refresh if running else None)
        def slow() -> None:
            draw_slow(st.session_state[key])

        slow()


def hyperparameters_ui(key: str, lab: Lab) -> None:
    """Live-editable training knobs (applied without resetting, as GAN Lab's edit mode).

    Widget keys include the preset, so switching presets shows that preset's own settings.
    """
    cfg = lab.trainer.config
    key = f"{key}_{lab.name}"
    with st.expander("Training hyperparameters — applied live", expanded=False):
        c = st.columns(4)
        losses = list(LOSSES)
        loss = c[0].selectbox(
            "loss",
            losses,
            index=losses.index(cfg.loss),
            format_func=LOSS_LABELS.get,
            key=f"{key}_loss",
        )
        d_steps = c[1].number_input("k: D steps per round", 1, 20, cfg.d_steps, key=f"{key}_k")
        g_steps = c[2].number_input("G steps per round", 1, 20, cfg.g_steps, key=f"{key}_gsteps")
        batch = c[3].select_slider(
            "batch size",
            [16, 32, 64, 128, 256, 512, 1024],
            value=cfg.batch_size,
            key=f"{key}_batch",
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
                index=opts.index(getattr(cfg, f"optimizer_{net}")),
                key=f"{key}_opt_{net}",
            )
            changes[f"lr_{net}"] = c[1].number_input(
                f"{label} learning rate",
                min_value=1e-6,
                max_value=1.0,
                value=float(getattr(cfg, f"lr_{net}")),
                format="%.6f",
                step=1e-4,
                key=f"{key}_lr_{net}",
            )
            b1, b2 = getattr(cfg, f"betas_{net}")
            beta1 = c[2].slider(f"{label} β1", 0.0, 0.99, float(b1), 0.01, key=f"{key}_b1_{net}")
            beta2 = c[3].slider(
                f"{label} β2", 0.9, 0.9999, float(b2), 0.0001, format="%.4f", key=f"{key}_b2_{net}"
            )
            changes[f"betas_{net}"] = (beta1, beta2)
        c = st.columns(3)
        if LOSSES[loss].needs_clipping:
            changes["clip_value"] = c[0].number_input(
                "WGAN clip c",
                0.001,
                1.0,
                float(cfg.clip_value),
                0.005,
                format="%.3f",
                key=f"{key}_clip",
            )
        if LOSSES[loss].needs_gp:
            changes["gp_lambda"] = c[1].number_input(
                "gradient penalty λ", 0.0, 100.0, float(cfg.gp_lambda), 0.1, key=f"{key}_gp"
            )
        current = {k: getattr(cfg, k) for k in changes}
        current["betas_g"], current["betas_d"] = tuple(cfg.betas_g), tuple(cfg.betas_d)
        if changes != current:
            try:
                lab.trainer.update_config(**changes)
                lab.preset["train"].update(lab.trainer.config.to_dict())
            except ValueError as err:
                st.error(f"Not applied: {err}")


def record_timeline(lab: Lab, extra: dict[str, float]) -> dict[str, float]:
    """Append one row of what the pages plot over time (losses from the last round + extras)."""
    last = lab.trainer.history[-1] if lab.trainer.history else {}
    row = {
        "step": float(lab.trainer.step_count),
        **{k: float(v) for k, v in last.items() if k != "step"},
        **extra,
    }
    if not lab.timeline or lab.timeline[-1]["step"] != row["step"]:
        lab.timeline.append(row)
    else:
        lab.timeline[-1] = row
    del lab.timeline[:-2000]  # bounded: a long session must not grow without end
    return row


def toy_metrics(lab: Lab, fakes: np.ndarray) -> dict[str, float]:
    """Mode coverage (where the data has modes) and grid KL/JS against the fixed real set."""
    out: dict[str, float] = {}
    dist = lab.dist
    if dist.modes is not None and dist.mode_std is not None:
        m = metrics.mode_metrics(fakes, dist.modes, dist.mode_std)
        out.update(
            modes_captured=m["modes_captured"],
            num_modes=m["num_modes"],
            high_quality_share=m["high_quality_share"],
            reverse_kl=m["reverse_kl"],
        )
    g = metrics.grid_divergences(
        lab.real_metric, fakes, dist.bounds, bins=40 if dist.dim == 2 else 100
    )
    out.update(grid_kl=g["kl_data_g"], grid_kl_rev=g["kl_g_data"], grid_js=g["js"])
    return out


def status_line(lab: Lab) -> None:
    if lab.error:
        st.error(lab.error)
    elif lab.running:
        st.caption(
            f"Training… step {lab.trainer.step_count:,} · {lab.steps_per_second:,.0f} rounds/s"
        )
    else:
        st.caption(
            f"Paused at step {lab.trainer.step_count:,}."
            if lab.trainer.step_count
            else "Press Train, or Step."
        )


def export_ui(key: str, lab: Lab) -> None:
    """Download the run as a checkpoint folder (the CLI's format) in a zip, and its samples."""
    c1, c2 = st.columns(2)
    if c1.button("Package the model as a checkpoint zip", key=f"{key}_package"):
        with st.spinner("Writing the checkpoint…"):
            st.session_state[f"{key}_zip"] = (lab.trainer.step_count, checkpoint_zip(lab))
    packed = st.session_state.get(f"{key}_zip")
    if packed is not None:
        step, data = packed
        c1.download_button(
            f"Download checkpoint (step {step:,}, {len(data) / 1024:.0f} KB)",
            data=data,
            file_name=f"gancore-{lab.name}-step{step}.zip",
            mime="application/zip",
            key=f"{key}_zip_download",
        )
        with c1:
            push_ui(key, data, lab.name)
    fakes = lab.fixed_fakes(2000)
    buf = io.StringIO()
    header = "x,y" if fakes.shape[1] == 2 else "x"
    np.savetxt(buf, fakes, delimiter=",", header=header, comments="", fmt="%.6f")
    c2.download_button(
        "Download 2,000 samples (CSV)",
        data=buf.getvalue(),
        file_name=f"gancore-{lab.name}-step{lab.trainer.step_count}.csv",
        mime="text/csv",
        key=f"{key}_csv",
    )


def push_ui(key: str, packed: bytes, name: str) -> None:
    """Push a packaged checkpoint (the download's zip) to a Hugging Face Hub model repo."""
    with st.expander("Push it to the Hugging Face Hub"):
        c1, c2, c3 = st.columns([3, 3, 1.2])
        repo = c1.text_input(
            "repo id", placeholder=f"your-name/gancore-{name}", key=f"{key}_push_repo"
        ).strip()
        token = (
            c2.text_input(
                "token with write access",
                type="password",
                key=f"{key}_push_token",
                help="huggingface.co/settings/tokens; left empty, your `hf auth login` token",
            ).strip()
            or None
        )
        private = c3.checkbox("private", key=f"{key}_push_private")
        if st.button("Push", key=f"{key}_push", disabled=not repo):
            try:
                with st.spinner(f"Uploading to {repo}…"), tempfile.TemporaryDirectory() as tmp:
                    folder = extract_checkpoint_zip(packed, tmp)
                    url = push_checkpoint(folder, repo, private=private, token=token)
            except (CheckpointError, ValueError) as err:
                st.error(f"Not pushed: {err}")
            else:
                st.success(f"Pushed, with its model card: {url}")


def checkpoint_zip(lab: Lab) -> bytes:
    """The run saved with gancore.checkpoint (config.json, weights, card, sample) as zip bytes."""
    from gancore import render
    from gancore.runs import toy_quality

    trainer = lab.trainer
    g = torch.Generator().manual_seed(1234)
    fakes = trainer.sample(2500, generator=g).numpy().astype(np.float64)
    config = {
        "kind": "toy",
        "description": lab.preset.get("description", ""),
        "model": lab.preset["model"],
        "train": trainer.config.to_dict(),
        "data": lab.preset["data"],
        "metrics": {"step": trainer.step_count, **toy_quality(fakes, lab.dist)},
        "command": f"trained in the gancore app's lab from preset {lab.name!r}",
    }
    png = render.to_png(render.scatter(fakes[:1000], real=lab.real_shown, bounds=lab.dist.bounds))
    return checkpoint_zip_bytes(
        f"gancore-{lab.name}",
        generator=trainer.ema_generator or trainer.generator,
        discriminator=trainer.discriminator,
        config=config,
        sample_png=png,
    )
