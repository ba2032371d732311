"""The Image to image page in a real browser: it trains a few steps, and a stroke drawn on the
canvas changes the translated output."""

import time

import pytest

from benchmarks.canvas_rate import pad_box, pad_frame
from tests.browser_helpers import exceptions, open_page, screenshot, settle

pytestmark = pytest.mark.browser


def test_a_drawn_stroke_changes_the_output(page, app_url):
    open_page(page, "Image to image", url=app_url, timeout_ms=120_000)
    assert not exceptions(page)
    page.get_by_role("button", name="Step ×10", exact=True).click()
    settle(page, 120_000)
    progress = page.locator('[data-testid="stProgress"]').first
    page.wait_for_function(  # on a loaded machine the rerun may land after settle()
        "el => el.innerText.includes('step 10 of')", arg=progress.element_handle(), timeout=60_000
    )
    frame = pad_frame(page)
    frame.wait_for_function("() => window.gancoreSignature !== ''", timeout=60_000)
    assert frame.locator("#caption").inner_text().startswith("0 pixels painted")
    before = frame.evaluate("() => window.gancoreSignature")
    box = pad_box(page, frame)
    cell = box["width"] / 28
    # a vertical stroke down the middle of the pad, drawn slowly: answers come while drawing
    page.mouse.move(box["x"] + 14 * cell, box["y"] + 5 * cell)
    page.mouse.down()
    t0 = time.perf_counter()
    for k in range(1, 41):
        page.mouse.move(box["x"] + 14 * cell, box["y"] + (5 + 18 * k / 40) * cell)
        page.wait_for_timeout(25)
    during = frame.evaluate("() => window.gancoreOutputs")
    page.mouse.up()
    frame.wait_for_function("b => window.gancoreSignature !== b", arg=before)
    print(f"answers painted while drawing the stroke: {during} in {time.perf_counter() - t0:.2f} s")
    frame.wait_for_function(  # the whole stroke (about 20 rows x 2 columns) has come through
        "() => parseInt(document.getElementById('caption').innerText) >= 36", timeout=30_000
    )
    assert during >= 1  # the output changed while the stroke was being drawn
    assert frame.evaluate("() => window.gancoreSignature") != before
    assert not exceptions(page)
    screenshot(page, "image-to-image-drawn", full_page=False)
