"""AppTest of the 1D and 2D labs, driven through their step buttons (AppTest fires no timers).

The runs live in the server's training workers (gancore.live); the tests read them through
the page's handle, as the page does."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
LAB_2D = str(ROOT / "pages/lab_2d.py")
LAB_1D = str(ROOT / "pages/lab_1d.py")


def run(page: str) -> AppTest:
    at = AppTest.from_file(page, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metric(at: AppTest, label: str) -> str:
    (m,) = [m for m in at.metric if m.label == label]
    return m.value


def charts(at: AppTest) -> list[dict]:
    """The figures of the page's live charts (pages/_live_chart.py), in page order."""
    return [json.loads(json.loads(c.proto.json_args)["spec"]) for c in at.get("component_instance")]


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_2d_lab_steps_change_the_figure_and_the_metrics():
    at = run(LAB_2D)
    assert metric(at, "step") == "0"
    assert metric(at, "modes captured") == "0 / 8"
    js0 = float(metric(at, "grid JS(p_data ‖ p_g)"))
    fig0 = charts(at)[0]
    click(at, "lab2d_step100")
    assert metric(at, "step") == "100"
    assert float(metric(at, "grid JS(p_data ‖ p_g)")) != js0
    assert charts(at)[0] != fig0
    click(at, "lab2d_step")
    assert metric(at, "step") == "101"
    lab = at.session_state["lab2d"]
    assert lab.handle.refresh()["step"] == 101
    assert lab.handle.describe()["timeline_steps"][-2:] == [100.0, 101.0]


def test_2d_lab_is_deterministic_per_seed():
    def after_steps(seed: int) -> dict:
        at = run(LAB_2D)
        at.number_input(key="lab2d_seed").set_value(seed).run()
        click(at, "lab2d_step10")
        return {m.label: m.value for m in at.metric}

    a, b, c = after_steps(3), after_steps(3), after_steps(4)
    assert a == b
    assert a != c


def wait_for_steps(lab, more_than: int, timeout: float = 60.0) -> int:
    """The run's step once its worker has trained past ``more_than`` (it trains on its own)."""
    deadline = time.monotonic() + timeout
    while (step := lab.handle.refresh()["step"]) <= more_than:
        assert time.monotonic() < deadline, f"no training past step {more_than}"
        time.sleep(0.1)
    return step


def test_train_button_trains_in_the_worker_and_pause_stops():
    at = run(LAB_2D)
    click(at, "lab2d_play")
    lab = at.session_state["lab2d"]
    assert lab.running
    step = wait_for_steps(lab, 0)  # the worker trains between refreshes
    at.run()
    assert int(metric(at, "step").replace(",", "")) >= step
    click(at, "lab2d_pause")
    assert not at.session_state["lab2d"].running
    paused = lab.handle.refresh()["step"]
    time.sleep(0.5)
    assert lab.handle.refresh()["step"] == paused


def test_switching_preset_and_data_rebuilds_the_run():
    at = run(LAB_2D)
    click(at, "lab2d_step10")
    at.selectbox(key="lab2d_preset").set_value("toy-wgan-gp").run()
    lab = at.session_state["lab2d"]
    assert lab.step_count == 0
    assert lab.config["loss"] == "wgan_gp"
    assert at.selectbox(key="lab2d_toy-wgan-gp_loss").value == "wgan_gp"
    click(at, "lab2d_step")
    assert "Wasserstein estimate" in [m.label for m in at.metric]
    at.selectbox(key="lab2d_dataset_toy-wgan-gp").set_value("grid25").run()
    assert metric(at, "modes captured").endswith("/ 25")


def test_hyperparameters_apply_live_without_reset():
    at = run(LAB_2D)
    click(at, "lab2d_step10")
    at.number_input(key="lab2d_ring8_lr_g").set_value(0.0005).run()
    at.number_input(key="lab2d_ring8_k").set_value(3).run()
    lab = at.session_state["lab2d"]
    status = lab.handle.refresh()
    assert status["step"] == 10  # models kept
    assert status["config"]["lr_g"] == pytest.approx(0.0005)
    assert status["config"]["d_steps"] == 3
    click(at, "lab2d_step")  # the optimizer in the worker uses the new rate
    assert lab.status["step"] == 11


def test_diverged_run_says_so_and_keeps_the_last_good_state():
    at = run(LAB_2D)
    click(at, "lab2d_step10")
    # absurd settings, as a user could pick them: least squares with SGD at a learning rate of
    # 1 blows up within a few rounds (at step 15 on this seed)
    at.selectbox(key="lab2d_ring8_loss").set_value("least_squares").run()
    for net in ("g", "d"):
        at.selectbox(key=f"lab2d_ring8_opt_{net}").set_value("sgd").run()
        at.number_input(key=f"lab2d_ring8_lr_{net}").set_value(1.0).run()
    lab = at.session_state["lab2d"]
    good = lab.handle.weights()["generator"]
    click(at, "lab2d_step100")
    assert at.error, "a diverged run must show an error"
    assert "diverged" in at.error[0].value
    step = lab.handle.refresh()["step"]
    assert 10 < step < 110  # stopped at the last good round
    assert metric(at, "step") == f"{step}"
    after = lab.handle.weights()["generator"]
    assert all(np.isfinite(v).all() for v in after.values())
    assert any(not np.array_equal(good[k], after[k]) for k in good)  # trained until it broke


def test_2d_lab_layers_toggle_traces():
    at = run(LAB_2D)
    n_all = len(_traces(at))
    at.pills(key="lab2d_layers").set_value(["real", "fake"]).run()
    names = _traces(at)
    assert names == ["real samples", "generated samples"]
    assert n_all == 5


