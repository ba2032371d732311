"""The live 2D lab in a real browser: redraws per second and training rounds per second.

A real `streamlit run` server on loopback and Debian's Chromium (Playwright) on the same
2-core machine, so the browser's rendering competes with training: a pessimistic setting.
The step counter on the page is read every 50 ms for 15 s after pressing Train; each change
is one redraw. Target (issue 3): 4 redraws per second or more.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import write_section
from tests.browser_helpers import chromium, settle, streamlit_server

SECONDS = 15.0
PRESETS = ["ring8", "grid25"]


def _measure(page, url: str, preset: str) -> dict[str, float]:
    page.goto(f"{url}/")
    settle(page)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("2D lab").click()
    settle(page)
    if preset != "ring8":
        page.get_by_role("combobox", name="preset").click()
        page.get_by_role("option", name=preset, exact=False).first.click()
        settle(page)
    page.get_by_role("button", name="Train").click()
    step = (
        page.locator('[data-testid="stMetric"]')
        .filter(has=page.get_by_text("step", exact=True))
        .locator('[data-testid="stMetricValue"]')
    )
    page.wait_for_timeout(1500)  # let the first slice and its draw go by
    changes, last, first_step = 0, None, None
    t0 = time.monotonic()
    while time.monotonic() - t0 < SECONDS:
        value = int(step.inner_text().replace(",", ""))
        first_step = value if first_step is None else first_step
        if last is not None and value != last:
            changes += 1
        last = value
        page.wait_for_timeout(50)
    elapsed = time.monotonic() - t0
    page.get_by_role("button", name="Pause").click()
    return {"hz": changes / elapsed, "steps_per_s": (last - first_step) / elapsed}


def main() -> None:
    results = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        streamlit_server(Path(tmp) / "server.log") as url,
        chromium() as browser,
    ):
        for preset in PRESETS:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            results[preset] = _measure(page, url, preset)
            print(preset, results[preset], flush=True)
            page.close()
    lines = [
        "| preset | redraws per second | training rounds per second (wall clock) |",
        "|---|---|---|",
    ]
    for preset, r in results.items():
        lines.append(f"| {preset} | {r['hz']:.1f} | {r['steps_per_s']:.0f} |")
    write_section(
        "lab_refresh",
        "Live 2D lab in Chromium: refresh rate",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "python -m benchmarks lab_refresh",
    )


if __name__ == "__main__":
    main()
