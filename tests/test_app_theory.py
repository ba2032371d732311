"""AppTest of the theory pages: move widgets, check the numbers shown are the right ones."""

import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from gancore import theory as T

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
VALUE_PAGE = str(ROOT / "pages/theory_value.py")
LOSSES_PAGE = str(ROOT / "pages/theory_losses.py")


def metric(at: AppTest, label: str) -> float:
    (m,) = [m for m in at.metric if m.label == label]
    return {"∞": math.inf, "−∞": -math.inf}.get(m.value) or float(m.value)


def run(page: str) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def expected(p_data: T.Density1D, p_g: T.Density1D) -> T.Divergences:
    return T.divergences(p_data, p_g, T.make_grid(p_data, p_g))


def test_router_opens_on_the_theory_page_and_reaches_every_page():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "The value function and the optimal discriminator"
    at.switch_page("pages/theory_losses.py").run()
    assert not at.exception
    assert at.title[0].value == "Generator losses, and why Wasserstein helps"


def test_default_numbers_are_the_library_values():
    at = run(VALUE_PAGE)
    div = expected(
        T.gaussian_mixture([0.6, 0.4], [-1.5, 1.8], [0.5, 0.4]),
        T.gaussian_mixture([1], [0.5], [1.2]),
    )
    assert metric(at, "V(D*, G)") == pytest.approx(div.value_at_optimum, abs=1e-6)
    assert metric(at, "2·JS − 2 log 2") == pytest.approx(div.two_js_minus_log4, abs=1e-6)
    assert metric(at, "JS(p_data ‖ p_g)") == pytest.approx(div.js, abs=1e-6)
    assert metric(at, "KL(p_data ‖ p_g)") == pytest.approx(div.kl_data_g, abs=1e-6)
    assert metric(at, "KL(p_g ‖ p_data)") == pytest.approx(div.kl_g_data, abs=1e-6)
    assert metric(at, "W1(p_data, p_g)") == pytest.approx(div.w1, abs=1e-6)
    assert len(at.get("plotly_chart")) == 4


def test_moving_the_generator_onto_the_data_reaches_minus_log4():
    at = run(VALUE_PAGE)
    at.number_input(key="pg_n").set_value(2).run()
    for i, (w, m, s) in enumerate([(0.6, -1.5, 0.5), (0.4, 1.8, 0.4)]):
        at.slider(key=f"pg_w{i}").set_value(w)
        at.slider(key=f"pg_m{i}").set_value(m)
        at.slider(key=f"pg_s{i}").set_value(s)
    at.run()
    assert not at.exception
    assert metric(at, "V(D*, G)") == pytest.approx(-math.log(4), abs=1e-6)
    assert metric(at, "JS(p_data ‖ p_g)") == pytest.approx(0.0, abs=1e-6)
    assert metric(at, "W1(p_data, p_g)") == pytest.approx(0.0, abs=1e-6)


def test_uniform_data_gives_infinite_kl_one_way():
    at = run(VALUE_PAGE)
    at.radio(key="pdata_kind").set_value("Uniform").run()
    at.slider(key="pdata_uniform").set_value((-1.0, 1.0)).run()
    assert not at.exception
    div = expected(T.uniform(-1, 1), T.gaussian_mixture([1], [0.5], [1.2]))
    assert metric(at, "V(D*, G)") == pytest.approx(div.value_at_optimum, abs=1e-6)
    assert metric(at, "KL(p_data ‖ p_g)") == pytest.approx(div.kl_data_g, abs=1e-6)
    assert metric(at, "KL(p_g ‖ p_data)") == math.inf


def test_pointwise_section_shows_the_argmax():
    at = run(VALUE_PAGE)
    at.toggle(key="ab_direct").set_value(True).run()
    at.number_input(key="a_direct").set_value(0.6)
    at.number_input(key="b_direct").set_value(0.2).run()
    assert not at.exception
    latex = " ".join(e.value for e in at.latex)
    assert "0.750000" in latex  # 0.6 / (0.6 + 0.2)


def test_morph_slider_reaches_the_minimum_at_t_one():
    at = run(VALUE_PAGE)
    v0 = metric(at, "V(D*, G_t)")
    assert v0 == pytest.approx(metric(at, "V(D*, G)"), abs=1e-6)
    for mode in ("transport (bumps slide)", "mixture (mass fades)"):
        at.radio(key="morph_mode").set_value(mode)
        at.slider(key="morph_t").set_value(0.5).run()
        v_half = metric(at, "V(D*, G_t)")
        at.slider(key="morph_t").set_value(1.0).run()
        assert not at.exception
        assert v0 > v_half > -math.log(4)
        assert metric(at, "V(D*, G_t)") == pytest.approx(-math.log(4), abs=1e-6)
        assert metric(at, "V(D*, G_t) + log 4") == pytest.approx(0.0, abs=1e-6)


def test_bce_terms_sum_to_minus_the_pair_value():
    at = run(VALUE_PAGE)
    at.slider(key="x_real").set_value(-1.5)
    at.slider(key="x_fake").set_value(0.5).run()
    text = " ".join(m.value for m in at.markdown)
    p_data = T.gaussian_mixture([0.6, 0.4], [-1.5, 1.8], [0.5, 0.4])
    p_g = T.gaussian_mixture([1], [0.5], [1.2])
    x = T.make_grid(p_data, p_g)
    pd, pg = T.on_grid(p_data, x)[0], T.on_grid(p_g, x)[0]
    d = T.optimal_discriminator(pd, pg)
    d_r, d_f = np.interp(-1.5, x, d), np.interp(0.5, x, d)
    assert f"{-math.log(d_r):.6f}" in text
    assert f"{-math.log(1 - d_f):.6f}" in text
    assert f"{math.log(d_r) + math.log(1 - d_f):.6f}" in text


def test_generator_loss_gradients_follow_the_slider():
    at = run(LOSSES_PAGE)
    assert metric(at, "|gradient|, saturating") == pytest.approx(0.02, abs=1e-4)
    assert metric(at, "|gradient|, non-saturating") == pytest.approx(0.98, abs=1e-4)
    at.slider(key="d_fake").set_value(0.9).run()
    assert metric(at, "|gradient|, saturating") == pytest.approx(0.9, abs=1e-4)
    assert metric(at, "non-saturating loss") == pytest.approx(-math.log(0.9), abs=1e-4)


def test_js_saturates_while_w1_tracks_theta():
    at = run(LOSSES_PAGE)
    for theta in (1.0, 3.0, -2.5):
        at.slider(key="theta").set_value(theta).run()
        assert not at.exception
        assert metric(at, "JS(θ)") == pytest.approx(math.log(2), abs=1e-6)
        assert metric(at, "W1(θ)") == pytest.approx(abs(theta), abs=1e-5)
    at.slider(key="theta").set_value(0.0).run()
    assert metric(at, "JS(θ)") == pytest.approx(0.0, abs=1e-9)
    at.slider(key="width").set_value(1.0)
    at.slider(key="theta").set_value(1.0).run()
    assert 0.0 < metric(at, "JS(θ)") < 0.2
