"""A freshly started server, 8 visitors at once, each following a deep link to the 2D lab.

Two start-up races this guards against (issue #13, streamlit_app.py's ``_startup``):
- sessions importing pandas at the same moment, where plotly peeks at the half-imported
  module (``partially initialized module 'pandas' has no attribute 'Series'``);
- a deep link as the first request after a restart, answered with "Page not found" because
  Streamlit took the `pages/` folder for an old folder-of-pages app until a first
  ``st.navigation`` call.
"""

from __future__ import annotations

import time

import pytest

from tests.browser_helpers import exceptions, streamlit_server

pytestmark = pytest.mark.browser

SESSIONS = 8
ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def test_eight_sessions_on_a_fresh_server_open_a_deep_link_cleanly(tmp_path, browser):
    log = tmp_path / "server.log"
    with (
        streamlit_server(log, env={"GANCORE_HOSTED": "1"}) as url,
    ):
        pages = [
            browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            for _ in range(SESSIONS)
        ]
        start = time.monotonic()
        for page in pages:  # all eight connect before any has finished its first run
            page.goto(f"{url}/lab-2d", wait_until="commit")
        for page in pages:
            page.wait_for_selector('[data-testid="stMain"] h1', timeout=60_000)
            page.wait_for_function(
                """() => !document.querySelector('[data-testid="stStatusWidget"]')""",
                timeout=60_000,
            )
        elapsed = time.monotonic() - start
        pages[0].wait_for_timeout(1000)  # anything a late message would still add

        for i, page in enumerate(pages):
            title = page.locator('[data-testid="stMain"] h1').first.inner_text()
            text = page.locator("body").inner_text()
            errors = [e.inner_text() for e in page.query_selector_all(ERRORS)]
            assert not errors and not exceptions(page), f"session {i}: {errors}"
            assert "Page not found" not in text, f"session {i} was told the page was not found"
            assert title.startswith("2D lab"), f"session {i} landed on {title!r}"
            assert page.url == f"{url}/lab-2d"
        for page in pages:
            page.context.close()
    server_log = log.read_text()
    assert "partially initialized" not in server_log, server_log
    print(f"{SESSIONS} sessions rendered the 2D lab {elapsed:.1f} s after connecting")
