"""`python -m gancore` as a user runs it: real subprocesses, exit codes, files, and messages."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

ROOT = Path(__file__).resolve().parents[1]


def gancore(
    *args: str, env: dict | None = None, timeout: float = 180
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gancore", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def assert_clean_failure(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "ring8"
    proc = gancore("train", "ring8", "--max-steps", "40", "--seed", "1", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out


def test_presets_lists_names_and_descriptions():
    proc = gancore("presets")
    assert proc.returncode == 0
    names = [line.split()[0] for line in proc.stdout.splitlines()]
    assert {"ring8", "grid25", "1d-classic", "toy-wgan-gp"} <= set(names)
    full = json.loads(gancore("presets", "--json").stdout)
    assert full["ring8"]["data"]["name"] == "ring8"


def test_train_writes_a_checkpoint_with_card_metrics_and_state(trained):
    files = {p.name for p in trained.iterdir()}
    assert {"config.json", "model.safetensors", "README.md", "sample.png"} <= files
    assert {"training_state.json", "training_state.safetensors"} <= files
    config = json.loads((trained / "config.json").read_text())
    assert config["kind"] == "toy" and config["metrics"]["step"] == 40
    assert config["command"].startswith("python -m gancore train ring8")
    card = (trained / "README.md").read_text()
    assert "python -m gancore train ring8 --max-steps 40" in card
    assert "modes_captured" in card


def test_sample_writes_npz_in_data_coordinates(trained, tmp_path):
    out = tmp_path / "s.npz"
    proc = gancore("sample", str(trained), "-n", "64", "--out", str(out), "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as d:
        assert d["samples"].shape == (64, 2) and d["samples"].dtype == np.float32
        assert "labels" not in d
        first = d["samples"].copy()
    gancore("sample", str(trained), "-n", "64", "--out", str(out), "--seed", "3")
    with np.load(out) as d:
        np.testing.assert_array_equal(d["samples"], first)  # deterministic per seed
    png = tmp_path / "s.png"
    assert gancore("sample", str(trained), "-n", "200", "--out", str(png)).returncode == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eval_prints_json_metrics(trained):
    proc = gancore("eval", str(trained), "--n", "500")
    assert proc.returncode == 0, proc.stderr
    m = json.loads(proc.stdout)
    assert (
        m["num_modes"] == 8
        and 0 <= m["high_quality_share"] <= 1
        and 0 <= m["grid_js"] <= np.log(2) + 1e-12
    )


def test_resume_continues_bit_exactly(tmp_path):
    straight, split = tmp_path / "straight", tmp_path / "split"
    assert gancore("train", "ring8", "--max-steps", "30", "--out", str(straight)).returncode == 0
    assert gancore("train", "ring8", "--max-steps", "15", "--out", str(split)).returncode == 0
    proc = gancore("train", "--resume", str(split), "--max-steps", "30")
    assert proc.returncode == 0, proc.stderr
    a = load_file(straight / "training_state.safetensors")
    b = load_file(split / "training_state.safetensors")
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_max_seconds_stops_saves_and_exits_zero(tmp_path):
    proc = gancore("train", "1d-classic", "--max-seconds", "2", "--out", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "r" / "config.json").read_text())["metrics"]["step"] > 0


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("train", "ring9", "--max-steps", "5"), ["no preset named 'ring9'"]),
        (("train", "ring8", "--max-steps", "5", "--set", "train.lr_g=-1"), ["lr_g", "-1"]),
        (("train", "ring8", "--max-steps", "5", "--set", "train.nope=1"), ["nope"]),
        (
            ("train", "ring8", "--max-steps", "5", "--set", "model.g_width=100000"),
            ["g_width", "100000"],
        ),
        (("train", "ring8"), ["--max-steps"]),
        (("train", "ring8", "--max-steps", "0"), ["--max-steps"]),
        (("sample", "/nonexistent/folder", "-n", "4", "--out", "x.npz"), ["/nonexistent/folder"]),
        (("sample", "not a repo!!", "-n", "4", "--out", "x.npz"), ["not a repo!!"]),
        (("sample", "ring8", "-n", "4", "--out", "x.txt"), [".npz or .png"]),
        (("sample", "ring8", "-n", "0", "--out", "x.npz"), ["-n"]),
    ],
)
def test_bad_input_is_a_clear_message_not_a_traceback(args, needles):
    assert_clean_failure(gancore(*args, env={"HF_HUB_OFFLINE": "1"}), *needles)


def test_bad_config_file_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert_clean_failure(gancore("train", str(bad), "--max-steps", "5"), "not valid JSON")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"kind": "toy", "data": {"name": "ring8"}}))
    assert_clean_failure(gancore("train", str(wrong), "--max-steps", "5"))


def test_corrupt_and_hostile_checkpoints_are_refused(trained, tmp_path):
    import shutil

    corrupt = tmp_path / "corrupt"
    shutil.copytree(trained, corrupt)
    weights = corrupt / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    assert_clean_failure(
        gancore("sample", str(corrupt), "-n", "4", "--out", str(tmp_path / "x.npz"))
    )
    (corrupt / "config.json").write_text("[]")
    assert_clean_failure(
        gancore("sample", str(corrupt), "-n", "4", "--out", str(tmp_path / "x.npz"))
    )


def test_sample_from_a_hub_repo_through_the_fake_hub(fake_hub, trained, tmp_path):
    fake_hub.add_folder("owner/ring", trained)
    out = tmp_path / "x.npz"
    proc = gancore("sample", "owner/ring", "-n", "16", "--out", str(out), env=fake_hub.env)
    assert proc.returncode == 0, proc.stderr
    with np.load(out) as d:
        assert d["samples"].shape == (16, 2)
    missing = gancore("sample", "owner/missing", "-n", "16", "--out", str(out), env=fake_hub.env)
    assert_clean_failure(missing, "owner/missing")


def test_diverging_run_stops_keeps_the_last_good_state(tmp_path):
    out = tmp_path / "boom"
    proc = gancore(
        "train", "ring8", "--max-steps", "200", "--out", str(out),
        "--set", "train.lr_d=10", "--set", "train.lr_g=10", "--set", "train.optimizer_d=sgd",
        "--set", "train.optimizer_g=sgd", "--set", "model.activation=relu",
        "--set", "train.loss=least_squares",
    )  # fmt: skip
    assert_clean_failure(proc, "diverged")  # deterministic on CPU: this run always blows up
    saved = json.loads((out / "config.json").read_text())
    assert saved["metrics"]["step"] >= 0
    assert all(np.isfinite(v).all() for v in load_file(out / "model.safetensors").values())


def test_a_run_killed_with_sigkill_resumes_from_its_last_checkpoint(tmp_path):
    """kill -9 mid-run: the folder holds the last periodic checkpoint, whole, and --resume goes on."""
    import signal
    import time

    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "gancore", "train", "1d-classic", "--max-steps", "10000000"]
    cmd += ["--out", str(out), "--save-every", "0.5"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not (out / "training_state.json").exists():  # the first periodic save landed
            assert proc.poll() is None and time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.1)
        time.sleep(1.2)  # into a later save, or between two: either way a -9 may hit mid-write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    step = json.loads((out / "config.json").read_text())["metrics"]["step"]
    assert step > 0
    sampled = gancore("sample", str(out), "-n", "8", "--out", str(tmp_path / "s.npz"))
    assert sampled.returncode == 0, sampled.stderr  # the checkpoint there loads strictly
    resumed = gancore("train", "--resume", str(out), "--max-steps", str(step + 20))
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {out} at step" in resumed.stderr
    assert json.loads(resumed.stdout)["step"] == step + 20  # the saved state was one whole step
    # whatever the kill left half-written beside the folder went with the next save
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
