"""Theory explorer, part 2: saturating vs non-saturating G losses, and JS vs Wasserstein."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gancore import theory
from gancore.viz import theory as tplots
from pages._shared import fmt

THETAS = np.round(np.linspace(-4.0, 4.0, 161), 3)


@st.cache_data(max_entries=16, show_spinner=False)
def js_w1_curves(width: float) -> tuple[np.ndarray, np.ndarray]:
    return theory.js_and_w1_vs_shift(THETAS, width)


st.title("Generator losses, and why Wasserstein helps")

# --- 5. Saturating vs non-saturating -------------------------------------------------------
st.header("5 · Saturating vs non-saturating generator loss")
st.markdown(
    "In the minimax game G minimises log(1 − D(G(z))), the *saturating* loss. Goodfellow et al. "
    "suggest G maximise log D(G(z)) instead, i.e. minimise the *non-saturating* −log D(G(z)): "
    "the same fixed point, very different gradients. D outputs D = σ(l) from a logit l, and "
    "the gradient reaches G through l:"
)
st.latex(
    r"\frac{\partial}{\partial l}\log(1-\sigma(l))=-D,\qquad"
    r"\frac{\partial}{\partial l}\bigl(-\log\sigma(l)\bigr)=-(1-D)."
)
d_now = st.slider(
    "D(G(z)): how much D believes a fake (early in training D rejects fakes: D(G(z)) ≈ 0)",
    0.001,
    0.999,
    0.02,
    0.001,
    format="%.3f",
    key="d_fake",
)
d = np.linspace(0.001, 0.999, 999)
losses = theory.generator_losses(d)
now = theory.generator_losses(np.array([d_now]))
g_sat = abs(float(now["saturating_grad_logit"][0]))
g_ns = abs(float(now["non_saturating_grad_logit"][0]))
c = st.columns(4)
c[0].metric("saturating loss", fmt(float(now["saturating"][0]), 4))
c[1].metric("non-saturating loss", fmt(float(now["non_saturating"][0]), 4))
c[2].metric("|gradient|, saturating", fmt(g_sat, 4))
c[3].metric("|gradient|, non-saturating", fmt(g_ns, 4))
if d_now < 0.5:
    st.info(
        f"At D(G(z)) = {d_now:.3f} the non-saturating loss sends a gradient "
        f"{g_ns / g_sat:,.0f}× larger: the saturating form starves G exactly when its samples are "
        "worst, because log(1 − D) flattens as D → 0."
    )
else:
    st.info(
        f"At D(G(z)) = {d_now:.3f} D is fooled; now the saturating form pushes harder "
        f"({g_sat / g_ns:,.1f}×), but a well-trained D rarely lets G get here early on."
    )
st.plotly_chart(
    tplots.generator_loss_figure(d, losses, d_marker=d_now),
    width="stretch",
    key="fig_gloss",
)

# --- 6. JS vs Wasserstein -------------------------------------------------------------------
st.header("6 · JS is flat where Wasserstein is not")
st.markdown(
    "Take two narrow distributions θ apart. Once they stop overlapping, JS sits at log 2 "
    "whatever θ is, so its gradient in θ is zero and a JS-driven G learns nothing. The "
    "Wasserstein-1 (earth mover's) distance is |θ|: it still says which way to move. This is "
    "why WGAN trains a critic to estimate W1 instead of a classifier."
)
c1, c2 = st.columns(2)
theta = c1.slider("θ (offset of p_g)", -4.0, 4.0, 2.0, 0.05, key="theta")
width = c2.slider("w (width of each bump)", 0.01, 1.0, 0.05, 0.01, key="width")
js, w1 = js_w1_curves(width)
x = np.linspace(-4.5 - 5 * width, 4.5 + 5 * width, 1500)
bump = theory.gaussian_mixture([1], [0.0], [width])
moved = theory.gaussian_mixture([1], [theta], [width])
x_fine = theory.make_grid(bump, moved, view=(float(x[0]), float(x[-1])))
p, _ = theory.on_grid(bump, x_fine)
q, _ = theory.on_grid(moved, x_fine)
js_now = theory.js_divergence(p, q, x_fine)
w1_now = theory.wasserstein1(p, q, x_fine)
eps = 0.01
js_plus = theory.js_divergence(
    p, theory.on_grid(theory.gaussian_mixture([1], [theta + eps], [width]), x_fine)[0], x_fine
)
c = st.columns(4)
c[0].metric("JS(θ)", fmt(js_now))
c[1].metric("log 2", fmt(theory.LOG2))
c[2].metric("W1(θ)", fmt(w1_now))
c[3].metric("dJS/dθ (finite difference)", f"{(js_plus - js_now) / eps:.2e}")
st.plotly_chart(
    tplots.js_w1_figure(x, bump.pdf(x), moved.pdf(x), THETAS, js, w1, theta, js_now, w1_now),
    width="stretch",
    key="fig_jsw1",
)
