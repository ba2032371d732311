"""The labs' pickers: preset, data (including your own points) and seed, set from the page's link."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import streamlit as st

from gancore.data.points_csv import parse_points_csv, rescale_points
from gancore.data.toy import toy_names
from gancore.live import LiveError
from gancore.presets.toy import resolve_preset
from gancore.viz import lab as lplots
from pages import _links as links_ui
from pages._lab_core import Lab, call, new_lab, presets_for, replace_lab
from pages._outside import outside, pressed


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
        **outside(),
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
        **outside(),
    )
    st.session_state.setdefault(f"{key}_seed", 0)
    seed = c3.number_input("seed", 0, 2**31 - 1, step=1, key=f"{key}_seed", **outside())
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
        **outside(),
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
    if pressed(c1, "Clear the drawing", key=f"{key}_clear"):
        drawn.clear()
        st.rerun()
    c2.caption(
        f"{len(drawn)} points. Use the box or lasso tool above the canvas (or click dots) to "
        "paint; each selection adds its dots. Train once you have 20 or more."
    )
    return np.array(drawn, dtype=np.float64) if len(drawn) >= 20 else None
