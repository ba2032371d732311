"""Peak memory of training and of the app, each beside a reference measured in the same run.

Training: every row is its own fresh process, so its peak resident set (``ru_maxrss`` from
``wait4``) is that process's alone. The floor is an interpreter that only imports torch,
torchvision and gancore's CLI. The 64 px DCGAN rows train pytorch/examples ``dcgan/main.py``'s
loop (the reference of the image-speed benchmark) and gancore's Trainer on the same shapes
and the same random images; the preset rows are ``python -m gancore train PRESET
--max-steps N`` exactly as a user runs them (data loading, training, and the metrics of the
final save: the classifier, 10,000 real test images, precision/recall).

App: a real ``streamlit run`` server per app, driven by Debian's Chromium. The reference is
a one-line Streamlit app (``st.write``) opened the same way; gancore's server is taken
through every page as a visitor would (sidebar clicks), training the 2D lab for 10 s and the
image page for 20 steps, with its resident memory sampled every 0.2 s.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.common import ROOT, server_rss_mb, write_section
from tests.browser_helpers import chromium, open_page, settle, streamlit_server

DCGAN64_ROUNDS = 6
_DCGAN64 = (
    "import torch; torch.set_num_threads(2); from benchmarks import image_speed as b; "
    "data = torch.rand(4 * b.BATCH, b.NC, 64, 64) * 2 - 1; "
    "run = b.{fn}(data)[0]; run({rounds})"
)
FLOOR = "import torch, torchvision, gancore.cli"


def _peak_mb(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MB, wall seconds) of one child process; raises if it fails.

    stderr goes to a file, not a pipe: a progress bar could fill a pipe nobody reads while
    ``wait4`` waits, and the child would block. ``ru_maxrss`` also counts the forked parent
    until ``exec`` (~20 MB: this module imports no torch), far below every row."""
    t0 = time.monotonic()
    with open(os.devnull, "wb") as null, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=null, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(args)} failed ({code}):\n{tail}")
    return usage.ru_maxrss / 1024, time.monotonic() - t0  # Linux reports KiB


def training_rows(data_root: str | None) -> list[tuple[str, str, float, float]]:
    py, env = sys.executable, {**os.environ, "PYTHONPATH": str(ROOT)}
    if data_root:
        env["GANCORE_DATA"] = data_root
    cases: list[tuple[str, str, list[str]]] = [
        ("floor: import torch, torchvision, gancore", f'python -c "{FLOOR}"', [py, "-c", FLOOR]),
    ]
    for label, fn in (
        ("pytorch/examples dcgan/main.py loop, 64 px RGB, batch 64 (reference)", "reference_loop"),
        ("gancore Trainer, the same 64 px model, batch 64", "gancore_loop"),
    ):
        code = _DCGAN64.format(fn=fn, rounds=DCGAN64_ROUNDS)
        cases.append((label, f"{DCGAN64_ROUNDS} rounds on random images", [py, "-c", code]))
    with tempfile.TemporaryDirectory() as tmp:
        for preset, steps in (
            ("ring8", 2000),
            ("dcgan-mnist", 300),
            ("cgan-mnist", 300),
            ("wgan-gp-mnist", 60),
        ):
            extra = ["--set", "data.max_images=60000"] if preset != "ring8" else []
            shown = f"python -m gancore train {preset} --max-steps {steps} " + " ".join(extra)
            args = [py, "-m", "gancore", "train", preset, "--max-steps", str(steps), *extra]
            cases.append((f"gancore CLI: {preset}", shown, [*args, "--out", f"{tmp}/{preset}"]))
        rows = []
        for label, how, args in cases:
            peak, wall = _peak_mb(args, env)
            rows.append((label, how, peak, wall))
            print(f"{label}: {peak:.0f} MB in {wall:.1f} s", flush=True)
    return rows


class _Sampler:
    """Samples the RSS of the streamlit process serving ``port`` in a background thread."""

    def __init__(self, port: int, every: float = 0.2) -> None:
        self.port, self.every, self.peak, self.last = port, every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.last = server_rss_mb(self.port)
            self.peak = max(self.peak, self.last)
            self._stop.wait(self.every)

    def __enter__(self) -> _Sampler:
        self.last = self.peak = server_rss_mb(self.port)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def reference_app_mb(browser, tmp: Path) -> tuple[float, float]:
    app = tmp / "hello.py"
    app.write_text('import streamlit as st\nst.title("hello")\nst.write("a one-line app")\n')
    with streamlit_server(tmp / "ref.log", app=app) as url, _Sampler(_port(url)) as s:
        idle = s.last
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        settle(page)
        page.wait_for_timeout(1000)
        page.close()
        return idle, s.peak


def gancore_app_rows(browser, tmp: Path) -> list[tuple[str, float, float]]:
    rows = []
    with streamlit_server(tmp / "app.log") as url, _Sampler(_port(url)) as s:
        rows.append(("server started, no visitor", s.last, s.peak))
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        settle(page, timeout_ms=60_000)
        rows.append(("theory page open (the default)", s.last, s.peak))
        for title in ("G losses & Wasserstein", "1D lab"):
            open_page(page, title, timeout_ms=60_000)
            rows.append((f"{title} open", s.last, s.peak))
        open_page(page, "2D lab", timeout_ms=60_000)
        page.get_by_role("button", name="Train").click()
        page.wait_for_timeout(10_000)
        page.get_by_role("button", name="Pause").click()
        settle(page)
        rows.append(("2D lab after 10 s of training", s.last, s.peak))
        open_page(page, "Image GANs", timeout_ms=60_000)
        for _ in range(2):
            page.get_by_role("button", name="Step ×10", exact=True).click()
            settle(page, timeout_ms=120_000)
        rows.append(("Image GANs after 20 steps of dcgan-mnist", s.last, s.peak))
        open_page(page, "Generate", timeout_ms=60_000)
        page.wait_for_selector('[data-testid="stImage"]', timeout=60_000)
        rows.append(("Generate open (cgan-mnist grid)", s.last, s.peak))
        page.close()
        time.sleep(2)
        rows.append(("visitor gone", s.last, s.peak))
    return rows


def main() -> None:
    data_root = os.environ.get("GANCORE_DATA")
    train = training_rows(data_root)
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        ref_idle, ref_peak = reference_app_mb(browser, Path(tmp))
        app = gancore_app_rows(browser, Path(tmp))
    floor = train[0][2]
    lines = [
        "### Training (peak resident memory of one process)",
        "",
        "| what | how | peak RSS (MB) | above the floor (MB) | wall (s) |",
        "|---|---|---|---|---|",
    ]
    for label, how, peak, wall in train:
        lines.append(f"| {label} | `{how}` | {peak:,.0f} | {peak - floor:,.0f} | {wall:.1f} |")
    lines += [
        "",
        "### App (resident memory of the streamlit server)",
        "",
        f"Reference, a one-line Streamlit app: {ref_idle:.0f} MB idle, peak {ref_peak:.0f} MB "
        "with one visitor.",
        "",
        "| gancore server, one visitor | RSS now (MB) | peak so far (MB) |",
        "|---|---|---|",
    ]
    lines += [f"| {what} | {now:,.0f} | {peak:,.0f} |" for what, now, peak in app]
    write_section(
        "memory",
        "Peak memory: training and the app",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "GANCORE_DATA=DIR python -m benchmarks memory",
    )


if __name__ == "__main__":
    main()
