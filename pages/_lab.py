"""What the live pages share: per-user runs held in worker processes, controls, the live loop.

Per-user state lives in ``st.session_state`` (one ``Lab`` per page): a handle on a run that a
training worker owns (gancore.live), so one person's run never shows in another's and no
torch work runs in the web server. The live part of a page is a fragment that asks the worker
for the newest view and draws it; the page's pacing chart sends each drawn refresh back
(pages/_live_chart.py), which asks for the next, so refreshes never outrun the server or the
browser. AppTest fires no timers and draws no charts: every live control also has a button
that drives the very same handle.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from gancore.checkpoint import CheckpointError
from gancore.hub import extract_checkpoint_zip, push_checkpoint
from gancore.live import LiveError, LiveHandle
from gancore.losses import LOSSES, LossSpec
from gancore.plots import lab as lplots
from gancore.presets import list_presets, resolve_preset
from gancore.toy import toy_names
from gancore.train import OPTIMIZERS
from gancore.user_data import parse_points_csv, rescale_points
from pages import _hosted as hosted
from pages import _links as links_ui
from pages._live_chart import live_chart, reusing
from pages._stabilizers import STRUCTURAL, split, stabilizers_ui

# The labs' pacing: at most one refresh in flight per page, and no sooner than PACE_SECONDS
# after the last one was drawn, or later when many runs share the server (see pace()). The
# curves over time are rebuilt every CURVES_SECONDS.
PACE_SECONDS = 0.15
CURVES_SECONDS = 2.0
# A busy server slows each page's refreshes (pace()): a 2D refresh costs ~10 ms in its
# worker (D's field, G's manifold, metrics) and ~16 ms in the server (server_load, 8 users),
# all taken from training. With PACE_PER_RUN_PER_WORKER the gap grows as the square root of
# the runs per worker: 0.28 s for 8 runs on 2 workers (~3.5 refreshes a second each, half
# the machine left to training), 0.57 s for 32.
PACE_PER_RUN_PER_WORKER = 0.14
SPEEDS = {"1 / s": 1.0, "5 / s": 5.0, "20 / s": 20.0, "100 / s": 100.0, "as fast as it goes": None}

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


def setup_ui(key: str, dim: int, default_preset: str) -> Lab:
    """Preset, dataset and seed pickers, set from the page's link if it has one; rebuilding
    the lab when any of them (or the link) changes."""
    page = f"lab-{dim}d"
    presets = presets_for(dim)
    names = list(presets)

    def from_link(link: links_ui.Link, resolved: dict[str, Any]) -> None:
        st.session_state[f"{key}_preset"] = link.preset
        st.session_state[f"{key}_seed"] = resolved["train"]["seed"]
        st.session_state[f"{key}_dataset_{link.preset}"] = resolved["data"]["name"]
        if dim == 2:
            layers = link.view.get("view.layers", ",".join(lplots.LAYERS_2D))
            st.session_state[f"{key}_layers"] = [v for v in layers.split(",") if v]

    link = links_ui.opened(key, page, from_link)
    st.session_state.setdefault(f"{key}_preset", default_preset)
    c1, c2, c3 = st.columns([3, 2, 1])
    preset_name = c1.selectbox(
        "preset",
        names,
        key=f"{key}_preset",
        help="A preset is a tuned good default: press Train and it converges.",
        format_func=lambda n: f"{n} — {presets[n]}",
    )
    datasets = [n for n in toy_names(dim) if n != "points"] + (["points"] if dim == 2 else [])
    st.session_state.setdefault(
        f"{key}_dataset_{preset_name}", resolve_preset(preset_name)["data"]["name"]
    )
    dataset = c2.selectbox(
        "data",
        datasets,
        key=f"{key}_dataset_{preset_name}",
        format_func=lambda n: "your points (draw or upload)" if n == "points" else n,
    )
    st.session_state.setdefault(f"{key}_seed", 0)
    seed = c3.number_input("seed", 0, 2**31 - 1, step=1, key=f"{key}_seed")
    overrides = [] if dataset == "points" else [f"data.name={dataset}"]
    overrides += links_ui.fixed_overrides(link, preset_name, dataset)
    wanted = resolve_preset(preset_name, seed=int(seed), overrides=overrides)
    if dataset == "points":
        points = points_ui(key)
        if points is None:
            st.stop()
        wanted["data"] = {"name": "points", "points": points.tolist()}
    lab = st.session_state.get(key)
    relink = links_ui.relink(key)
    if lab is None or relink or _identity(lab.name, lab.preset) != _identity(preset_name, wanted):
        try:
            lab = new_lab(wanted, preset_name)
        except LiveError as err:  # no worker could take it (the server is overloaded)
            st.error(f"This run could not be started: {err}. Reload the page in a moment.")
            st.stop()
        replace_lab(key, lab)
        if relink and link is not None and link.b:  # the link holds an A / B comparison
            for k in [k for k in st.session_state if str(k).startswith(f"{key}_b_")]:
                del st.session_state[k]
            call(lambda: lab.handle.fork(fresh=True, **link.b_changes()))
    return lab


def share_ui(key: str, lab: Lab, *, view: dict[str, str] | None = None) -> None:
    """The page's setting in its URL, and a link to copy (see pages/_links.py)."""
    page = f"lab-{lab.preset['model']['data_dim']}d"
    current = {**lab.preset, "train": {**lab.preset["train"], **lab.config}}
    drawn = lab.preset["data"]["name"] == "points"
    b = lab.handle.b
    links_ui.share_ui(
        key,
        page,
        lab.name,
        current,
        view=view,
        b_train=None if b is None else b["config"],
        unlinkable="Your own points are not part of a link." if drawn else None,
    )


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
    lab: Lab,
    *,
    step_sizes: tuple[int, ...] = (1, 10, 100),
    extra: Callable[[Lab], None] | None = None,
    stop_at: Callable[[Lab], int] | None = None,
) -> None:
    """Train / Pause, single steps, Reset (fresh models, same settings), and ``extra``.

    ``stop_at(lab)`` is where a run pauses by itself (the image page's target); the server's
    step cap always applies."""
    call(lab.handle.refresh)
    stopped_by_itself(key, lab)
    cols = st.columns([1.3] + [1] * (len(step_sizes) + 1) + [2.4])
    handle = lab.handle
    if lab.running:
        if cols[0].button(
            "Pause", icon=":material/pause:", key=f"{key}_pause", type="primary", width="stretch"
        ):
            call(lambda: handle.train(False))
            hosted.slots().release(hosted.owner(key))
            st.rerun()
    elif cols[0].button(
        "Resume" if lab.step_count else "Train",
        icon=":material/play_arrow:",
        key=f"{key}_play",
        type="primary",
        width="stretch",
    ):
        start_training(key, lab, stop_at(lab) if stop_at else None)
        st.rerun()
    for col, n in zip(cols[1:], step_sizes, strict=False):
        label, suffix = ("Step", "") if n == 1 else (f"Step ×{n}", str(n))
        if col.button(label, key=f"{key}_step{suffix}", width="stretch", help="k D steps, then G"):
            room = hosted.limits().max_steps - lab.step_count
            if room <= 0:
                st.session_state[f"{key}_notice"] = _step_cap_message()
            else:
                steps = min(n, room)
                call(lambda steps=steps: handle.step(steps))
    if cols[len(step_sizes) + 1].button(
        "Reset", key=f"{key}_reset", width="stretch", help="fresh models, same settings"
    ):
        hosted.slots().release(hosted.owner(key))
        call(handle.reset)
        lab.timeline.clear()
        st.rerun()
    if extra is not None:
        with cols[-1]:
            extra(lab)
    notice = st.session_state.get(f"{key}_notice") or lab.status.get("notice")
    if notice:
        st.warning(notice)
    if handle.notice:
        st.info(handle.notice)
    c_d, c_g, _ = st.columns([1, 1, 4])
    if c_d.button("Step D only", key=f"{key}_step_d", help="k D updates; G stays as it is"):
        call(lambda: handle.step(only="d"))
    if c_g.button("Step G only", key=f"{key}_step_g", help="G updates; D stays as it is"):
        call(lambda: handle.step(only="g"))


