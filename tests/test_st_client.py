"""The headless Streamlit client (benchmarks/st_client.py) against a real, small server.

A tiny app with a button, a ``run_every`` fragment, an error button and a paced chart that
speaks the live chart's tick protocol; two sessions at once, a few seconds each.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
import time

import pytest

from benchmarks.st_client import StreamlitSession
from tests.browser_helpers import streamlit_server

APP = textwrap.dedent(
    """
    import json
    import streamlit as st
    import streamlit.components.v1 as components

    chart = components.declare_component("gancore_live_chart", path={here!r})
    st.title("client test")
    state = st.session_state
    for name in ("clicks", "t", "ticks"):
        state.setdefault(name, 0)
    if st.button("Go", key="go"):
        state.clicks += 1
    st.metric("clicks", state.clicks)
    if st.button("Fail"):
        st.error("boom")

    @st.fragment(run_every=0.2)
    def timer():
        state.t += 1
        st.metric("step", f"{{state.t:,}}")

    timer()

    @st.fragment
    def paced():
        state.ticks += 1
        spec = json.dumps({{"data": [], "layout": {{"title": str(state.ticks)}}}})
        chart(spec=spec, config={{}}, height=50, tick=state.ticks, pace=0.1, key="demo_fig")
        st.metric("tick", state.ticks)

    paced()
    """
)


WAIT_S = 20.0  # seconds, at most, for five timer reruns, chart ticks and paints per session


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("st_client")
    (tmp / "index.html").write_text("<html><body>chart</body></html>")
    app = tmp / "app.py"
    app.write_text(APP.format(here=str(tmp)))
    with streamlit_server(tmp / "server.log", app=app) as url:
        yield url


async def _drive(url: str) -> dict:
    async with StreamlitSession(url) as s:
        await s.open_page("")
        assert "client test" in s.text()
        assert s.metric("clicks") == "0"
        assert {"Go", "Fail"} <= set(s.buttons())
        await s.click("Go", retry_after=3)
        assert s.metric("clicks") == "1"
        await s.click("go", retry_after=3)  # by key
        assert s.metric("clicks") == "2"
        c = s.counters
        steps0, paints0, ticks0 = c.step_changes, c.paints_of("_fig"), c.ticks_sent
        # wait for five of each rather than counting in a fixed window: on a loaded machine an
        # acknowledgement lost on the way is sent again only after ACK_RETRY (3 s), as in the
        # browser, so a fixed 3 s window could see two paints where the protocol is sound
        start = time.monotonic()
        while time.monotonic() - start < WAIT_S and not (
            c.step_changes - steps0 >= 5
            and c.paints_of("_fig") - paints0 >= 5
            and c.ticks_sent - ticks0 >= 5
            and c.auto_reruns_sent >= 5
        ):
            await asyncio.sleep(0.1)
        seen = {
            "elapsed": time.monotonic() - start,
            "steps": c.step_changes - steps0,
            "paints": c.paints_of("_fig") - paints0,
            "ticks": c.ticks_sent - ticks0,
            "auto": c.auto_reruns_sent,
            "errors": s.errors(),
            "failures": list(s.failures),
            "step": s.step(),
            "tick": s.metric("tick"),
        }
        await s.click("Fail", retry_after=3)
        seen["errors_after_fail"] = s.errors()
        return seen


def test_two_sessions_see_the_page_click_and_refresh(server):
    async def both():
        return await asyncio.gather(_drive(server), _drive(server))

    for seen in _in_a_thread(lambda: asyncio.run(asyncio.wait_for(both(), 90))):
        assert seen["errors"] == [] and seen["failures"] == []
        assert seen["auto"] >= 5 and seen["steps"] >= 5, seen  # run_every timer, ~5 a second
        assert seen["step"] is not None and seen["step"] >= 5
        # the paced chart: each acknowledged tick reruns its fragment, which sends a new one
        assert seen["ticks"] >= 5 and seen["paints"] >= 5, seen
        assert seen["ticks"] <= seen["elapsed"] / 0.1 + 2, seen  # never faster than the pace
        assert int(seen["tick"]) >= 5
        assert seen["errors_after_fail"] == ["boom"]


def _in_a_thread(fn):
    """Run ``fn`` in a thread of its own: the suite's session-wide Playwright (sync API) keeps
    an event loop running in the main thread, where asyncio.run() is refused."""
    out: list = []
    errors: list = []

    def target() -> None:
        try:
            out.append(fn())
        except BaseException as err:  # noqa: BLE001 - raised again in the test's thread
            errors.append(err)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return out[0]
