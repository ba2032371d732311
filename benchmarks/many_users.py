"""Many users at once: N browser sessions, each training the 2D lab, on one hosted server.

A real `streamlit run` server on loopback with the hosted caps on (GANCORE_HOSTED=1, so one
torch thread per piece of work and at most 8 live trainings), and Debian's Chromium
(Playwright) with one browser context per user, so each is its own Streamlit session with
its own cookies and websocket (background-tab timer throttling off: each user has a tab in
front of them). Every session opens the 2D lab and presses Train; then for
the measured time each page's step counter and any exception or error element are read
every few seconds, and the server's resident memory is sampled. Browser and server share
the 2-core machine, so the browser's rendering of N live pages competes with training.
Issue 7's bar: no errors, every session progresses, server memory stays bounded.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from benchmarks.common import server_rss_mb, write_section
from tests.browser_helpers import UNTHROTTLED, chromium, metric_value, open_page, streamlit_server

USERS = int(os.environ.get("GANCORE_BENCH_USERS", 8))
READING = (
    "\nWhat this measures: eight Chromium renderers drawing live Plotly pages on the same two "
    "cores as the server and its training workers, so the browsers take most of the CPU; the "
    "steps are the ones each page shows. `server_load` measures the server alone, with "
    "headless clients. Memory counts the server and its training workers. Before the worker "
    "pool (commit 28a37d4, training in the server process): 0.1-0.2 rounds/s per session, "
    "1,049 MB peak for the server process alone.\n"
)
SECONDS = float(os.environ.get("GANCORE_BENCH_SECONDS", 60))
POLL = 5.0


def _step(page) -> int | None:
    try:
        return int(metric_value(page, "step").first.inner_text(timeout=5000).replace(",", ""))
    except Exception:  # noqa: BLE001 - a page mid-redraw: read it next time
        return None


def _problems(page) -> list[str]:
    found = page.query_selector_all(
        '[data-testid="stException"], [data-testid="stAlertContentError"]'
    )
    return [e.inner_text()[:200] for e in found]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GANCORE_HOSTED": "1"}
        with (
            streamlit_server(Path(tmp) / "server.log", env=env) as url,
            chromium(UNTHROTTLED) as browser,
        ):
            port = int(url.rsplit(":", 1)[1])
            rss = [server_rss_mb(port)]
            contexts = [
                browser.new_context(viewport={"width": 1300, "height": 900}) for _ in range(USERS)
            ]
            pages = [c.new_page() for c in contexts]
            for page in pages:
                open_page(page, "2D lab", url=url, timeout_ms=90_000)
            rss.append(server_rss_mb(port))
            for page in pages:
                page.get_by_role("button", name="Train").click()
            start = [None] * USERS
            last = [None] * USERS
            advanced = [0] * USERS  # polls in which the session's step went up
            polls = 0
            problems: dict[int, list[str]] = {}
            t0 = time.monotonic()
            while time.monotonic() - t0 < SECONDS:
                time.sleep(POLL)
                polls += 1
                for i, page in enumerate(pages):
                    s = _step(page)
                    if s is not None:
                        if start[i] is None:
                            start[i] = s
                        if last[i] is not None and s > last[i]:
                            advanced[i] += 1
                        last[i] = s
                    bad = _problems(page)
                    if bad:
                        problems.setdefault(i, []).extend(bad)
                rss.append(server_rss_mb(port))
                print(
                    f"{time.monotonic() - t0:5.0f} s  steps {last}  server {rss[-1]:.0f} MB",
                    flush=True,
                )
            elapsed = time.monotonic() - t0
            for page in pages:
                page.get_by_role("button", name="Pause").click()
            for c in contexts:
                c.close()
            time.sleep(3)
            rss_after = server_rss_mb(port)
    rows = [
        "| session | step after Train | step at the end | rounds/s | polls with progress | errors |",
        "|---|---|---|---|---|---|",
    ]
    for i in range(USERS):
        a, b = start[i] or 0, last[i] or 0
        rows.append(
            f"| {i + 1} | {a:,} | {b:,} | {(b - a) / elapsed:.1f} | {advanced[i]}/{polls - 1} | "
            f"{len(problems.get(i, []))} |"
        )
    progressed = sum(1 for i in range(USERS) if (last[i] or 0) > (start[i] or 0))
    body = (
        __doc__.split("\n\n", 1)[1]
        + f"\n{USERS} sessions, {SECONDS:.0f} s of training each, polled every {POLL:.0f} s.\n\n"
        + "\n".join(rows)
        + f"\n\nSessions that progressed: **{progressed}/{USERS}**; sessions with an error or "
        f"exception element: **{len(problems)}**.\n\n"
        f"Server memory (RSS): {rss[0]:.0f} MB idle, {rss[1]:.0f} MB with {USERS} sessions open, "
        f"peak {max(rss):.0f} MB while training, {rss[-1]:.0f} MB at the end, "
        f"{rss_after:.0f} MB after the sessions closed.\n"
    )
    body += READING
    if problems:
        body += "\nFirst problems seen:\n\n" + "\n".join(
            f"- session {i + 1}: {p[0]!r}" for i, p in problems.items()
        )
    write_section(
        "many_users",
        "Many users at once: concurrent 2D-lab trainings",
        body,
        "python -m benchmarks many_users",
    )


if __name__ == "__main__":
    main()
