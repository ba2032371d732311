"""AppTest of the training-dynamics page: move widgets, check the verdicts shown are the
library's, and that no combination of widgets raises."""

import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gancore import dynamics as dyn

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
PAGE = str(ROOT / "pages/theory_dynamics.py")


def metric(at: AppTest, label: str) -> str:
    (m,) = [m for m in at.metric if m.label == label]
    return m.value


def verdicts(at: AppTest) -> dict[str, str]:
    return {
        m: metric(at, f"{m} GD") for m in dyn.MODES if f"{m} GD" in [x.label for x in at.metric]
    }


def text(at: AppTest) -> str:
    return " ".join(m.value for m in at.markdown)


@pytest.fixture
def at() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_default_render_shows_the_papers_picture(at):
    assert at.title[0].value.startswith("Training dynamics")
    assert len(at.get("plotly_chart")) == 2
    assert verdicts(at) == {"simultaneous": "diverges", "alternating": "cycles"}
    # |1 + hλ| with λ = ±i/2, h = 0.1
    assert float(metric(at, "simultaneous: largest |λ|")) == pytest.approx(
        math.sqrt(1 + 0.05**2), abs=1e-6
    )
    assert float(metric(at, "alternating: largest |λ|")) == pytest.approx(1.0, abs=1e-6)
    assert "it **diverges** too" in text(at) and "it **cycles** too" in text(at)
    assert "eigenvalues 0.0000 + 0.5000i, 0.0000 − 0.5000i" in at.caption[0].value


def test_r1_with_a_small_step_converges(at):
    at.selectbox(key="dyn_reg").set_value("r1").run()  # γ's slider is live from now on
    at.slider(key="dyn_gamma").set_value(1.0)
    at.select_slider(key="dyn_lr").set_value(0.05).run()
    assert not at.exception
    assert verdicts(at) == {"simultaneous": "converges", "alternating": "converges"}
    want = dyn.verdict("minimax", reg="r1", gamma=1.0, lr=0.05, mode="alternating").radius
    assert float(metric(at, "alternating: largest |λ|")) == pytest.approx(want, abs=1e-6)
    assert "it **converges** too" in text(at)
    assert "zero-centred gradient penalty" in text(at)
    assert at.code[0].value == "lab-2d?preset=ring8&train.loss=minimax&train.r1_gamma=1"
    # Back to no regularizer: simultaneous GD diverges again.
    at.selectbox(key="dyn_reg").set_value("none").run()
    assert verdicts(at)["simultaneous"] == "diverges"


def test_loss_and_regularizer_change_the_verdict(at):
    at.selectbox(key="dyn_loss").set_value("least_squares").run()
    assert verdicts(at) == {"simultaneous": "stalls", "alternating": "stalls"}
    assert "D(0) = 0 whatever ψ" in text(at)
    at.selectbox(key="dyn_loss").set_value("wgan_gp").run()
    assert verdicts(at) == {"simultaneous": "diverges", "alternating": "diverges"}
    assert "not a stationary point" in " ".join(e.value for e in at.error)
    at.selectbox(key="dyn_loss").set_value("minimax")
    at.selectbox(key="dyn_reg").set_value("instance_noise").run()
    at.slider(key="dyn_noise").set_value(1.0).run()
    assert verdicts(at)["simultaneous"] == "converges"
    at.slider(key="dyn_noise").set_value(0.1).run()
    assert verdicts(at)["simultaneous"] == "diverges"
    assert at.code[0].value == "lab-2d?preset=ring8&train.loss=minimax&train.instance_noise=0.1"
    at.selectbox(key="dyn_reg").set_value("consensus").run()
    at.slider(key="dyn_gamma").set_value(2.0).run()
    assert verdicts(at)["simultaneous"] == "converges"
    assert any("no consensus optimization" in c.value for c in at.caption)


