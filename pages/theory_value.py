"""Theory explorer, part 1: V(D, G), the optimal discriminator, JS, and G moving toward the data."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gancore import theory
from gancore.viz import theory as tplots
from pages._shared import density_ui, fmt

DATA_DEFAULT = {"components": [(0.6, -1.5, 0.5), (0.4, 1.8, 0.4)]}
G_DEFAULT = {"components": [(1.0, 0.5, 1.2)]}
MORPH_TS = np.round(np.linspace(0.0, 1.0, 41), 3)  # the t slider steps by 0.025


def _spec(d: theory.Density1D) -> tuple:
    return (d.weights, d.means, d.stds, d.uniform)


@st.cache_data(max_entries=64, show_spinner=False)
def analyse(data_spec: tuple, g_spec: tuple) -> dict:
    """Everything the page shows for one (p_data, p_g): numbers on a fine grid, curves on a light one."""
    p_data, p_g = theory.Density1D(*data_spec), theory.Density1D(*g_spec)
    x = theory.make_grid(p_data, p_g)
    pd, _ = theory.on_grid(p_data, x)
    pg, _ = theory.on_grid(p_g, x)
    d_star = theory.optimal_discriminator(pd, pg)
    xd = theory.make_grid(p_data, p_g, view=theory.default_view(p_data, p_g), n=700, per_std=6)
    pdd, pgd = np.interp(xd, x, pd), np.interp(xd, x, pg)
    return {
        "div": theory.divergences(p_data, p_g, x),
        "x": x,
        "pd": pd,
        "pg": pg,
        "xd": xd,
        "pd_d": pdd,
        "pg_d": pgd,
        "dstar_d": theory.optimal_discriminator(pdd, pgd),
        "ratio_d": theory.density_ratio(pdd, pgd),
        "integrand_d": theory.value_integrand(pdd, pgd, theory.optimal_discriminator(pdd, pgd)),
        "v_check": theory.value_function(pd, pg, d_star, x),
    }


@st.cache_data(max_entries=32, show_spinner=False)
def value_figure(data_spec: tuple, g_spec: tuple):
    a = analyse(data_spec, g_spec)
    return tplots.value_function_figure(
        a["xd"], a["pd_d"], a["pg_d"], a["dstar_d"], a["ratio_d"], a["integrand_d"]
    )


@st.cache_data(max_entries=32, show_spinner=False)
def morph_path(data_spec: tuple, g_spec: tuple, mode: str) -> dict:
    """Frames of p_g_t on the light grid and V(D*, G_t) on the fine one for every t in MORPH_TS,
    and the animated figure built from them (the page only moves its current frame)."""
    a = analyse(data_spec, g_spec)
    path, values = theory.morph_path(a["pg"], a["pd"], a["x"], MORPH_TS, mode=mode)
    frames = [np.interp(a["xd"], a["x"], pt) for pt in path]  # on the light grid drawn
    figure = tplots.morph_figure(a["xd"], a["pd_d"], frames, MORPH_TS, values, current=0)
    return {"frames": frames, "values": values, "figure": figure}


st.title("The value function and the optimal discriminator")
st.markdown(
    "A GAN is a two-player game. The discriminator D maximises, and the generator G minimises, "
    "the **value function**"
)
st.latex(
    r"V(D,G)=\mathbb{E}_{x\sim p_{\mathrm{data}}}[\log D(x)]"
    r"+\mathbb{E}_{z\sim p_z}[\log(1-D(G(z)))]"
    r"=\int p_{\mathrm{data}}(x)\log D(x)+p_g(x)\log(1-D(x))\,dx."
)
st.markdown(
    "Shape the data distribution and the generator's distribution below. Every number on this "
    "page is integrated exactly on a fine grid by `gancore.theory`."
)

with st.container(border=True):
    c_data, c_g = st.columns(2, gap="large")
    with c_data:
        p_data = density_ui("p_data — the data", "pdata", DATA_DEFAULT)
    with c_g:
        p_g = density_ui("p_g — the generator", "pg", G_DEFAULT)

a = analyse(_spec(p_data), _spec(p_g))
div = a["div"]

# --- 1. V, D*, and the divergences --------------------------------------------------------
st.header("1 · D* and V(D*, G) = 2·JS − 2 log 2")
st.markdown(
    "For a fixed G, the best discriminator is "
    r"$D^*(x)=\dfrac{p_{\mathrm{data}}(x)}{p_{\mathrm{data}}(x)+p_g(x)}$. "
    "Put it back into V and the game becomes a divergence: "
    r"$V(D^*,G)=2\,\mathrm{JS}(p_{\mathrm{data}}\,\|\,p_g)-2\log 2$, "
    "which is smallest, −log 4 ≈ −1.386294, exactly when p_g = p_data."
)
m = st.columns(3) + st.columns(3)
m[0].metric("V(D*, G)", fmt(div.value_at_optimum))
m[1].metric("2·JS − 2 log 2", fmt(div.two_js_minus_log4))
m[2].metric("JS(p_data ‖ p_g)", fmt(div.js))
m[3].metric("KL(p_data ‖ p_g)", fmt(div.kl_data_g))
m[4].metric("KL(p_g ‖ p_data)", fmt(div.kl_g_data))
m[5].metric("W1(p_data, p_g)", fmt(div.w1))
gap = div.value_at_optimum - div.two_js_minus_log4
st.caption(
    f"V(D*, G) − (2·JS − 2 log 2) = {gap:.1e} on a grid of {a['x'].size:,} points. "
    "JS lies in [0, log 2]; KL is ∞ when one distribution has mass where the other has none; "
    "W1 is the area between the two CDFs."
)

x_lo, x_hi = float(a["xd"][0]), float(a["xd"][-1])
x0 = st.slider(
    "x₀ (used in sections 2 and 4; drawn as a dashed line)",
    round(x_lo, 1),
    round(x_hi, 1),
    value=round(float(np.clip(-0.8, x_lo, x_hi)), 1),
    step=0.05,
    key="x0",
)
st.plotly_chart(
    tplots.mark_x(value_figure(_spec(p_data), _spec(p_g)), x0),
    width="stretch",
    key="fig_value",
)

# --- 2. Pointwise maximisation ------------------------------------------------------------
st.header("2 · Why D* has that form: maximise pointwise")
st.markdown(
    "V is an integral over x of a log y + b log(1 − y), with y = D(x), a = p_data(x) and "
    "b = p_g(x). D can choose y separately at every x, so it maximises each integrand on its own."
)
direct = st.toggle("set a and b directly", key="ab_direct")
if direct:
    c1, c2 = st.columns(2)
    pa = c1.number_input("a = p_data(x)", 0.0, 100.0, 0.6, 0.05, key="a_direct")
    pb = c2.number_input("b = p_g(x)", 0.0, 100.0, 0.2, 0.05, key="b_direct")
else:
    pa = float(np.interp(x0, a["x"], a["pd"]))
    pb = float(np.interp(x0, a["x"], a["pg"]))
y_star = theory.pointwise_argmax(pa, pb)
y = np.linspace(1e-4, 1 - 1e-4, 800)
c_fig, c_txt = st.columns([3, 2])
with c_fig:
    st.plotly_chart(
        tplots.pointwise_figure(pa, pb, y, theory.pointwise_objective(y, pa, pb), y_star),
        width="stretch",
        key="fig_pointwise",
    )
with c_txt:
    where = "" if direct else f" at x₀ = {x0:.2f}"
    st.markdown(f"With a = {pa:.6f} and b = {pb:.6f}{where}:")
    st.latex(r"f'(y)=\frac{a}{y}-\frac{b}{1-y}=0\iff a(1-y)=b\,y\iff y^*=\frac{a}{a+b}")
    if pa + pb == 0:
        st.info("Here a = b = 0: no data and no fakes, so every y is optimal (we draw ½).")
    else:
        st.latex(rf"y^*=\frac{{{pa:.4f}}}{{{pa:.4f}+{pb:.4f}}}={y_star:.6f}")
        st.markdown(
            "f is concave (f'' = −a/y² − b/(1−y)² < 0), so this zero of f' is the maximum: "
            f"f(y*) = {fmt(float(theory.pointwise_objective(y_star, pa, pb)))}."
        )

# --- 3. Moving G toward the data ----------------------------------------------------------
st.header("3 · Moving G toward the data")
st.markdown(
    "Slide p_g toward p_data and watch V(D*, G) fall to its global minimum −log 4 at t = 1, "
    "where p_g = p_data and D* = ½ everywhere. Press ▶ to animate in the browser."
)
c1, c2 = st.columns([2, 1])
t_now = c1.slider("t (0 = your p_g, 1 = p_data)", 0.0, 1.0, 0.0, 0.025, key="morph_t")
mode_label = c2.radio(
    "path",
    ["transport (bumps slide)", "mixture (mass fades)"],
    key="morph_mode",
    help="transport: displacement interpolation, every quantile moves in a straight line; "
    "mixture: (1 − t)·p_g + t·p_data.",
)
mode = "transport" if mode_label.startswith("transport") else "mixture"
path = morph_path(_spec(p_data), _spec(p_g), mode)
idx = int(np.argmin(np.abs(MORPH_TS - t_now)))
v_t = float(path["values"][idx])
mc = st.columns(3)
mc[0].metric("t", f"{MORPH_TS[idx]:.3f}")
mc[1].metric("V(D*, G_t)", fmt(v_t))
mc[2].metric("V(D*, G_t) + log 4", fmt(v_t + theory.LOG4), help="0 exactly when p_g = p_data")
st.plotly_chart(
    tplots.set_morph_current(path["figure"], path["frames"], MORPH_TS, path["values"], idx),
    width="stretch",
    key="fig_morph",
)

# --- 4. The binary cross-entropy reading --------------------------------------------------
st.header("4 · The same thing as binary cross-entropy")
st.markdown(
    "D is a classifier with label y = 1 for real samples and y = 0 for fakes. Its loss on one "
    "prediction ŷ = D(x) is the binary cross-entropy"
)
st.latex(r"L(y,\hat y)=-\left[y\log\hat y+(1-y)\log(1-\hat y)\right].")
c1, c2 = st.columns(2)
x_real = c1.slider(
    "a real sample x_real",
    round(x_lo, 1),
    round(x_hi, 1),
    value=round(float(p_data.mean()), 1),
    step=0.05,
    key="x_real",
)
x_fake = c2.slider(
    "a fake sample x_fake = G(z)",
    round(x_lo, 1),
    round(x_hi, 1),
    value=round(float(p_g.mean()), 1),
    step=0.05,
    key="x_fake",
)
d_r = float(np.interp(x_real, a["x"], theory.optimal_discriminator(a["pd"], a["pg"])))
d_f = float(np.interp(x_fake, a["x"], theory.optimal_discriminator(a["pd"], a["pg"])))
l_real = theory.binary_cross_entropy(1.0, d_r)
l_fake = theory.binary_cross_entropy(0.0, d_f)
v_pair = -(l_real + l_fake)
c_fig, c_txt = st.columns([3, 2])
with c_fig:
    st.plotly_chart(tplots.bce_figure(d_r, d_f), width="stretch", key="fig_bce")
with c_txt:
    st.markdown(f"With D = D*: D(x_real) = {d_r:.6f}, D(x_fake) = {d_f:.6f}.")
    st.markdown(
        f"- real, y = 1: L = −log D(x_real) = **{fmt(l_real)}**\n"
        f"- fake, y = 0: L = −log(1 − D(x_fake)) = **{fmt(l_fake)}**\n"
        f"- sum = **{fmt(l_real + l_fake)}**"
    )
    st.markdown(
        "The pair's value log D(x_real) + log(1 − D(x_fake)) is "
        f"**{fmt(v_pair)}** = −(sum): minimising D's cross-entropy over real and fake samples "
        "is maximising V, and the average over many pairs is V itself."
    )
    rng = np.random.default_rng(0)
    n_mc = 20000
    xr = p_data.sample(n_mc, rng)
    xf = p_g.sample(n_mc, rng)
    mc_v = theory.value_monte_carlo(xr, xf, theory.optimal_discriminator(a["pd"], a["pg"]), a["x"])
    st.caption(
        f"Averaged over {n_mc:,} sampled pairs (seed 0): {fmt(mc_v, 4)}; "
        f"the exact integral V(D*, G) is {fmt(div.value_at_optimum, 4)}."
    )
