"""The Image to image page in a real browser: it trains a few steps, and a stroke drawn on the
canvas changes the translated output."""

import re
import time

import pytest

from tests.browser_helpers import exceptions, open_page, screenshot, settle

pytestmark = pytest.mark.browser


def _drawing(page):
    """(pixels painted, the src of the translated drawing's picture)."""
    caption = page.get_by_text(re.compile(r"^\d+ pixels painted")).first
    text = caption.inner_text()
    figure = page.locator('[data-testid="stImage"]').filter(has_text="pixels painted").first
    return int(text.split()[0]), figure.locator("img").get_attribute("src")


def test_a_drawn_stroke_changes_the_output(page, app_url):
    open_page(page, "Image to image", url=app_url, timeout_ms=120_000)
    assert not exceptions(page)
    page.get_by_role("button", name="Step ×10", exact=True).click()
    settle(page, 120_000)
    progress = page.locator('[data-testid="stProgress"]').first
    page.wait_for_function(  # on a loaded machine the rerun may land after settle()
        "el => el.innerText.includes('step 10 of')", arg=progress.element_handle(), timeout=60_000
    )
    painted, before = _drawing(page)
    assert painted == 0
    canvas = page.locator(".js-plotly-plot").last
    canvas.scroll_into_view_if_needed()
    drag = canvas.locator(".nsewdrag").first
    box = drag.bounding_box()
    # a lasso around a vertical stroke down the middle of the canvas: the dots inside get ink
    cx, top, bottom = (
        box["x"] + box["width"] / 2,
        box["y"] + 0.2 * box["height"],
        box["y"] + 0.8 * box["height"],
    )
    w = box["width"] / 28
    page.mouse.move(cx - w, top)
    page.mouse.down()
    for x, y in [(cx + w, top), (cx + w, bottom), (cx - w, bottom), (cx - w, top + 2)]:
        page.mouse.move(x, y, steps=8)
    page.mouse.up()
    t0 = time.perf_counter()
    while _drawing(page)[1] == before and time.perf_counter() - t0 < 60:
        page.wait_for_timeout(25)
    # from releasing the mouse to the new output on screen (selection, rerun, both models)
    print(f"drawn stroke to new output: {time.perf_counter() - t0:.2f} s")
    settle(page, 60_000)
    painted, after = _drawing(page)
    assert painted >= 10
    assert after != before  # the models translated the new input
    assert not exceptions(page)
    screenshot(page, "image-to-image-drawn", full_page=False)