def start_training(key: str, lab: Lab, stop_at: int | None = None) -> bool:
    """Press Train: take one of the server's training slots, or say it is busy."""
    st.session_state.pop(f"{key}_notice", None)
    cap = hosted.limits().max_steps
    if lab.step_count >= cap:
        st.session_state[f"{key}_notice"] = _step_cap_message()
        return False
    if not hosted.slots().acquire(hosted.owner(key)):
        st.session_state[f"{key}_notice"] = hosted.busy_message(hosted.slots().capacity)
        return False
    stop = cap if stop_at is None else min(cap, stop_at)
    if call(lambda: lab.handle.train(True, stop_at=stop)) is None:
        hosted.slots().release(hosted.owner(key))
        return False
    return True


def _step_cap_message() -> str:
    cap = hosted.limits().max_steps
    return (
        f"This server stops a run at {cap:,} steps (GANCORE_MAX_STEPS). The model is kept: "
        "download it, or train longer from the command line."
    )


def speed_ui(key: str, lab: Lab) -> None:
    """How fast a running lab trains: slow enough to watch each round, or flat out."""
    choice = st.select_slider(
        "speed (rounds per second)",
        list(SPEEDS),
        value="as fast as it goes",
        key=f"{key}_speed",
        help="Slow it down to watch each round; the server trains between refreshes.",
    )
    rate = SPEEDS[choice]
    if lab.extra.get("rate", "unset") != rate and call(lambda: lab.handle.speed(rate)):
        lab.extra["rate"] = rate


