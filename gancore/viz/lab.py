"""Figures for the toy labs: the 1D picture of Goodfellow et al. (2014), the 2D field, curves."""

from __future__ import annotations

import copy
import functools
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gancore.viz import ACCENT, DISC, FAKE, OPTIMAL, REAL, base_layout

LAYERS_2D = ("discriminator", "real", "fake", "gradients", "manifold")


def lab1d_spec(snap: dict, *, critic: bool = False) -> dict:
    """Top: p_data, p_g, D and D*. Bottom: lines from z to G(z), how G maps its noise.

    A plain figure dict (see :func:`lab2d_spec`): the subplot layout is built once per x range
    and reused; each refresh only fills in the traces."""
    x = np.asarray(snap["x"], dtype=float)
    d = np.asarray(snap["d"], dtype=float)
    if critic:  # a critic's score has no scale: squash it into [0, 1] to draw beside D*
        lo, hi = float(d.min()), float(d.max())
        d = (d - lo) / (hi - lo) if hi > lo else np.full_like(d, 0.5)
    d_name = "critic f(x) (rescaled to [0, 1])" if critic else "D(x) (learned)"
    # The mapping: segments from (z, 0) on the noise line to (G(z), 1) on the data line.
    z, gz = np.asarray(snap["z"]), np.asarray(snap["gz"])
    zs = _rescale(z, float(x[0]), float(x[-1]))
    seg_x = np.column_stack([zs, gz, np.full_like(z, np.nan)]).ravel()
    seg_y = np.tile([0.0, 1.0, np.nan], z.size)
    data = [
        _line_dict(x, snap["p_data"], "p_data (exact)", REAL, fill="tozeroy"),
        _line_dict(x, snap["p_g"], "p_g (KDE of G's samples)", FAKE, fill="tozeroy"),
        _line_dict(x, d, d_name, DISC, yaxis="y2"),
        _line_dict(
            x, snap["d_star"], "D*(x) (exact for this p_g)", OPTIMAL, dash="dash", yaxis="y2"
        ),
        {
            "type": "scatter",
            "x": seg_x,
            "y": seg_y,
            "mode": "lines+markers",
            "name": "z → G(z)",
            "line": {"color": FAKE, "width": 1},
            "marker": {"size": 4, "color": FAKE},
            "showlegend": False,
            "xaxis": "x2",
            "yaxis": "y3",
        },
    ]
    layout = _lab1d_layout(float(x[0]), float(x[-1]))
    return {"data": data, "layout": copy.deepcopy(layout)}


def _line_dict(x, y, name: str, color: str, *, dash=None, fill=None, yaxis: str = "y") -> dict:
    out = {
        "type": "scatter",
        "x": x,
        "y": y,
        "name": name,
        "mode": "lines",
        "line": {"color": color, "width": 2, **({"dash": dash} if dash else {})},
        "xaxis": "x",
        "yaxis": yaxis,
    }
    if fill:
        out["fill"] = fill
    return out


@functools.lru_cache(maxsize=16)
def _lab1d_layout(x0: float, x1: float) -> dict:
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=False,
        row_heights=[0.72, 0.28],
        vertical_spacing=0.1,
        specs=[[{"secondary_y": True}], [{}]],
        subplot_titles=("densities and discriminators", "G maps z (bottom line) to x (top line)"),
    )
    fig.update_yaxes(title_text="density", row=1, col=1, secondary_y=False, rangemode="tozero")
    fig.update_yaxes(
        title_text="D",
        range=[-0.02, 1.02],
        tickvals=[0, 0.25, 0.5, 0.75, 1],  # plotly would align its ticks to the density's
        row=1,
        col=1,
        secondary_y=True,
    )
    fig.update_yaxes(
        tickvals=[0, 1], ticktext=["z", "x"], range=[-0.15, 1.15], row=2, col=1, showgrid=False
    )
    fig.update_xaxes(range=[x0, x1], row=1, col=1)
    fig.update_xaxes(range=[x0, x1], row=2, col=1, title_text="x")
    layout = base_layout(fig, height=560).to_plotly_json()["layout"]
    layout.pop("template", None)
    return layout


