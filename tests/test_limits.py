"""Hosted-demo caps: parsing and profiles, the training slots, and each cap in the pages."""

import io
import threading
import time
import zipfile
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from gancore.limits import HOSTED, Limits, TrainingSlots, limits_from

ROOT = Path(__file__).resolve().parents[1]
LAB_2D = str(ROOT / "pages/lab_2d.py")
IMAGES = str(ROOT / "pages/train_images.py")
GENERATE = str(ROOT / "pages/generate.py")
APP = str(ROOT / "streamlit_app.py")


def test_profiles_and_single_overrides():
    assert limits_from({}) == Limits()
    assert limits_from({"GANCORE_HOSTED": "0"}).hosted is False
    hosted = limits_from({"GANCORE_HOSTED": "1"})
    assert hosted == HOSTED and hosted.max_trainings == 8 and hosted.torch_threads == 1
    tweaked = limits_from({"GANCORE_HOSTED": "true", "GANCORE_MAX_STEPS": "5_000"})
    assert tweaked.max_steps == 5000 and tweaked.max_image_size == HOSTED.max_image_size
    local = limits_from({"GANCORE_MAX_UPLOAD_MB": "2.5", "GANCORE_TORCH_THREADS": "3"})
    assert not local.hosted and local.max_upload_bytes == 2_500_000 and local.threads(8) == 3
    assert Limits().threads(4) == 4  # no cap: the caller's default
    assert limits_from({"GANCORE_MAX_STEPS": ""}) == Limits()  # empty means unset


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"GANCORE_HOSTED": "maybe"}, "GANCORE_HOSTED"),
        ({"GANCORE_MAX_STEPS": "lots"}, "GANCORE_MAX_STEPS must be a number"),
        ({"GANCORE_MAX_STEPS": "0"}, "GANCORE_MAX_STEPS must be in"),
        ({"GANCORE_MAX_IMAGE_SIZE": "100000"}, "GANCORE_MAX_IMAGE_SIZE"),
        ({"GANCORE_MAX_TRAININGS": "-1"}, "GANCORE_MAX_TRAININGS"),
        ({"GANCORE_TORCH_THREADS": "0"}, "GANCORE_TORCH_THREADS"),
        ({"GANCORE_MAX_PARAMETERS": "1.5"}, "GANCORE_MAX_PARAMETERS must be a number"),
    ],
)
def test_bad_settings_name_the_variable(env, needle):
    with pytest.raises(ValueError, match=needle):
        limits_from(env)


def test_checks_say_what_and_the_limit():
    lim = limits_from({"GANCORE_HOSTED": "1"})
    lim.check_steps(20_000)
    lim.check_image_size(32)
    lim.check_upload(10_000_000)
    with pytest.raises(ValueError, match="20,001 steps is over this server's limit of 20,000"):
        lim.check_steps(20_001)
    with pytest.raises(ValueError, match="64 px images are over this server's limit of 32 px"):
        lim.check_image_size(64)
    with pytest.raises(ValueError, match="15,424,068 parameters, over this server's limit"):
        lim.check_parameters(15_424_068)
    with pytest.raises(ValueError, match="10.0 MB; this server takes at most 10 MB"):
        lim.check_upload(10_000_001)


def test_slots_cap_refresh_release_and_expire():
    now = [0.0]
    slots = TrainingSlots(2, ttl=10.0, clock=lambda: now[0])
    assert slots.acquire("a") and slots.acquire("b")
    assert not slots.acquire("c")  # full
    assert slots.acquire("a")  # a holder refreshes its own slot
    slots.release("b")
    assert slots.acquire("c") and slots.active() == 2
    now[0] = 6.0
    assert slots.acquire("a")  # a ticks; c goes quiet (its tab closed)
    now[0] = 10.5
    assert slots.active() == 1  # c lapsed after 10 s without a tick, a did not
    assert slots.acquire("d")
    unlimited = TrainingSlots(0)
    assert all(unlimited.acquire(str(i)) for i in range(100))
    with pytest.raises(ValueError):
        TrainingSlots(-1)