def live_loop(
    key: str,
    lab: Lab,
    draw: Callable[[Lab, dict[str, Any] | None], None],
    view: Callable[[Lab], dict[str, Any]],
    *,
    draw_slow: Callable[[Lab], None] | None = None,
    slow_refresh: float = CURVES_SECONDS,
) -> None:
    """The live part of a page: a fragment that asks the worker for the newest ``view`` and
    hands it to ``draw``. While running, ``draw`` passes ``tick=next_tick(lab)`` to its pacing
    chart, whose acknowledgement of each drawn refresh reruns this fragment. A run that stopped
    by itself (diverged, reached its cap or target, paused for want of a viewer) reruns the
    whole page, which turns the buttons back to Train.

    ``draw_slow`` (curves over time) draws in the same fragment, but builds its charts (given
    to live_chart as callables) only every ``slow_refresh`` seconds while running, showing
    the last ones in between. (As a second fragment with its own ``run_every`` timer, each of
    its timer reruns cut a paced refresh short: 136 in 25 s with 8 users in server_load.)"""
    lab.shown_running = lab.running
    lab.extra["curves_at"] = 0.0  # a full run draws every chart afresh

    @st.fragment
    def live() -> None:
        lab: Lab = st.session_state[key]
        if lab.shown_running and not hosted.slots().acquire(hosted.owner(key)):
            # our slot lapsed (a long stall) and others took them all
            st.session_state[f"{key}_notice"] = hosted.busy_message(hosted.slots().capacity)
            call(lambda: lab.handle.train(False))
        seen = call(lambda: view(lab))
        if stopped_by_itself(key, lab):
            st.rerun(scope="app")
        draw(lab, seen)
        if draw_slow is not None:
            now = time.monotonic()
            fresh = not lab.shown_running or now - lab.extra.get("curves_at", 0.0) >= slow_refresh
            if fresh:
                timelines = call(lab.handle.timelines)
                if timelines is not None:
                    lab.timeline, lab.extra["b_timeline"] = timelines
                lab.extra["curves_at"] = now
            with reusing(not fresh):
                draw_slow(lab)

    live()


