"""What-if in a real browser: A / B runs side by side, and a link that reopens a setting."""

import re

import pytest

from tests.browser_helpers import exceptions, open_page, screenshot, settle

pytestmark = pytest.mark.browser
LIVE_CHART = 'iframe[title="pages._live_chart.gancore_live_chart"]'


def _steps(page) -> tuple[int, int]:
    """The step counters above A's and B's pictures."""
    text = page.locator('[data-testid="stMain"]').inner_text()
    a = re.search(r"A · step ([\d,]+)", text)
    b = re.search(r"B · step ([\d,]+)", text)
    assert a and b, "both pictures should be labelled with their step"
    return int(a.group(1).replace(",", "")), int(b.group(1).replace(",", ""))


def test_fork_a_2d_run_change_b_and_train_both(page, app_url):
    open_page(page, "2D lab", url=app_url)
    page.get_by_role("button", name="Fork B").click()
    settle(page)
    b_settings = page.locator('[data-testid="stExpander"]').filter(
        has_text="B's training hyperparameters"
    )
    b_settings.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="least squares (LSGAN)").click()
    settle(page)
    page.get_by_text("B: loss = least_squares").wait_for(timeout=60_000)
    page.get_by_role("button", name="Train").click()
    page.wait_for_timeout(4000)
    first = _steps(page)
    page.wait_for_timeout(4000)
    second = _steps(page)
    assert second[0] > first[0] > 0 and second[1] > first[1] > 0, (first, second)
    assert abs(second[0] - second[1]) <= max(50, second[0] // 5)  # lockstep
    charts = page.locator(LIVE_CHART)
    assert charts.count() >= 5  # A, B and three charts of curves
    draws = [
        charts.nth(i).element_handle().content_frame().evaluate("() => window.gancoreDraws || 0")
        for i in range(2)
    ]
    assert min(draws) >= 3, draws  # both pictures redrew as they trained
    names = (
        charts.nth(2)
        .element_handle()
        .content_frame()
        .evaluate("() => [...document.querySelectorAll('.legendtext')].map(e => e.textContent)")
    )
    assert "A · D loss" in names and "B · D loss" in names
    page.get_by_role("button", name="Pause").click()
    settle(page)
    assert not exceptions(page)
    assert "b.train.loss=least_squares" in page.url
    screenshot(page, "lab-2d-ab")


def test_a_link_reopens_its_setting(page, app_url):
    page.goto(f"{app_url}/")
    settle(page)
    page.goto(
        f"{app_url}/lab-2d?preset=grid25&train.seed=3&train.lr_g=0.0005&view.layers=real,fake"
    )
    settle(page)
    button = page.get_by_role("button", name="Link to this setting")
    button.wait_for(timeout=60_000)  # the lab's run is opened from the link first
    assert not exceptions(page)
    # the picker labelled "preset" (under load a rerun may still be repainting the page: wait
    # for it rather than read whichever select box comes first)
    shown = page.wait_for_function(
        """() => {
            const boxes = [...document.querySelectorAll('[data-testid="stSelectbox"]')];
            const box = boxes.find(b => (b.querySelector('label') || {}).innerText === 'preset');
            if (!box) return false;
            const text = box.innerText + ' ' + [...box.querySelectorAll('input')].map(i => i.value).join(' ');
            return text.includes('grid25 — 25 Gaussians') && text;
        }""",
        timeout=30_000,
    ).json_value()
    assert "grid25 — 25 Gaussians" in shown, shown
    button.click()
    code = page.locator('[data-testid="stCode"]').filter(has_text="preset=grid25")
    link = code.inner_text()
    assert (
        "train.seed=3" in link and "train.lr_g=0.0005" in link and "view.layers=real,fake" in link
    )
    assert link.startswith(app_url)
    page.goto(f"{app_url}/lab-2d?preset=grid25&train.lr_g=50")
    settle(page)
    page.get_by_role("button", name="Link to this setting").wait_for(timeout=60_000)
    alert = page.get_by_text("lr_g must be a number in (0.0, 10.0]", exact=False)
    assert alert.count() == 1 and not exceptions(page)
