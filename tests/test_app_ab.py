"""A / B on the live pages (AppTest, through the step buttons): fork, change B, compare, keep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]


def _page(name: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / f"pages/{name}.py"), default_timeout=180)
    at.query_params.update(query or {})
    return _ok(at.run())


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _table(at: AppTest) -> dict[str, list[str]]:
    (table,) = at.table
    df = table.value
    return {row[""]: [row["A"], row["B"], row["B − A"]] for _, row in df.iterrows()}


def test_2d_fork_change_b_compare_and_keep_b():
    at = _page("lab_2d")
    _ok(at.button(key="lab2d_step10").click().run())
    _ok(at.button(key="lab2d_fork").click().run())
    lab = at.session_state["lab2d"]
    assert lab.handle.b["step"] == 10
    a0, b0 = lab.handle.weights(), lab.handle.weights("b")
    assert all(np.array_equal(a0[n][k], b0[n][k]) for n in a0 for k in a0[n])
    _ok(at.selectbox(key="lab2d_b_ring8_loss").set_value("least_squares").run())
    _ok(at.number_input(key="lab2d_b_ring8_k").set_value(3).run())
    assert any("B: loss = least_squares, k = 3" in m.value for m in at.markdown)
    _ok(at.button(key="lab2d_step10").click().run())
    assert lab.step_count == 20 and lab.handle.b["step"] == 20
    rows = _table(at)
    assert set(rows) >= {"modes captured", "grid JS(p_data ‖ p_g)", "mean D(real)"}
    js_a, js_b, diff = rows["grid JS(p_data ‖ p_g)"]
    assert js_a != js_b and float(diff) == pytest.approx(float(js_b) - float(js_a), abs=2e-4)
    # the curves overlay A and B; the link carries B's difference
    names = {t.get("name") for c in _charts(at) for t in c["data"]}
    assert {"A · D loss", "B · D loss", "A · grid JS", "B · grid JS"} <= names
    assert len(at.get("component_instance")) == 6  # A, B, three charts of curves, replay
    assert dict(at.query_params) == {
        "preset": "ring8",
        "b.train.loss": "least_squares",
        "b.train.d_steps": "3",
    }
    _ok(at.button(key="lab2d_keep_b").click().run())
    assert lab.handle.b is None and lab.config["loss"] == "least_squares"
    assert at.session_state["lab2d_ring8_loss"] == "least_squares"  # A's widgets show B's
    assert not at.table and dict(at.query_params)["train.loss"] == "least_squares"


def _charts(at: AppTest) -> list[dict]:
    import json

    return [json.loads(json.loads(c.proto.json_args)["spec"]) for c in at.get("component_instance")]


def test_a_link_with_b_opens_the_comparison_from_the_seed():
    query = {"preset": "grid25", "train.seed": "3"}
    query.update({"b.train.loss": "least_squares", "b.train.lr_d": "0.0005"})
    at = _page("lab_2d", query)
    lab = at.session_state["lab2d"]
    assert lab.step_count == 0 and lab.handle.b["step"] == 0
    assert lab.config["loss"] == "hinge" and lab.config["seed"] == 3
    assert lab.handle.b["config"]["loss"] == "least_squares"
    assert lab.handle.b["config"]["lr_d"] == 0.0005 and lab.handle.b["config"]["seed"] == 3
    assert dict(at.query_params) == query
    _ok(at.button(key="lab2d_keep_a").click().run())
    assert lab.handle.b is None and "b.train.loss" not in at.query_params


def test_1d_fresh_pair_and_reset_b():
    at = _page("lab_1d")
    _ok(at.button(key="lab1d_step100").click().run())
    _ok(at.button(key="lab1d_fork_fresh").click().run())
    lab = at.session_state["lab1d"]
    assert lab.step_count == 0 and lab.handle.b["step"] == 0
    _ok(at.selectbox(key="lab1d_b_1d-classic_loss").set_value("non_saturating").run())
    _ok(at.button(key="lab1d_step10").click().run())
    rows = _table(at)
    assert "JS(p_data ‖ p_g)" in rows and rows["JS(p_data ‖ p_g)"][0] != rows["JS(p_data ‖ p_g)"][1]
    _ok(at.button(key="lab1d_reset_b").click().run())
    assert lab.handle.b["step"] == 0 and lab.step_count == 10
    assert lab.handle.b["config"]["loss"] == "non_saturating"


def test_image_page_compares_two_grids(mnist_root, monkeypatch):
    monkeypatch.setenv("GANCORE_DATA", str(mnist_root))
    monkeypatch.setenv("GANCORE_TORCH_THREADS", "1")
    at = _page("train_images")
    _ok(at.button(key="imglab_fork").click().run())
    _ok(at.selectbox(key="imglab_b_dcgan-mnist_loss").set_value("hinge").run())
    _ok(at.button(key="imglab_step").click().run())
    lab = at.session_state["imglab"]
    assert lab.step_count == 1 and lab.handle.b["step"] == 1
    grids = [i for i in at.get("image") if i.captions[0].startswith(("A at", "B at"))]
    assert len(grids) == 2 and grids[0].value[0] != grids[1].value[0]
    rows = _table(at)
    fd_a, fd_b, _ = rows["Frechet distance (classifier features)"]
    assert float(fd_a) > 0 and float(fd_b) > 0