def test_a_large_step_diverges_even_with_r1(at):
    at.selectbox(key="dyn_loss").set_value("wgan")
    at.selectbox(key="dyn_reg").set_value("r1").run()
    at.slider(key="dyn_gamma").set_value(0.5)
    at.select_slider(key="dyn_lr").set_value(1.0).run()
    assert not at.exception
    want = dyn.verdict("wgan", reg="r1", gamma=0.5, lr=1.0, mode="simultaneous")
    assert want.kind == "diverges" and verdicts(at)["simultaneous"] == "diverges"
    assert "blew up" not in text(at)  # clipping (c = 0.3) holds ψ: the path stays bounded
    at.slider(key="dyn_clip").set_value(0.0).run()  # without it, the path flies off
    assert "blew up" in text(at)


def test_near_the_equilibrium_the_path_agrees_and_far_away_the_page_says_why(at):
    at.selectbox(key="dyn_loss").set_value("non_saturating").run()
    # From (1, 1) the non-saturating game's nonlinear terms shrink the spiral ...
    assert "not what the eigenvalues say" in text(at)
    at.slider(key="dyn_theta0").set_value(0.05)
    at.slider(key="dyn_psi0").set_value(0.05)
    at.slider(key="dyn_steps").set_value(2000).run()
    # ... near (0, 0) the linearisation rules and the path does what it says.
    assert "it **diverges** too" in text(at) and "it **cycles** too" in text(at)


def test_no_widget_combination_raises():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    for loss, reg in itertools.product(dyn.LOSSES, dyn.REGULARIZERS):
        at.selectbox(key="dyn_loss").set_value(loss)
        at.selectbox(key="dyn_reg").set_value(reg).run()
        assert not at.exception, (loss, reg, [e.value for e in at.exception])
        assert set(verdicts(at).values()) <= set(dyn.KINDS)
    extremes = [
        {"dyn_gamma": 0.0, "dyn_noise": 0.0, "dyn_clip": 0.0},
        {"dyn_gamma": 3.0, "dyn_noise": 3.0, "dyn_clip": 2.0, "dyn_steps": 2000},
        {"dyn_theta0": 0.0, "dyn_psi0": 0.0},
        {"dyn_theta0": -2.0, "dyn_psi0": 2.0},
    ]
    # Every extreme meets every loss once, with the regularizers and both ends of h in turn.
    regs = ("r1", "instance_noise", "consensus", "r2")
    for i, (loss, ex) in enumerate(itertools.product(dyn.LOSSES, extremes)):
        reg, lr = regs[i % len(regs)], (0.001, 2.0)[(i // len(regs)) % 2]
        at.selectbox(key="dyn_loss").set_value(loss)
        at.selectbox(key="dyn_reg").set_value(reg)
        at.select_slider(key="dyn_lr").set_value(lr).run()
        for key, value in ex.items():
            if not at.slider(key=key).proto.disabled:  # as in a browser
                at.slider(key=key).set_value(value)
        at.run()
        assert not at.exception, (loss, reg, lr, ex, [e.value for e in at.exception])
    at.multiselect(key="dyn_modes").set_value([]).run()
    assert not at.exception
    assert any("Pick a kind of gradient descent" in i.value for i in at.info)
    assert len(verdicts(at)) == 2  # the verdicts still show; only the paths are gone


def test_the_router_serves_the_page_with_a_link_to_the_2d_lab():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("pages/theory_dynamics.py").run()
    assert not at.exception
    assert at.title[0].value.startswith("Training dynamics")
    at.selectbox(key="dyn_loss").set_value("hinge")
    at.selectbox(key="dyn_reg").set_value("r2").run()
    (link,) = at.get("page_link")
    assert link.proto.page == "lab-2d"
    assert link.proto.query_string == "preset=ring8&train.loss=hinge&train.r2_gamma=1"


def test_the_page_shows_the_librarys_path_end():
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.selectbox(key="dyn_reg").set_value("r2").run()
    at.slider(key="dyn_gamma").set_value(0.5).run()
    path = dyn.simulate("minimax", reg="r2", gamma=0.5, lr=0.1, steps=1000, mode="alternating")
    end = np.hypot(*path[-1])
    assert f"ends at distance {end:.4g} from (0, 0)" in text(at)
