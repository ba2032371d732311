"""Figures for the training-dynamics page: the Dirac-GAN's (θ, ψ) plane and its eigenvalues.

Inputs are arrays from ``gancore.dynamics``. Each figure is a handful of traces (streamlines
joined into one line, arrowheads as one marker trace), so building one takes milliseconds.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gancore.viz import ACCENT, DISC, FAKE, OPTIMAL, REAL, base_layout

STREAM = "#b9b9c6"  # the field's streamlines: quiet, behind the paths
PATH_COLORS = {"simultaneous": FAKE, "alternating": DISC}


def _joined(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, n, 2) curves as one x and one y array, the curves separated by NaN."""
    k, n, _ = lines.shape
    out = np.full((k, n + 1, 2), np.nan)
    out[:, :n] = lines
    flat = out.reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def _arrowheads(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A point halfway along each curve and its heading in degrees clockwise from up."""
    mid = lines.shape[1] // 2
    at, ahead = lines[:, mid], lines[:, min(mid + 1, lines.shape[1] - 1)]
    step = ahead - at
    moving = np.hypot(step[:, 0], step[:, 1]) > 1e-12
    # on [-180, 180), as plotly's validator would put it (the figure skips validation)
    angle = (np.degrees(np.arctan2(step[:, 0], step[:, 1])) + 180) % 360 - 180
    return at[moving, 0], at[moving, 1], angle[moving]


def _figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain trace and layout dicts, without plotly's per-property validation
    (which took most of the 20-40 ms a figure cost); the dicts are exactly what a validated
    build would hold (tests/test_dynamics.py rebuilds them validated and compares)."""
    return go.Figure({"data": data, "layout": layout}, _validate=False)


@functools.lru_cache(maxsize=8)
def _phase_layout(height: int) -> dict:
    """The phase figure's layout without its ranges, built (validated) once per height."""
    fig = go.Figure()
    fig.update_xaxes(title_text="θ (the generator: where its point sits)")
    fig.update_yaxes(title_text="ψ (the discriminator's slope)", scaleanchor="x", scaleratio=1)
    fig = base_layout(fig, height=height)
    fig.update_layout(hovermode="closest")
    return fig.layout.to_plotly_json()


def phase_figure(
    lines: np.ndarray,
    paths: dict[str, np.ndarray],
    limits: tuple[float, float],
    *,
    height: int = 560,
) -> go.Figure:
    """Streamlines of the field, the gradient-descent paths over them, and the equilibrium.

    ``lines`` is ``dynamics.streamlines(...)``; ``paths`` maps a mode to ``simulate(...)``.
    """
    sx, sy = _joined(lines)
    ax, ay, angle = _arrowheads(lines)
    data = [
        dict(
            type="scatter",
            x=sx,
            y=sy,
            mode="lines",
            line=dict(color=STREAM, width=1),
            name="the field v(θ, ψ)",
            hoverinfo="skip",
        ),
        dict(
            type="scatter",
            x=ax,
            y=ay,
            mode="markers",
            marker=dict(symbol="arrow", size=9, angle=angle, color=STREAM),
            showlegend=False,
            hoverinfo="skip",
        ),
    ]
    for mode, path in paths.items():
        color = PATH_COLORS.get(mode, ACCENT)
        finite = path[np.all(np.isfinite(path), axis=1)]
        data += [
            dict(
                type="scatter",
                x=path[:, 0],
                y=path[:, 1],
                mode="lines",
                line=dict(color=color, width=2),
                name=f"{mode} GD",
                hovertemplate="θ = %{x:.4f}<br>ψ = %{y:.4f}<extra>" + mode + "</extra>",
            ),
            dict(
                type="scatter",
                x=finite[-1:, 0],
                y=finite[-1:, 1],
                mode="markers",
                marker=dict(color=color, size=9, symbol="circle-open", line=dict(width=2)),
                name=f"{mode}: last step",
                showlegend=False,
            ),
        ]
    starts = [p[0] for p in paths.values()]
    if starts:
        data.append(
            dict(
                type="scatter",
                x=[float(starts[0][0])],
                y=[float(starts[0][1])],
                mode="markers",
                marker=dict(color=ACCENT, size=10),
                name="start (θ₀, ψ₀)",
            )
        )
    data.append(
        dict(
            type="scatter",
            x=[0.0],
            y=[0.0],
            mode="markers",
            marker=dict(color=REAL, size=14, symbol="star"),
            name="equilibrium: G on the data, D flat",
        )
    )
    layout = copy.deepcopy(_phase_layout(int(height)))
    lo, hi = (float(v) for v in limits)
    layout["xaxis"]["range"] = [lo, hi]
    layout["yaxis"]["range"] = [lo, hi]
    return _figure(data, layout)


@functools.lru_cache(maxsize=8)
def _eigen_layout(height: int) -> dict:
    """The eigenvalue figure's layout without its ranges (make_subplots costs ~10 ms)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.68, 0.32],
        horizontal_spacing=0.14,
        subplot_titles=("complex plane", "|λ| − 1"),
    )
    fig.update_xaxes(title_text="Re λ", row=1, col=1)
    fig.update_yaxes(title_text="Im λ", scaleanchor="x", row=1, col=1)
    fig.update_yaxes(exponentformat="e", zeroline=True, row=1, col=2)
    fig = base_layout(fig, height=height)
    fig.update_layout(hovermode="closest")
    return fig.layout.to_plotly_json()


_CIRCLE = np.linspace(0.0, 2 * np.pi, 181)


def eigen_figure(eigenvalues: dict[str, np.ndarray], *, height: int = 420) -> go.Figure:
    """Eigenvalues of one update in the complex plane beside the unit circle (inside: the
    iterates shrink by |λ| a step; outside: they grow), and |λ| − 1 of each as a bar, since
    the interesting ones sit a hair from the circle."""
    data = [
        dict(
            type="scatter",
            x=np.cos(_CIRCLE),
            y=np.sin(_CIRCLE),
            mode="lines",
            line=dict(color=OPTIMAL, width=1, dash="dot"),
            name="|λ| = 1",
            hoverinfo="skip",
            xaxis="x",
            yaxis="y",
        )
    ]
    biggest, names, gaps, colors = 1.0, [], [], []
    for i, (name, ev) in enumerate(eigenvalues.items()):
        ev = np.asarray(ev, dtype=complex)
        color = PATH_COLORS.get(name, ACCENT)
        biggest = max(biggest, float(np.abs(ev).max()))
        data.append(
            dict(
                type="scatter",
                x=ev.real,
                y=ev.imag,
                mode="markers",
                marker=dict(color=color, size=12 - 4 * i, symbol="x" if i else "circle"),
                name=name,
                customdata=np.abs(ev),
                hovertemplate="λ = %{x:.5f} %{y:+.5f}i<br>|λ| = %{customdata:.6f}<extra></extra>",
                xaxis="x",
                yaxis="y",
            )
        )
        for k, z in enumerate(ev):
            names.append(f"{name[:3]}. λ{k + 1}")
            gaps.append(float(abs(z) - 1.0))
            colors.append(color)
    data.append(
        dict(
            type="bar",
            x=names,
            y=gaps,
            marker=dict(color=colors),
            showlegend=False,
            hovertemplate="%{x}: |λ| − 1 = %{y:.3e}<extra></extra>",
            xaxis="x2",
            yaxis="y2",
        )
    )
    layout = copy.deepcopy(_eigen_layout(int(height)))
    reach = 1.15 * biggest
    span = max(max((abs(g) for g in gaps), default=0.0) * 1.2, 1e-3)
    layout["xaxis"]["range"] = [-reach, reach]
    layout["yaxis"]["range"] = [-reach, reach]
    layout["yaxis2"]["range"] = [-span, span]
    return _figure(data, layout)
