"""Theory explorer, part 3: why GAN training circles or diverges, on the Dirac-GAN of Mescheder,
Geiger & Nowozin (ICML 2018), and which fixes make it converge."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from gancore import dynamics as dyn
from gancore.viz import dynamics as dplots

LOSS_LABELS = {
    "minimax": "minimax (saturating)",
    "non_saturating": "non-saturating",
    "wgan": "WGAN (weight clipping)",
    "wgan_gp": "WGAN-GP",
    "hinge": "hinge",
    "least_squares": "least squares (LSGAN)",
}
REG_LABELS = {
    "none": "none",
    "r1": "R1: gradient penalty on real data",
    "r2": "R2: gradient penalty on fakes",
    "instance_noise": "instance noise",
    "consensus": "consensus optimization",
}
LRS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0]
MODE_LABELS = {"simultaneous": "simultaneous", "alternating": "alternating"}
KIND_BOX = {
    "converges": st.success,
    "cycles": st.warning,
    "stalls": st.warning,
    "diverges": st.error,
}
VIEW = 2.0  # the (θ, ψ) view is ±VIEW, widened to hold the paths (up to ±6)
BAND = 0.1  # as in dynamics.trajectory_kind


@st.cache_data(max_entries=128, show_spinner=False)
def analyse(setting: tuple, lr: float, steps: int, modes: tuple, start: tuple) -> dict:
    """Paths, eigenvalues, verdicts and streamlines for one setting of the page."""
    loss, reg, gamma, noise, clip = setting
    kw = dict(reg=reg, gamma=gamma, noise=noise)
    paths = {
        m: dyn.simulate(loss, **kw, clip=clip, lr=lr, steps=steps, mode=m, start=start)
        for m in modes
    }
    finite = [np.abs(p[np.all(np.isfinite(p), axis=1)]).max() for p in paths.values()]
    reach = float(np.clip(1.1 * max(finite, default=0.0), VIEW, 6.0))
    return {
        "paths": paths,
        "verdicts": {m: dyn.verdict(loss, **kw, lr=lr, mode=m) for m in dyn.MODES},
        "continuous": dyn.verdict(loss, **kw),
        "jacobian": dyn.equilibrium_jacobian(loss, **kw),
        "observed": {m: dyn.trajectory_kind(p, band=BAND) for m, p in paths.items()},
        "lines": dyn.streamlines(loss, **kw, limits=(-reach, reach), seeds=8, length=50),
        "reach": reach,
    }


def controls() -> dict:
    """Read the widgets; returns the setting they describe."""
    c = st.columns(3)
    loss = c[0].selectbox(
        "loss",
        dyn.LOSSES,
        format_func=LOSS_LABELS.get,
        key="dyn_loss",
        help="The pair of D and G objectives of gancore.train.losses, on D(x) = ψx and G = θ.",
    )
    reg = c[1].selectbox(
        "regularizer",
        dyn.REGULARIZERS,
        format_func=REG_LABELS.get,
        key="dyn_reg",
        help="What is added to the game to make it converge (Mescheder et al. 2017, 2018).",
    )
    modes = c[2].multiselect(
        "gradient descent",
        dyn.MODES,
        default=list(dyn.MODES),
        format_func=MODE_LABELS.get,
        key="dyn_modes",
        help="simultaneous: both players step from the same point; alternating: D steps, then "
        "G steps against the new D (as gancore's Trainer does).",
    )
    c = st.columns(3)
    gamma = c[0].slider(
        "γ (R1, R2, consensus)",
        0.0,
        3.0,
        1.0,
        0.05,
        key="dyn_gamma",
        disabled=reg not in ("r1", "r2", "consensus"),
        help="The regularizer's weight: R1/R2 add γ/2·|∇ₓD|² = γ/2·ψ² to D's loss; consensus "
        "subtracts γ·∇½|v|² from both players' steps.",
    )
    noise = c[1].slider(
        "σ (instance noise)",
        0.0,
        3.0,
        1.0,
        0.05,
        key="dyn_noise",
        disabled=reg != "instance_noise",
        help="Std of the Gaussian noise added to real and fake samples before D sees them; the "
        "field is its exact expectation.",
    )
    clip = c[2].slider(
        "clip c (WGAN)",
        0.0,
        2.0,
        0.3,
        0.05,
        key="dyn_clip",
        disabled=loss != "wgan",
        help="WGAN's weight clipping: after every D step ψ is clamped to [−c, c] (0 = off).",
    )
    c = st.columns(4)
    lr = c[0].select_slider(
        "learning rate h",
        LRS,
        value=0.1,
        key="dyn_lr",
        help="The step size of plain gradient descent, the same for both players.",
    )
    steps = c[1].slider(
        "steps", 100, 2000, 1000, 100, key="dyn_steps", help="How many updates each path takes."
    )
    theta0 = c[2].slider(
        "θ₀ (start of G)", -2.0, 2.0, 1.0, 0.05, key="dyn_theta0", help="Where G's point starts."
    )
    psi0 = c[3].slider(
        "ψ₀ (start of D)", -2.0, 2.0, 1.0, 0.05, key="dyn_psi0", help="D's starting slope."
    )
    return {
        "loss": loss,
        "reg": reg,
        "gamma": gamma if reg in ("r1", "r2", "consensus") else 0.0,
        "noise": noise if reg == "instance_noise" else 0.0,
        "clip": clip if loss == "wgan" and clip > 0 else None,
        "lr": float(lr),
        "steps": int(steps),
        "modes": tuple(m for m in dyn.MODES if m in modes),
        "start": (float(theta0), float(psi0)),
    }


def _complex(z: complex) -> str:
    re, im = float(np.real(z)) + 0.0, float(np.imag(z)) + 0.0  # no "−0"
    if abs(im) < 1e-12:
        return f"{re:.4f}"
    return f"{re:.4f} {'+' if im > 0 else '−'} {abs(im):.4f}i"


def agreement(v: dyn.Verdict, observed: str, path: np.ndarray, steps: int) -> str:
    """One line: does the simulated path do what the eigenvalues say?"""
    d = np.hypot(path[:, 0], path[:, 1])
    d0 = float(d[0])
    end = "past 10⁶ (it blew up)" if not np.isfinite(d[-1]) else f"{d[-1]:.4g}"
    where = f"The path ends at distance {end} from (0, 0), having started at {d0:.4g}"
    if d0 == 0 and v.kind != "diverges":
        return f"{where}: it starts on the equilibrium, so there is nothing to show."
    if observed == v.kind:
        return f"{where}: it **{observed}** too, as the eigenvalues say."
    with np.errstate(divide="ignore", over="ignore"):  # |λ| = 0 gives 0, a huge one inf
        factor = float(np.exp(0.75 * steps * np.log(v.radius)))
    if v.kind in ("converges", "diverges") and 1 / (1 + BAND) < factor < 1 + BAND:
        return (
            f"{where}: it looks like it **{observed}**, but this run is too short to tell: the "
            f"eigenvalues predict a change of only ×{factor:.3f} over its last three quarters. "
            "Add steps or raise h."
        )
    return (
        f"{where}: it **{observed}**, not what the eigenvalues say. They describe the game near "
        "(0, 0) only, where it is linear; from this start the nonlinear terms rule (a saturated "
        "sigmoid, hinge's or WGAN-GP's kink, clipping). Start closer to (0, 0) to see the "
        "verdict play out."
    )


def reading(loss: str, reg: str, kinds: dict[str, str]) -> str:
    """What the verdict means for a real GAN."""
    if reg in ("r1", "r2") and "converges" in kinds.values():
        core = (
            "A zero-centred gradient penalty makes D flat where the data is: once G sits on the "
            "data, D has no slope left to push it off, and the spiral turns inward. This is the "
            "fix the paper recommends (R1 is StyleGAN's default)."
        )
    elif reg == "instance_noise" and "converges" in kinds.values():
        core = (
            "Noise blurs real and fake samples into overlapping distributions, which damps D "
            "the same way a gradient penalty does, at the price of a blurrier target: real "
            "runs anneal σ to 0."
        )
    elif reg == "consensus" and "converges" in kinds.values():
        core = (
            "Consensus optimization also descends the size of the gradient field, which adds "
            "the missing damping; it needs second derivatives, so it is costly in real nets."
        )
    elif loss == "least_squares":
        core = (
            "With D(x) = ψx, D can never tell the real point at 0 apart (D(0) = 0 whatever ψ), "
            "so once D is flat (ψ = 0) G gets no gradient at all: the run stops wherever it "
            "is. Real GANs meet this as a D that stops giving useful gradients."
        )
    elif loss == "wgan_gp":
        core = (
            "WGAN-GP's penalty wants |∇D| = 1 even on the data, so D is never flat at the "
            "equilibrium and keeps pushing G off it: the losses circle instead of settling."
        )
    elif "diverges" in kinds.values() or "cycles" in kinds.values():
        core = (
            "The game is a rotation around the equilibrium: D's slope pushes G, G's move "
            "changes D's slope, and neither loss ever reaches zero. Simultaneous steps add a "
            "little energy every turn and spiral out; alternating steps circle for ever. This "
            "is the 'losses oscillate and nothing improves' of real runs."
        )
    else:
        core = "Every eigenvalue pulls toward the equilibrium: training settles."
    return core


def lab_link(setting: dict) -> dict[str, str]:
    """The 2D lab's query for the nearest real setting, in the CLI's --set keys."""
    query = {"preset": "ring8", "train.loss": setting["loss"]}
    if setting["reg"] in ("r1", "r2") and setting["gamma"] > 0:
        query[f"train.{setting['reg']}_gamma"] = f"{setting['gamma']:g}"
    if setting["reg"] == "instance_noise" and setting["noise"] > 0:
        query["train.instance_noise"] = f"{setting['noise']:g}"
    return query


st.title("Training dynamics: why GANs circle, and what makes them converge")
st.markdown(
    "The smallest GAN there is (the *Dirac-GAN* of Mescheder, Geiger & Nowozin, ICML 2018): "
    "the data is a single point at 0, the generator puts its point at θ, and the "
    "discriminator is D(x) = ψ·x. The whole game lives in the (θ, ψ) plane, and its "
    "equilibrium is (0, 0): G on the data and D flat, unable to tell them apart. With "
    "f(t) = −log(1 + e^−t), the standard game and its gradient field are"
)
st.latex(
    r"L(\theta,\psi)=f(\psi\theta)+f(0),\qquad "
    r"v(\theta,\psi)=\Bigl(-\tfrac{\partial L}{\partial\theta},\ \tfrac{\partial L}{\partial\psi}"
    r"\Bigr)=\bigl(-f'(\psi\theta)\,\psi,\ f'(\psi\theta)\,\theta\bigr)."
)
st.markdown(
    "At (0, 0) its Jacobian is [[0, −f′(0)], [f′(0), 0]] with eigenvalues ±i·f′(0) = ±i/2: a "
    "pure rotation, no pull toward the equilibrium. One step of gradient descent multiplies "
    "the distance to it by the eigenvalues' modulus |λ|: below 1 it converges, above 1 it "
    "diverges, on the unit circle it cycles; an eigenvalue of exactly 1 that does not turn "
    "leaves a direction with no pull at all, where the run stalls."
)

with st.container(border=True):
    s = controls()
try:
    a = analyse(
        (s["loss"], s["reg"], s["gamma"], s["noise"], s["clip"]),
        s["lr"],
        s["steps"],
        s["modes"],
        s["start"],
    )
except ValueError as err:  # every widget stays in range, but say it plainly if not
    st.error(f"These settings cannot be simulated: {err}")
    st.stop()

verdicts = {m: a["verdicts"][m] for m in (s["modes"] or dyn.MODES)}
c_fig, c_side = st.columns([3, 2], gap="medium")
with c_fig:
    st.plotly_chart(
        dplots.phase_figure(a["lines"], a["paths"], (-a["reach"], a["reach"])),
        width="stretch",
        key="fig_dyn_phase",
    )
    if not s["modes"]:
        st.info("Pick a kind of gradient descent above to draw its path.")
with c_side:
    st.markdown(f"**Eigenvalues of one step at (0, 0), h = {s['lr']:g}**")
    st.plotly_chart(
        dplots.eigen_figure({m: v.eigenvalues for m, v in verdicts.items()}, height=360),
        width="stretch",
        key="fig_dyn_eigen",
    )
    cont = a["continuous"]
    ev = ", ".join(_complex(z) for z in cont.eigenvalues)
    jac = a["jacobian"]
    (j11, j12), (j21, j22) = (f"{x + 0.0:.4g}" for x in jac[0]), (f"{x + 0.0:.4g}" for x in jac[1])
    st.latex(rf"J=\begin{{pmatrix}}{j11} & {j12}\\ {j21} & {j22}\end{{pmatrix}}")
    where = (
        "on either side of ψ = 0 ((0, 0) itself is no stationary point)"
        if s["loss"] == "wgan_gp"
        else "at (0, 0)"
    )
    st.caption(
        f"J = ∂v/∂(θ, ψ) {where}, eigenvalues {ev}: the continuous flow {cont.kind}. One step "
        "of simultaneous descent is I + hJ; alternating descent moves D first."
    )

st.subheader("Verdict")
cols = st.columns(len(verdicts))
for col, (mode, v) in zip(cols, verdicts.items(), strict=True):
    with col:
        st.metric(f"{mode} GD", v.kind)
        KIND_BOX[v.kind](v.reason, icon=None)
        if mode in a["paths"]:
            st.markdown(agreement(v, a["observed"][mode], a["paths"][mode], s["steps"]))
        st.metric(
            f"{mode}: largest |λ|",
            f"{v.radius:.6f}",
            help="The spectral radius of one update at (0, 0).",
        )

st.subheader("What it means for a real GAN")
st.markdown(reading(s["loss"], s["reg"], {m: v.kind for m, v in verdicts.items()}))
query = lab_link(s)
with st.container(border=True):
    st.markdown(
        "Try the same loss and fix on a real (small) GAN: the 2D lab opens on ring8 with "
        + ", ".join(f"`{k}={v}`" for k, v in query.items() if k != "preset")
        + ". Learning rates are not carried over: the lab trains MLPs with Adam."
    )
    if s["reg"] == "consensus":
        st.caption("The Trainer has no consensus optimization; R1 is the nearest fix it has.")
    if s["loss"] == "wgan":
        st.caption("Clipping is not carried over either: an MLP's weights need a far smaller c.")
    try:
        st.page_link(
            "pages/lab_2d.py", label="Open the 2D lab with this setting", query_params=query
        )
    except StreamlitPageNotFoundError:  # the page run on its own, outside the app's navigation
        st.markdown(f"[Open the 2D lab with this setting](lab-2d?{urlencode(query, safe='.')})")
    st.code(f"lab-2d?{urlencode(query, safe='.')}", language=None)
