"""Helpers for the Playwright tests: wait for a Streamlit page to settle, look for errors."""

from __future__ import annotations

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


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
