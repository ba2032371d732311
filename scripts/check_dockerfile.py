"""Run the Dockerfile's steps without a Docker engine: a fresh venv, its RUNs, its CMD, its HEALTHCHECK.

    python scripts/check_dockerfile.py [--torch-index URL|default] [--port N]

What it does, in a temporary folder: copies the tracked files (what `COPY . .` sends, less
.dockerignore), makes a fresh virtual environment standing in for the image's Python, runs
every RUN step with the image's ENV and ARGs (except `useradd`, which needs root and only
names the user), starts the CMD, waits for Streamlit's health endpoint, runs the
HEALTHCHECK command, fetches the main page, and stops. Exit 0 when all of it worked.

``--torch-index default`` drops the PyTorch CPU index (for machines that reach only PyPI).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, argument) pairs, continuation lines joined, comments dropped."""
    out, buf = [], ""
    for line in text.splitlines():
        if not buf and (not line.strip() or line.lstrip().startswith("#")):
            continue
        buf += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            op, _, arg = buf.strip().partition(" ")
            out.append((op.upper(), arg.strip()))
            buf = ""
    return out


def env_pairs(arg: str) -> dict[str, str]:
    pairs = {}
    for token in shlex.split(arg):
        key, _, value = token.partition("=")
        pairs[key] = value
    return pairs


def ignored(path: str, patterns: list[str]) -> bool:
    parts = path.split("/")
    for pat in patterns:
        pat = pat.strip().lstrip("/")
        if not pat or pat.startswith("#"):
            continue
        if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat + "/*"):
            return True
        if pat.startswith("**/") and any(fnmatch.fnmatch(p, pat[3:]) for p in parts):
            return True
        if parts[0] == pat:
            return True
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--torch-index", help="override ARG TORCH_INDEX ('default': PyPI)")
    ap.add_argument("--port", type=int, default=8501)
    args = ap.parse_args()

    steps = instructions((ROOT / "Dockerfile").read_text())
    patterns = (ROOT / ".dockerignore").read_text().splitlines()
    work = Path(tempfile.mkdtemp(prefix="gancore-docker-"))
    app = work / "app"
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for f in files:
        if not ignored(f, patterns) and (ROOT / f).is_file():
            (app / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, app / f)
    print(f"copied {len(list(app.rglob('*')))} paths into {app}")

    venv.create(work / "venv", with_pip=True)
    env = {**os.environ, "PATH": f"{work / 'venv' / 'bin'}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    cmd, health = None, None
    for op, arg in steps:
        if op == "ARG":
            key, _, default = arg.partition("=")
            value = default
            if key == "TORCH_INDEX" and args.torch_index:
                value = args.torch_index
            env[key] = value
        elif op == "ENV":
            env.update(env_pairs(arg))
        elif op == "RUN":
            if arg.startswith("useradd"):
                print(f"skip (needs root, names the user only): RUN {arg}")
                continue
            if env.get("TORCH_INDEX") == "default":
                arg = arg.replace('--index-url "${TORCH_INDEX}" ', "")
            env["HOME"] = str(work / "home")
            print(f"RUN {arg}")
            subprocess.run(["bash", "-euo", "pipefail", "-c", arg], cwd=app, env=env, check=True)
        elif op == "CMD":
            cmd = json.loads(arg)
        elif op == "HEALTHCHECK":
            health = json.loads(arg[arg.index("CMD") + 3 :].strip())
    assert cmd and health, "the Dockerfile needs a CMD and a HEALTHCHECK CMD"
    (work / "home").mkdir(exist_ok=True)
    env["GANCORE_DATA"] = str(work / "home" / "data")
    port = str(args.port)
    cmd = [c.replace("8501", port) for c in cmd]
    health = [c.replace("8501", port) for c in health]
    print("CMD", shlex.join(cmd))
    server = subprocess.Popen(
        cmd, cwd=app, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/_stcore/health", timeout=2
                ) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                print(server.stdout.read().decode(errors="replace") if server.stdout else "")
                print("the server did not become healthy")
                return 1
            time.sleep(0.5)
        subprocess.run(health, cwd=app, env=env, check=True, timeout=10)
        print("HEALTHCHECK passed")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            page = r.read().decode()
        assert r.status == 200 and "<title>" in page, "the main page did not load"
        print(f"main page served ({len(page)} bytes); the Dockerfile's steps work")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
