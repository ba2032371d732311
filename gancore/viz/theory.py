"""Figures for the theory explorer. Every input is an array computed by ``gancore.theory``."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gancore.viz import ACCENT, DISC, FAKE, OPTIMAL, REAL, base_layout
from gancore.viz import line as _line
from gancore.viz import marker as _marker

_RATIO_CAP = 1e6  # r(x) is infinite where only p_data lives; draw it at the top of the axis


def value_function_figure(
    x: np.ndarray,
    p_data: np.ndarray,
    p_g: np.ndarray,
    d_star: np.ndarray,
    ratio: np.ndarray,
    integrand: np.ndarray,
) -> go.Figure:
    """Densities, D*, the density ratio and the integrand of V, stacked on one x axis."""
    fig = make_subplots(
        rows=4,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.05,
        row_heights=[0.34, 0.22, 0.22, 0.22],
        subplot_titles=(
            "densities",
            "optimal discriminator D*(x) = p_data / (p_data + p_g)",
            "density ratio r(x) = p_data / p_g = D* / (1 − D*)   (log scale, drawn within [1e-6, 1e6])",
            "integrand of V(D*, G): p_data log D* + p_g log(1 − D*)",
        ),
    )
    fig.add_trace(_line(x, p_data, "p_data(x)", REAL, fill="tozeroy"), row=1, col=1)
    fig.add_trace(_line(x, p_g, "p_g(x)", FAKE, fill="tozeroy"), row=1, col=1)
    fig.add_trace(_line(x, d_star, "D*(x)", OPTIMAL), row=2, col=1)
    fig.add_trace(
        _line(x, np.full_like(x, 0.5), "½ (D* when p_g = p_data)", OPTIMAL, dash="dot", width=1),
        row=2,
        col=1,
    )
    shown = np.clip(np.where(np.isfinite(ratio), ratio, _RATIO_CAP), 1 / _RATIO_CAP, _RATIO_CAP)
    fig.add_trace(_line(x, shown, "r(x)", DISC), row=3, col=1)
    fig.add_trace(_line(x, integrand, "integrand of V", ACCENT, fill="tozeroy"), row=4, col=1)
    fig.update_yaxes(range=[-0.02, 1.02], row=2, col=1)
    fig.update_yaxes(type="log", row=3, col=1)
    fig.update_xaxes(title_text="x", row=4, col=1)
    return base_layout(fig, height=760)


def mark_x(fig: go.Figure, x: float) -> go.Figure:
    """A dashed vertical line at ``x`` across every subplot."""
    return fig.add_vline(x=x, line=dict(color=ACCENT, dash="dash", width=1))


def pointwise_figure(a: float, b: float, y: np.ndarray, f: np.ndarray, y_star: float) -> go.Figure:
    """f(y) = a log y + b log(1 − y) with its maximum at y* = a / (a + b) marked."""
    fig = go.Figure()
    fig.add_trace(_line(y, f, "f(y) = a log y + b log(1 − y)", OPTIMAL))
    f_star = _pointwise(a, b, y_star)
    fig.add_trace(
        go.Scatter(
            x=[y_star],
            y=[f_star],
            mode="markers+text",
            marker=dict(color=ACCENT, size=11),
            text=[f"y* = a/(a+b) = {y_star:.4f}"],
            textposition="top center",
            name="maximum",
        )
    )
    fig.add_vline(x=y_star, line=dict(color=ACCENT, dash="dot", width=1))
    finite = f[np.isfinite(f)]
    if finite.size:
        top = float(finite.max())
        span = max(top - float(np.percentile(finite, 5)), 1e-3)
        fig.update_yaxes(range=[top - 1.2 * span, top + 0.25 * span])
    fig.update_xaxes(title_text="y = D(x)", range=[0, 1])
    fig.update_yaxes(title_text="f(y)")
    return base_layout(fig, height=360)


def _pointwise(a: float, b: float, y: float) -> float:
    return (a * np.log(y) if a else 0.0) + (b * np.log1p(-y) if b else 0.0)


def morph_figure(
    x: np.ndarray,
    p_data: np.ndarray,
    frames: list[np.ndarray],
    ts: np.ndarray,
    values: np.ndarray,
    *,
    current: int,
) -> go.Figure:
    """p_g_t sliding toward p_data (left) and V(D*, G_t) against t (right), with a play button.

    The animation runs in the browser from precomputed frames, so it costs no reruns.
    """
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        subplot_titles=("p_g moving toward p_data", "V(D*, G_t) against t"),
    )
    fig.add_trace(_line(x, p_data, "p_data", REAL, fill="tozeroy"), row=1, col=1)
    fig.add_trace(_line(x, frames[current], "p_g (t)", FAKE, fill="tozeroy"), row=1, col=1)
    fig.add_trace(_line(ts, values, "V(D*, G_t)", OPTIMAL), row=1, col=2)
    fig.add_trace(
        _line(ts, np.full_like(ts, -np.log(4.0)), "−log 4 ≈ −1.386", ACCENT, dash="dot", width=1),
        row=1,
        col=2,
    )
    fig.add_trace(_marker(ts[current], values[current], "current t"), row=1, col=2)
    # Frames carry only what moves (p_g's y values and the marker): x is shared, so the
    # figure stays small enough to send on every rerun.
    fig.frames = [
        go.Frame(
            name=f"{t:.3f}",
            data=[dict(y=np.round(p, 6)), dict(x=[t], y=[v])],
            traces=[1, 4],
        )
        for t, p, v in zip(ts, frames, values, strict=True)
    ]
    ymax = 1.08 * max(float(np.max(p_data)), max(float(np.max(p)) for p in frames))
    fig.update_yaxes(range=[0, ymax], row=1, col=1)
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 0.08 * max(hi - lo, 0.05)
    fig.update_yaxes(range=[lo - pad, hi + pad], row=1, col=2)
    fig.update_xaxes(title_text="x", row=1, col=1)
    fig.update_xaxes(title_text="t", row=1, col=2)
    step_args = dict(
        mode="immediate", frame=dict(duration=90, redraw=False), transition=dict(duration=0)
    )
    fig.update_layout(
        updatemenus=[
            dict(
                type="buttons",
                showactive=False,
                x=0.0,
                y=-0.18,
                xanchor="left",
                buttons=[
                    dict(
                        label="▶ play",
                        method="animate",
                        args=[None, {**step_args, "fromcurrent": True}],
                    ),
                    dict(label="❚❚ pause", method="animate", args=[[None], step_args]),
                ],
            )
        ],
        sliders=[
            dict(
                active=current,
                x=0.12,
                y=-0.12,
                len=0.88,
                currentvalue=dict(prefix="t = "),
                steps=[
                    dict(label=f.name, method="animate", args=[[f.name], step_args])
                    for f in fig.frames
                ],
            )
        ],
    )
    base_layout(fig, height=480, bottom=110)
    fig.update_layout(hovermode="closest")
    return fig


def set_morph_current(
    fig: go.Figure, frames: list[np.ndarray], ts, values, current: int
) -> go.Figure:
    """Move a (cached) morph figure to frame ``current`` without rebuilding it."""
    fig.data[1].y = frames[current]
    fig.data[4].x = [ts[current]]
    fig.data[4].y = [values[current]]
    fig.layout.sliders[0].active = current
    return fig


def bce_figure(d_real: float, d_fake: float) -> go.Figure:
    """The two halves of binary cross-entropy, with one real and one fake sample marked."""
    y = np.linspace(1e-3, 1 - 1e-3, 400)
    fig = go.Figure()
    fig.add_trace(_line(y, -np.log(y), "label 1 (real): −log ŷ", REAL))
    fig.add_trace(_line(y, -np.log1p(-y), "label 0 (fake): −log(1 − ŷ)", FAKE))
    fig.add_trace(_marker(d_real, -np.log(max(d_real, 1e-300)), "real sample: ŷ = D(x_real)", REAL))
    fig.add_trace(
        _marker(d_fake, -np.log(max(1 - d_fake, 1e-300)), "fake sample: ŷ = D(x_fake)", FAKE)
    )
    fig.update_xaxes(title_text="ŷ = D(x)", range=[0, 1])
    fig.update_yaxes(title_text="loss", range=[0, 5])
    base_layout(fig, height=340)
    fig.update_layout(hovermode="closest")
    return fig


def generator_loss_figure(
    d: np.ndarray, losses: dict[str, np.ndarray], *, d_marker: float | None = None
) -> go.Figure:
    """Saturating vs non-saturating G losses and the gradient size each sends back through the logit."""
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("G's loss against D(G(z))", "|∂loss/∂logit|: the signal that reaches G"),
    )
    fig.add_trace(
        _line(d, losses["saturating"], "saturating: log(1 − D(G(z)))", ACCENT), row=1, col=1
    )
    fig.add_trace(
        _line(d, losses["non_saturating"], "non-saturating: −log D(G(z))", FAKE), row=1, col=1
    )
    fig.add_trace(
        _line(d, np.abs(losses["saturating_grad_logit"]), "saturating: |−D|", ACCENT, dash="dash"),
        row=1,
        col=2,
    )
    fig.add_trace(
        _line(
            d,
            np.abs(losses["non_saturating_grad_logit"]),
            "non-saturating: |−(1 − D)|",
            FAKE,
            dash="dash",
        ),
        row=1,
        col=2,
    )
    if d_marker is not None:
        for col in (1, 2):
            fig.add_vline(x=d_marker, line=dict(color=OPTIMAL, dash="dot", width=1), row=1, col=col)
    fig.update_xaxes(title_text="D(G(z))", range=[0, 1])
    fig.update_yaxes(range=[-5, 5], row=1, col=1)
    fig.update_yaxes(range=[0, 1.05], row=1, col=2)
    base_layout(fig, height=400)
    fig.update_layout(hovermode="closest")
    return fig


def js_w1_figure(
    x: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    thetas: np.ndarray,
    js: np.ndarray,
    w1: np.ndarray,
    theta: float,
    js_now: float,
    w1_now: float,
) -> go.Figure:
    """Two narrow bumps θ apart (left); JS and W1 against θ (right)."""
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.45, 0.55],
        subplot_titles=("p_data = N(0, w²) and p_g = N(θ, w²)", "JS and W1 against θ"),
    )
    fig.add_trace(_line(x, p, "p_data", REAL, fill="tozeroy"), row=1, col=1)
    fig.add_trace(_line(x, q, "p_g", FAKE, fill="tozeroy"), row=1, col=1)
    fig.add_trace(_line(thetas, js, "JS(p_data ‖ p_g)", ACCENT), row=1, col=2)
    fig.add_trace(
        _line(
            thetas,
            np.full_like(thetas, np.log(2.0)),
            "log 2 (JS's ceiling)",
            ACCENT,
            dash="dot",
            width=1,
        ),
        row=1,
        col=2,
    )
    fig.add_trace(_line(thetas, w1, "W1 = |θ|", DISC), row=1, col=2)
    fig.add_trace(_marker(theta, js_now, "JS now", ACCENT), row=1, col=2)
    fig.add_trace(_marker(theta, w1_now, "W1 now", DISC), row=1, col=2)
    fig.update_xaxes(title_text="x", row=1, col=1)
    fig.update_xaxes(title_text="θ", row=1, col=2)
    base_layout(fig, height=400)
    fig.update_layout(hovermode="closest")
    return fig