def stopped_by_itself(key: str, lab: Lab) -> bool:
    """True (once) when a run the page shows as running has stopped in its worker: it
    diverged, reached the step cap or its target, or paused for want of a viewer."""
    if not lab.shown_running or lab.running:
        return False
    lab.shown_running = False
    hosted.slots().release(hosted.owner(key))
    if lab.step_count >= hosted.limits().max_steps:
        st.session_state[f"{key}_notice"] = _step_cap_message()
    return True


def pace(minimum: float = PACE_SECONDS) -> float:
    """Seconds between one page's refreshes: ``minimum`` on a quiet server, longer as more
    runs train at once (as the square root of the runs per worker), so that what each visitor
    sees stays smooth, only less often, and training keeps its share of the machine."""
    pool = hosted.pool()
    return max(minimum, PACE_PER_RUN_PER_WORKER * math.sqrt(pool.running() / pool.size))


def live_picture(
    lab: Lab,
    fig: dict[str, Any],
    numbers: Callable[[], None],
    *,
    key: str,
    config: dict[str, Any] | None = None,
) -> None:
    """A lab's picture beside its numbers; the picture paces the page's refreshes."""
    c_fig, c_num = st.columns([3, 1.1])
    with c_num:  # the numbers before the chart, whose acknowledgement asks for the next refresh
        numbers()
    with c_fig:
        live_chart(fig, key=key, tick=next_tick(lab), pace=pace(), config=config)


def next_tick(lab: Lab) -> int | None:
    """The tick for the pacing chart: a new one per refresh while running, None when paused."""
    if not lab.shown_running:
        return None
    lab.tick += 1
    return lab.tick


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
        )
        d_steps = c[1].number_input("k: D steps per round", 1, 100, cfg["d_steps"], key=f"{key}_k")
        g_steps = c[2].number_input(
            "G steps per round", 1, 100, cfg["g_steps"], key=f"{key}_gsteps"
        )
        batch = c[3].select_slider(
            "batch size",
            sorted({16, 32, 64, 128, 256, 512, 1024, cfg["batch_size"]}),
            value=cfg["batch_size"],
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
                index=opts.index(cfg[f"optimizer_{net}"]),
                key=f"{key}_opt_{net}",
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
            )
            b1, b2 = cfg[f"betas_{net}"]
            b1, b2 = float(b1), float(b2)
            beta1 = c[2].slider(f"{label} β1", 0.0, max(0.99, b1), b1, 0.01, key=f"{key}_b1_{net}")
            beta2 = c[3].slider(
                f"{label} β2",
                min(0.9, b2),
                0.9999,
                b2,
                0.0001,
                format="%.4f",
                key=f"{key}_b2_{net}",
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
            )
        if LOSSES[loss].needs_gp:
            changes["gp_lambda"] = c[1].number_input(
                "gradient penalty λ",
                0.0,
                max(100.0, float(cfg["gp_lambda"])),
                float(cfg["gp_lambda"]),
                0.1,
                key=f"{key}_gp",
            )
        chosen = stabilizers_ui(key, cfg, images=lab.handle.kind == "image")
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


def export_ui(key: str, lab: Lab) -> None:
    """Download the run as a checkpoint folder (the CLI's format) in a zip, and its samples."""
    c1, c2 = st.columns(2)
    if c1.button("Package the model as a checkpoint zip", key=f"{key}_package"):
        with st.spinner("Writing the checkpoint…"):
            data = call(lab.handle.export_zip)
        if data is not None:
            st.session_state[f"{key}_zip"] = (lab.step_count, data)
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
    c2.download_button(
        "Download 2,000 samples (CSV)",
        data=lambda: _samples_csv(lab),
        file_name=f"gancore-{lab.name}-step{lab.step_count}.csv",
        mime="text/csv",
        key=f"{key}_csv",
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