def _rescale(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Spread the noise values over the data axis so the mapping lines are readable."""
    v_lo, v_hi = float(np.min(v)), float(np.max(v))
    if v_hi <= v_lo:
        return np.full_like(v, 0.5 * (lo + hi))
    return lo + (v - v_lo) / (v_hi - v_lo) * (hi - lo)


def lab2d_spec(
    *,
    bounds: tuple[tuple[float, float], ...],
    field: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
    real: np.ndarray | None,
    fake: np.ndarray | None,
    arrows: tuple[np.ndarray, np.ndarray] | None,
    mesh: list[np.ndarray] | None,
    critic: bool = False,
    height: int = 620,
) -> dict:
    """The 2D lab as a plain figure dict: D's heatmap, real and fake samples, G's gradient
    arrows and manifold. Pass None for any layer to hide it. ``arrows`` is (origins (N, 2),
    displacements (N, 2)).

    Plain dicts and arrays, not ``go`` objects: the live lab redraws this several times a
    second per visitor, and plotly's validation of every trace was most of a refresh's cost
    on the server. The layout is built (and validated) once per view and reused."""
    data: list[dict] = []
    if field is not None:
        xs, ys, vals = field
        data.append(
            {
                "type": "heatmap",
                "x": xs,
                "y": ys,
                "z": vals,
                "zsmooth": "fast",  # one small image scaled up, not a brick per cell
                "colorscale": [[0.0, "#ede4f6"], [0.5, "#ffffff"], [1.0, "#d5efe6"]],
                **({} if critic else {"zmid": 0.5, "zmin": 0.0, "zmax": 1.0}),
                "colorbar": {"title": {"text": "critic f(x)" if critic else "D(x)"}, "len": 0.8},
                "hovertemplate": "x=%{x:.2f}, y=%{y:.2f}<br>value=%{z:.3f}<extra></extra>",
                "name": "critic" if critic else "D(x)",
            }
        )
    if mesh is not None:
        gap = np.full((1, 2), np.nan)
        joined = np.concatenate([part for line in mesh for part in (line, gap)])
        data.append(
            {
                "type": "scatter",
                "x": joined[:, 0],
                "y": joined[:, 1],
                "mode": "lines",
                "name": "G's manifold (grid of z)",
                "line": {"color": "rgba(123, 75, 179, 0.45)", "width": 1},
                "hoverinfo": "skip",
            }
        )
    if real is not None:
        data.append(_points(real, "real samples", REAL))
    if fake is not None:
        data.append(_points(fake, "generated samples", FAKE))
    if arrows is not None:
        start, delta = arrows
        gap = np.full(len(start), np.nan)
        ax = np.column_stack([start[:, 0], start[:, 0] + delta[:, 0], gap])
        ay = np.column_stack([start[:, 1], start[:, 1] + delta[:, 1], gap])
        data.append(
            {
                "type": "scatter",
                "x": ax.ravel(),
                "y": ay.ravel(),
                "mode": "lines",
                "name": "where G moves its samples",
                "line": {"color": ACCENT, "width": 1.2},
                "hoverinfo": "skip",
            }
        )
    key = tuple(tuple(float(v) for v in b) for b in bounds)
    return {"data": data, "layout": copy.deepcopy(_lab2d_layout(key, height))}


@functools.lru_cache(maxsize=64)
def _lab2d_layout(bounds: tuple[tuple[float, float], ...], height: int) -> dict:
    fig = go.Figure()
    (x0, x1), (y0, y1) = bounds
    fig.update_xaxes(range=[x0, x1], constrain="domain", showgrid=False, zeroline=False)
    fig.update_yaxes(range=[y0, y1], scaleanchor="x", scaleratio=1, showgrid=False, zeroline=False)
    base_layout(fig, height=height)
    fig.update_layout(hovermode="closest", uirevision="lab2d")
    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)
    return layout


def lab2d_figure(**kwargs) -> go.Figure:
    """:func:`lab2d_spec` as a validated ``go.Figure`` (for pages that draw it once)."""
    return go.Figure(lab2d_spec(**kwargs))


def _points(p: np.ndarray, name: str, color: str) -> dict:
    return {
        "type": "scatter",
        "x": p[:, 0],
        "y": p[:, 1],
        "mode": "markers",
        "name": name,
        "marker": {"color": color, "size": 4, "opacity": 0.75},
        "hoverinfo": "skip",
    }


def arrows_for_display(grads: np.ndarray, bounds, fraction: float = 0.06) -> np.ndarray:
    """Scale gradient vectors so the longest arrow is ``fraction`` of the view's width."""
    (x0, x1), _ = bounds
    norms = np.linalg.norm(grads, axis=1)
    top = float(np.max(norms)) if norms.size else 0.0
    if not math.isfinite(top) or top <= 0:
        return np.zeros_like(grads)
    return grads / top * fraction * (x1 - x0)


def curves_spec(
    history: list[dict],
    series: dict[str, str],
    *,
    title: str,
    height: int = 300,
    hlines: dict[str, float] | None = None,
    b: list[dict] | None = None,
) -> dict:
    """Lines of ``history[i][key]`` against step, one per ``series`` entry (key -> label), as a
    plain figure dict (see :func:`lab2d_spec`); a key with no value anywhere draws no line.

    With ``b`` (an A / B comparison's second history), every series is drawn for both: A in
    one colour and B in another, each series in its own dash."""
    runs = (
        [("", history, None)] if b is None else [("A · ", history, A_COLOR), ("B · ", b, B_COLOR)]
    )
    data = []
    for prefix, rows, color in runs:
        steps = np.array([h.get("step", i) for i, h in enumerate(rows)], dtype=float)
        for i, (key, label) in enumerate(series.items()):
            ys = np.array([h.get(key) for h in rows], dtype=float)  # a missing value: a gap
            if np.isnan(ys).all():
                continue
            line = {"color": color or PALETTE[i % len(PALETTE)], "width": 1.6}
            if color:
                line["dash"] = DASHES[i % len(DASHES)]
            data.append(
                {
                    "type": "scatter",
                    "x": steps,
                    "y": ys,
                    "mode": "lines",
                    "name": prefix + label,
                    "line": line,
                }
            )
    lines = tuple((hlines or {}).items())
    layout = _curves_layout(title, height, len(data) > 2, lines)
    return {"data": data, "layout": copy.deepcopy(layout)}


A_COLOR, B_COLOR = "#1f77b4", "#ff7f0e"  # an A / B comparison: A blue, B orange
DASHES = ("solid", "dash", "dot", "dashdot")


PALETTE = (ACCENT, FAKE, REAL, DISC, OPTIMAL, "#1f77b4")


@functools.lru_cache(maxsize=256)
def _curves_layout(
    title: str, height: int, many: bool, hlines: tuple[tuple[str, float], ...]
) -> dict:
    fig = go.Figure()
    for label, y in hlines:
        fig.add_hline(
            y=y,
            line=dict(color=OPTIMAL, dash="dot", width=1),
            annotation_text=label,
            annotation_position="bottom right",
        )
    fig.update_xaxes(title_text="step")
    # a legend of several rows would run into the title: below
    base_layout(fig, height=height + (40 if many else 0), title=title, bottom=95 if many else 45)
    if many:
        fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=-0.32, yanchor="top"))
    fig.update_layout(hovermode="x unified")
    layout = fig.to_plotly_json()["layout"]
    layout.pop("template", None)
    return layout


