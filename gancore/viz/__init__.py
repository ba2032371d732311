"""Plotly figure builders: pure functions from arrays to ``go.Figure``.

One module per part of the app; shared colours and layout live here so every page
draws real data, fakes and discriminators the same way.
"""

from __future__ import annotations

import plotly.graph_objects as go

REAL = "#1b9e77"  # p_data, real samples
FAKE = "#7b4bb3"  # p_g, generated samples
DISC = "#e6850e"  # a learned discriminator / critic
OPTIMAL = "#222222"  # D*, exact quantities
ACCENT = "#d62728"  # markers, the current value

FONT = dict(family="Inter, Segoe UI, Helvetica, Arial, sans-serif", size=13)


def base_layout(
    fig: go.Figure, *, height: int = 420, title: str | None = None, bottom: int = 45
) -> go.Figure:
    """The look every figure shares: white background, legend above the plot, tight margins.

    The legend sits a fixed number of pixels above the plotting area, clear of subplot titles.
    """
    has_subtitles = bool(fig.layout.annotations)
    top = (60 if title else 30) + (40 if has_subtitles else 0)
    plot_height = max(height - top - bottom, 50)
    legend_gap_px = 30 if has_subtitles else 4
    fig.update_layout(
        # No named template: building one costs ~15 ms a figure, and Streamlit restyles the
        # figure with its own theme anyway. White paper keeps exported PNGs readable.
        paper_bgcolor="white",
        plot_bgcolor="white",
        height=height,
        title=dict(text=title, x=0.0, xanchor="left") if title else None,
        margin=dict(l=60, r=20, t=top, b=bottom),
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1 + legend_gap_px / plot_height,
            xanchor="left",
            x=0.0,
        ),
        font=FONT,
        hovermode="x unified",
    )
    return fig


def line(x, y, name: str, color: str, *, dash=None, width: float = 2, fill=None) -> go.Scatter:
    """A named line trace in one of the shared colours."""
    return go.Scatter(
        x=x, y=y, name=name, mode="lines", line=dict(color=color, dash=dash, width=width), fill=fill
    )


def marker(x, y, name: str, color: str = ACCENT) -> go.Scatter:
    """One highlighted point."""
    return go.Scatter(x=[x], y=[y], name=name, mode="markers", marker=dict(color=color, size=11))
