"""Helpers for the Playwright tests: wait for a Streamlit page to settle, look for errors."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("GANCORE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    log: Path,
    *,
    env: dict[str, str] | None = None,
    app: Path | None = None,
    start_timeout: float = 60,
    pids: list[int] | None = None,
):
    """`streamlit run streamlit_app.py` (or ``app``) on a free loopback port; yields its URL
    (and appends the server's pid to ``pids``, when given)."""
    port = free_port()
    full_env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(env or {})}
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(app or ROOT / "streamlit_app.py"),
                "--server.headless=true",
                f"--server.port={port}",
                "--server.address=127.0.0.1",  # file watching: as .streamlit/config.toml says
            ],
            cwd=ROOT,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(proc.pid)
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log.read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


# Each page its own visible tab: Chromium otherwise throttles the timers of pages it deems
# in the background, and Streamlit's live fragments tick from browser timers.
UNTHROTTLED = [
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


@contextmanager
def chromium(extra_args: list[str] | None = None):
    """Debian's Chromium, headless, driven by Playwright; yields the Browser."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: run `make test`, which installs it.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + (extra_args or [])
        )
        try:
            yield b
        finally:
            b.close()


def settle(page, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has rendered and stopped running the script."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    # The first paint is a skeleton; the page is there once its title is.
    page.wait_for_selector('[data-testid="stMain"] h1', timeout=timeout_ms)
    # The status widget shows "Running..." while a script runs.
    page.wait_for_function(
        """() => !document.querySelector('[data-testid="stStatusWidget"]')""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(500)


def open_page(page, title: str, *, url: str | None = None, timeout_ms: int = 30_000) -> None:
    """Open a page through the sidebar, as a visitor does (from the app's start page at
    ``url`` first, when given), and wait until it has rendered."""
    if url is not None:
        page.goto(f"{url}/")
        settle(page, timeout_ms)
    page.locator('[data-testid="stSidebarNav"]').get_by_text(title).click()
    settle(page, timeout_ms)


def metric_value(page, label: str):
    """The value element of the ``st.metric`` labelled exactly ``label``."""
    return (
        page.locator('[data-testid="stMetric"]')
        .filter(has=page.get_by_text(label, exact=True))
        .locator('[data-testid="stMetricValue"]')
    )


def exceptions(page) -> list[str]:
    return [e.inner_text() for e in page.query_selector_all('[data-testid="stException"]')]


def screenshot(page, name: str, full_page: bool = True) -> Path:
    """Save a PNG for review (and the README). Streamlit scrolls inside its main element, so a
    full-page shot first grows the viewport to the content's height."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:
        size = page.viewport_size
        height = page.evaluate(
            """() => document.querySelector('[data-testid="stMain"]').scrollHeight"""
        )
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 12000)})
        page.wait_for_timeout(800)
        page.screenshot(path=str(path))
        page.set_viewport_size(size)
    else:
        page.screenshot(path=str(path))
    return path