def _traces(at: AppTest) -> list[str]:
    return [t.get("name") for t in charts(at)[0]["data"]]


def test_live_charts_keep_their_identity_so_the_browser_updates_them_in_place():
    at = run(LAB_2D)
    before = at.get("component_instance")[0].proto
    assert len(at.get("component_instance")) == 5  # the curves too, and the replay's picture
    click(at, "lab2d_step10")
    after = at.get("component_instance")
    assert after[0].proto.id == before.id  # the same chart: no remount, a Plotly.react
    assert after[0].proto.json_args != before.json_args
    args = json.loads(after[0].proto.json_args)
    assert args["height"] == 620
    assert "template" not in json.loads(args["spec"])["layout"]  # the page applies the look
    assert len(after) == 5  # the picture, then losses, what D believes, quality; replay
    assert len({c.proto.id for c in after}) == 5


def test_1d_lab_steps_move_p_g_toward_the_data():
    at = run(LAB_1D)
    v0, js0 = float(metric(at, "V(D*, G)")), float(metric(at, "JS(p_data ‖ p_g)"))
    for _ in range(3):
        click(at, "lab1d_step100")
    v1, js1 = float(metric(at, "V(D*, G)")), float(metric(at, "JS(p_data ‖ p_g)"))
    assert metric(at, "step") == "300"
    assert js1 < js0
    assert v1 < v0
    assert v1 >= -np.log(4) - 1e-3  # V(D*, G) is never below -log 4
    assert len(charts(at)) == 4  # the picture, V over time, divergences over time, replay


def test_2d_lab_trains_on_uploaded_points_and_refuses_bad_files():
    at = run(LAB_2D)
    at.selectbox(key="lab2d_dataset_ring8").set_value("points").run()
    assert "0 points" in at.caption[0].value  # the drawing canvas comes first
    at.radio(key="lab2d_points_how").set_value("upload a CSV").run()
    assert at.info and "Upload a CSV" in at.info[0].value
    at.file_uploader(key="lab2d_points_file").set_value(
        ("bad.csv", b"x,y\n1,2\noops,3\n", "text/csv")
    )
    at.run()
    assert not at.exception
    assert "line 3 is not two numbers" in at.error[0].value
    rows = "\n".join(f"{np.cos(t):.4f},{np.sin(t):.4f}" for t in np.linspace(0, 6, 200))
    at.file_uploader(key="lab2d_points_file").set_value(
        ("ok.csv", ("x,y\n" + rows).encode(), "text/csv")
    )
    at.run()
    assert not at.exception and not at.error
    facts = at.session_state["lab2d"].handle.describe()
    assert facts["data"] == "points"
    assert facts["real_abs_max"] < 3.5  # rescaled into the view
    click(at, "lab2d_step10")
    assert at.session_state["lab2d"].step_count == 10


def test_export_packages_a_loadable_checkpoint_zip(tmp_path):
    import io
    import zipfile

    from gancore.io.hub import load_checkpoint

    at = run(LAB_2D)
    click(at, "lab2d_step10")
    click(at, "lab2d_package")
    step, data = at.session_state["lab2d_zip"]
    assert step == 10
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        zf.extractall(tmp_path)
    assert {
        "gancore-ring8/config.json",
        "gancore-ring8/model.safetensors",
        "gancore-ring8/README.md",
    } <= set(names)
    loaded = load_checkpoint(tmp_path / "gancore-ring8")
    assert loaded.config["metrics"]["step"] == 10
    assert loaded.sample(5, seed=0).shape == (5, 2)


def test_step_d_only_and_g_only_buttons():
    at = run(LAB_2D)
    click(at, "lab2d_step10")
    lab = at.session_state["lab2d"]
    before = lab.handle.weights()
    click(at, "lab2d_step_d")
    assert metric(at, "step") == "11"
    after = lab.handle.weights()
    assert _same(before["generator"], after["generator"])
    assert not _same(before["discriminator"], after["discriminator"])
    click(at, "lab2d_step_g")
    assert metric(at, "step") == "12"
    last = lab.handle.weights()
    assert _same(after["discriminator"], last["discriminator"])
    assert not _same(after["generator"], last["generator"])
    assert lab.handle.timeline()[-1]["grad_norm_d"] == 0.0


def _same(a: dict, b: dict) -> bool:
    return all(np.array_equal(a[k], b[k]) for k in a)


def test_two_sessions_are_isolated_and_placed_on_different_workers():
    one = run(LAB_2D)
    a = one.session_state["lab2d"]
    click(one, "lab2d_step10")
    click(one, "lab2d_play")
    two = run(LAB_2D)  # opened while one's run trains: the other worker takes it
    b = two.session_state["lab2d"]
    assert a.handle.sid != b.handle.sid
    assert b.handle.refresh()["step"] == 0 and a.handle.refresh()["step"] >= 10
    pool = a.handle.pool
    assert pool.size < 2 or pool._where[a.handle.sid] != pool._where[b.handle.sid]
    click(one, "lab2d_pause")


def test_the_pacing_chart_carries_a_new_tick_per_refresh_only_while_running():
    at = run(LAB_2D)
    args = json.loads(at.get("component_instance")[0].proto.json_args)
    assert "tick" not in args  # paused: nothing paces
    click(at, "lab2d_play")
    first = json.loads(at.get("component_instance")[0].proto.json_args)
    at.run()
    second = json.loads(at.get("component_instance")[0].proto.json_args)
    assert second["tick"] > first["tick"] and second["pace"] >= 0.15
    click(at, "lab2d_pause")
    assert "tick" not in json.loads(at.get("component_instance")[0].proto.json_args)
