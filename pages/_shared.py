"""Widgets the pages share. Each ``*_ui`` function only reads widgets and returns values."""

from __future__ import annotations

import streamlit as st

from gancore import theory

_MAX_COMPONENTS = 3


def density_ui(label: str, key: str, default: dict) -> theory.Density1D:
    """Controls for a 1D density (1-3 Gaussians, or a uniform); returns the density."""
    st.markdown(f"**{label}**")
    kinds = ["Gaussian mixture", "Uniform"]
    kind = st.radio(
        "shape",
        kinds,
        index=kinds.index(default.get("kind", "Gaussian mixture")),
        horizontal=True,
        key=f"{key}_kind",
        label_visibility="collapsed",
    )
    if kind == "Uniform":
        low, high = st.slider(
            "support [a, b]",
            -6.0,
            6.0,
            value=tuple(default.get("uniform", (-1.0, 1.0))),
            step=0.1,
            key=f"{key}_uniform",
        )
        if high - low < 0.1:
            st.warning("The support needs some width; using [a, a + 0.1].")
            high = low + 0.1
        return theory.uniform(low, high)

    comps = default.get("components", [(1.0, 0.0, 1.0)])
    n = st.number_input("components", 1, _MAX_COMPONENTS, value=len(comps), step=1, key=f"{key}_n")
    weights, means, stds = [], [], []
    for i in range(int(n)):
        w0, m0, s0 = comps[i] if i < len(comps) else (0.5, 2.0 * i - 2.0, 0.5)
        c1, c2, c3 = st.columns(3)
        weights.append(c1.slider(f"weight {i + 1}", 0.0, 1.0, float(w0), 0.05, key=f"{key}_w{i}"))
        means.append(c2.slider(f"mean {i + 1}", -5.0, 5.0, float(m0), 0.1, key=f"{key}_m{i}"))
        stds.append(c3.slider(f"std {i + 1}", 0.02, 3.0, float(s0), 0.01, key=f"{key}_s{i}"))
    if sum(weights) == 0:
        st.warning("All weights are zero; the first component gets weight 1.")
        weights[0] = 1.0
    return theory.gaussian_mixture(weights, means, stds)


def fmt(v: float, digits: int = 6) -> str:
    """A number for display: '∞' for infinities, fixed digits otherwise."""
    if v == float("inf"):
        return "∞"
    if v == float("-inf"):
        return "−∞"
    return f"{v:.{digits}f}"