def test_slots_never_overbook_under_concurrent_acquires():
    slots = TrainingSlots(3)
    barrier = threading.Barrier(16)
    won: list[str] = []

    def take(name: str) -> None:
        barrier.wait()
        if slots.acquire(name):
            won.append(name)

    threads = [threading.Thread(target=take, args=(f"s{i}",)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 3 and slots.active() == 3


# ----- the caps in the pages (AppTest) ---------------------------------------------------------


@pytest.fixture
def hosted(monkeypatch):
    monkeypatch.setenv("GANCORE_HOSTED", "1")
    st.cache_resource.clear()  # the slots are one object per server process
    yield monkeypatch
    st.cache_resource.clear()


def _run(page: str, **kw) -> AppTest:
    at = AppTest.from_file(page, default_timeout=120, **kw).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_a_full_server_says_busy_and_keeps_the_run(hosted):
    hosted.setenv("GANCORE_MAX_TRAININGS", "1")
    first = _run(LAB_2D)
    first.button(key="lab2d_play").click().run()
    assert first.session_state["lab2d"].running  # holds the one slot
    second = _run(LAB_2D)  # another browser session on the same server
    assert second.session_state["lab2d"].step_count == 0  # isolated: not the first's run
    assert second.session_state["lab2d"] is not first.session_state["lab2d"]
    second.button(key="lab2d_step10").click().run()
    second.button(key="lab2d_play").click().run()
    lab = second.session_state["lab2d"]
    assert not lab.running and lab.step_count == 10  # refused, nothing lost
    assert "The server is busy: 1 trainings are already running" in second.warning[0].value
    first.button(key="lab2d_pause").click().run()  # frees the slot
    second.button(key="lab2d_play").click().run()
    assert second.session_state["lab2d"].running and not second.warning


def test_a_run_stops_at_the_step_cap_and_says_so(hosted):
    hosted.setenv("GANCORE_MAX_STEPS", "150")
    at = _run(LAB_2D)
    at.button(key="lab2d_play").click().run()
    lab = at.session_state["lab2d"]
    deadline = time.monotonic() + 60
    while lab.handle.refresh()["running"]:  # the worker trains on its own, and stops at 150
        assert time.monotonic() < deadline
        time.sleep(0.1)
    at.run()  # the next refresh sees the run stopped and redraws the page
    lab = at.session_state["lab2d"]
    assert lab.step_count == 150 and not lab.running
    assert "stops a run at 150 steps" in at.warning[0].value
    at.button(key="lab2d_play").click().run()  # pressing Train again is refused, not an error
    assert not at.session_state["lab2d"].running and at.session_state["lab2d"].step_count == 150
    at.button(key="lab2d_step10").click().run()  # and so is a step past the cap
    assert at.session_state["lab2d"].step_count == 150


def test_image_page_refuses_a_model_over_the_caps(hosted, mnist_root):
    hosted.setenv("GANCORE_DATA", str(mnist_root))
    at = _run(IMAGES)
    assert at.session_state["imglab"].step_count == 0  # 28 px presets train
    assert at.number_input(key="imglab_target").max == 20_000
    at.selectbox(key="imglab_preset").set_value("dcgan-64").run()
    assert not at.exception
    assert "dcgan-64 cannot be trained here: 64 px images are over" in at.error[0].value


def test_generate_uploads_over_the_cap_are_refused(hosted, tmp_path):
    hosted.setenv("GANCORE_MAX_UPLOAD_MB", "0.01")
    hosted.setenv("GANCORE_CHECKPOINTS", str(tmp_path))  # nothing shipped
    at = _run(GENERATE)
    at.radio(key="gen_kind").set_value("upload a checkpoint zip").run()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("config.json", "x" * 50_000)
    at.file_uploader(key="gen_zip").set_value(("big.zip", buf.getvalue(), "application/zip")).run()
    assert not at.exception
    assert "this server takes at most 0.01 MB" in at.error[0].value


def test_a_malformed_setting_stops_the_app_with_its_name(monkeypatch):
    monkeypatch.setenv("GANCORE_MAX_TRAININGS", "many")
    at = _run(APP)
    assert "configuration is invalid: GANCORE_MAX_TRAININGS must be a number" in at.error[0].value


def test_hosted_sidebar_states_the_caps(hosted):
    at = _run(APP)
    text = " ".join(c.value for c in at.sidebar.caption)
    assert "Hosted demo: runs stop at 20,000 steps" in text and "8 trainings" in text


def test_streamlit_secrets_turn_the_caps_on_and_the_environment_wins(monkeypatch):
    monkeypatch.delenv("GANCORE_HOSTED", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["GANCORE_HOSTED"] = "1"  # as pasted into Streamlit Community Cloud's Secrets
    at.secrets["GANCORE_MAX_STEPS"] = "500"
    at.run()
    assert not at.exception
    assert "Hosted demo: runs stop at 500 steps" in " ".join(c.value for c in at.sidebar.caption)
    monkeypatch.setenv("GANCORE_MAX_STEPS", "700")  # the environment wins over a secret
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["GANCORE_HOSTED"] = "1"
    at.secrets["GANCORE_MAX_STEPS"] = "500"
    at.run()
    assert "runs stop at 700 steps" in " ".join(c.value for c in at.sidebar.caption)
