"""pix2pix's pictures: D's patch map over the output it judges (a pure function of arrays)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from gancore.viz import base_layout


def patch_map_figure(output: np.ndarray, scores: np.ndarray, *, critic: bool) -> go.Figure:
    """``output`` (C, H, W) in [-1, 1] in grey, under D's (P, P) ``scores`` per patch: the
    probability that the patch is real (blue) or fake (red), or raw critic scores."""
    img = ((np.clip(output, -1, 1) + 1) * 127.5).mean(axis=0)
    size, p = img.shape[0], scores.shape[0]
    fig = go.Figure(
        go.Heatmap(z=img[::-1], colorscale="Greys_r", showscale=False, hoverinfo="skip")
    )
    centres = (np.arange(p) + 0.5) * (size / p) - 0.5
    label = "critic score" if critic else "D: real?"
    fig.add_trace(
        go.Heatmap(
            z=scores[::-1], x=centres, y=centres, colorscale="RdBu", opacity=0.45,
            zmin=None if critic else 0.0, zmax=None if critic else 1.0,
            colorbar=dict(title=label), hovertemplate=f"{label} %{{z:.2f}}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_xaxes(visible=False, range=[-0.5, size - 0.5])
    fig.update_yaxes(visible=False, range=[-0.5, size - 0.5], scaleanchor="x")
    return base_layout(fig, height=300)