def canvas_figure(gx: np.ndarray, gy: np.ndarray, drawn: np.ndarray) -> go.Figure:
    """A lattice of faint dots to paint on (trace 0) and the points painted so far (trace 1)."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=gx, y=gy, mode="markers", name="canvas",
            marker=dict(size=5, color="rgba(27, 158, 119, 0.12)"), hoverinfo="none",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(
            x=drawn[:, 0], y=drawn[:, 1], mode="markers", name="your points",
            marker=dict(size=7, color=REAL), hoverinfo="skip",
        )
    )  # fmt: skip
    fig.update_xaxes(range=[-3.3, 3.3], showgrid=False, zeroline=False)
    fig.update_yaxes(
        range=[-3.3, 3.3], scaleanchor="x", scaleratio=1, showgrid=False, zeroline=False
    )
    base_layout(fig, height=520)
    fig.update_layout(dragmode="lasso", hovermode="closest", showlegend=False)
    return fig


def bounds_around(x: np.ndarray) -> tuple[tuple[float, float], ...]:
    """Square plot bounds holding the central 99% of points ``x`` (N, D), with a margin."""
    lo, hi = np.percentile(x, 0.5, axis=0), np.percentile(x, 99.5, axis=0)
    half = 0.6 * float(np.max(hi - lo)) + 0.5
    mid = 0.5 * (lo + hi)
    return tuple((float(m - half), float(m + half)) for m in mid)
