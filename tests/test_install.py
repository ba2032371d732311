"""gancore installed (not editable, not from a clone) works: the shipped checkpoints come with
the package, so `sample` and `eval` of a shipped name run from any directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_of_gancore_is_installed():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "gancore").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    listed = set(config["packages"])
    assert on_disk <= listed, f"add to pyproject.toml's packages: {sorted(on_disk - listed)}"
    assert config["package-dir"]["gancore_checkpoints"] == "checkpoints"
    shipped = [p for p in (ROOT / "checkpoints").iterdir() if p.is_dir()]
    patterns = config["package-data"]["gancore_checkpoints"]
    for folder in shipped:
        for f in folder.iterdir():
            assert any(f.match(pat.split("/")[-1]) for pat in patterns), f"not packaged: {f}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A non-editable install of a copy of the project into a fresh folder (no clone beside)."""
    src, target = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("site")
    for name in ("gancore", "checkpoints"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "requirements.txt"):
        shutil.copy2(ROOT / name, src / name)
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    out = subprocess.run([*cmd, "--target", str(target), str(src)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    shutil.rmtree(src)  # nothing of the source tree is left to lean on
    return target


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(site)}
    env.pop("GANCORE_CHECKPOINTS", None)
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_installed_gancore_samples_and_scores_a_shipped_checkpoint(installed, tmp_path, mnist_root):
    where = _run(
        installed,
        tmp_path,
        "-c",
        "import gancore, gancore.io.sources as s; print(gancore.__file__); print(s.shipped_checkpoints_dir())",
    )
    package, shipped = where.stdout.split()
    assert package.startswith(str(installed)) and shipped.startswith(str(installed)), where.stdout
    out = _run(
        installed, tmp_path, "-m", "gancore", "sample", "cgan-mnist", "-n", "8", "--out", "x.png"
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    env_data = ["--data-root", str(mnist_root)]
    scored = _run(
        installed, tmp_path, "-m", "gancore", "eval", "cgan-mnist", "--n", "500", *env_data
    )
    assert scored.returncode == 0, scored.stderr
    metrics = json.loads(scored.stdout)
    assert 0 < metrics["frechet_distance"] < 100 and metrics["label_accuracy"] > 0.5, metrics
