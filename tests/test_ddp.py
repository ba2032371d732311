"""Data-parallel training: batch sharding, and a real two-process torchrun job on the CPU (gloo)."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gancore.data.image_data import ImageData
from gancore.data.image_source import ImageSource
from gancore.io.hub import load_checkpoint
from gancore.train.distributed import ShardedSource, env_world, parameter_digest

ROOT = Path(__file__).resolve().parents[1]


def _data(n=10) -> ImageData:
    images = torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 4, 4).contiguous()
    return ImageData("toy", images, torch.arange(n) % 3, ("a", "b", "c"))


def test_shards_split_each_global_batch_without_overlap():
    data = _data()
    one = ImageSource(data, image_size=4, channels=1, seed=7)
    ranks = [
        ShardedSource(ImageSource(data, image_size=4, channels=1, seed=7), rank=r, world_size=2)
        for r in range(2)
    ]
    for _ in range(4):  # 4 global batches of 2 x 3: crosses epoch boundaries
        want_x, want_y = one.next_batch(6)
        got = [s.next_batch(3) for s in ranks]
        assert torch.equal(torch.cat([x for x, _ in got]), want_x)
        assert torch.equal(torch.cat([y for _, y in got]), want_y)
        assert ranks[0].state_dict() == ranks[1].state_dict() == one.state_dict()
    with pytest.raises(ValueError, match="rank"):
        ShardedSource(one, rank=2, world_size=2)


def test_env_world_is_none_outside_torchrun(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert env_world() is None
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    assert env_world() is None  # a job of one is just a process
    monkeypatch.setenv("WORLD_SIZE", "4")
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("LOCAL_RANK", "0")
    assert env_world() == (2, 4, 0)


def run_job(cmd: list[str], timeout: float) -> subprocess.CompletedProcess:
    """Run a launcher in its own session, so a hang kills its workers too, not just torchrun."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    ) as p:  # fmt: skip
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
            pytest.fail(f"torchrun job hung for {timeout} s:\n{err[-3000:]}")
    return subprocess.CompletedProcess(cmd, p.returncode, out, err)


def test_torchrun_two_cpu_ranks_train_identical_replicas(mnist_root, tmp_path):
    """WGAN-GP (double backward), conditional (labels), BatchNorm in G, an agreed time limit."""
    out = tmp_path / "ddp"
    sets = [
        "model.g_features=8", "model.d_features=8", "model.latent_dim=8", "model.num_classes=10",
        "model.embed_dim=4", "train.batch_size=8", "train.d_steps=2",
    ]  # fmt: skip
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        "-m", "gancore", "train", "wgan-gp-mnist", "--out", str(out), "--max-seconds", "3",
        "--max-steps", "400", "--data-root", str(mnist_root),
        *[a for s in sets for a in ("--set", s)],
    ]  # fmt: skip
    proc = run_job(cmd, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # rank 0 alone reports: one JSON result; every rank prints its generator's digest
    result = json.loads(proc.stdout)
    assert result["world_size"] == 2 and result["replica_drift"] == 0.0
    digests = dict(
        re.findall(r"rank (\d) of 2: generator parameters sha256 ([0-9a-f]{64})", proc.stderr)
    )
    assert set(digests) == {"0", "1"} and digests["0"] == digests["1"]
    # the one checkpoint holds those same weights, after the step both ranks agreed on
    config = json.loads((out / "config.json").read_text())
    step = config["metrics"]["step"]
    assert step == result["step"] >= 1
    assert config["metrics"]["images_seen"] == step * 8 * 2 * 2  # batch x d_steps x ranks
    assert parameter_digest(load_checkpoint(out).generator) == digests["0"]
    assert "torchrun --nproc_per_node=2 -m gancore train wgan-gp-mnist" in config["command"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ddp"]  # no stray temp folders
    assert np.isfinite(config["metrics"]["d_loss"])
