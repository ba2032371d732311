"""A headless Streamlit session: speaks the browser's websocket protocol, draws nothing.

``StreamlitSession`` opens ``/_stcore/stream`` on a running ``streamlit run`` server and
exchanges the same protobufs as Streamlit's frontend (``BackMsg`` up, ``ForwardMsg`` down),
so the server does exactly the work it does for a browser tab, while the client costs a few
milliseconds of CPU per refresh. Used by ``benchmarks/server_load.py`` to load a server with
many sessions without running many browsers on the same cores.

What it emulates, following the frontend of the installed Streamlit (1.67):

- Connecting: subprotocol ``streamlit``, same-origin ``Origin`` header, no pings (browsers
  send none), permessage-deflate as the browser offers it; the first ``rerun_script`` names
  the page by its url path (``page_name``, empty ``page_script_hash``), as a browser that
  opens ``/lab-2d`` does; later page changes send the page's hash from the ``navigation``
  message, as a click in the sidebar does.
- Every ``rerun_script`` carries a ``ClientState`` like the browser's: query string, the
  widget states the client holds, page hash, fragment id, ``is_auto_rerun``, the hashes of
  the messages it caches, and a ``context_info`` (timezone, locale, url).
- The forward-message cache: ``cacheable`` messages are kept by hash and aged per finished
  run (``max_cached_message_age`` from ``new_session``; fragment runs age only their own
  fragment's messages), their hashes are reported, and ``ref_hash`` messages are resolved
  from it, so the server sends references where it would to a browser.
- The element tree, keyed by delta path, with the browser's stale-node clearing when a run
  (or a fragment run) finishes successfully; widget states of widgets no longer on the page
  are dropped then, as the frontend's ``removeInactiveWidgetState`` does.
- Buttons: a click sends all held widget states plus the button's ``trigger_value`` (and
  the button's fragment id when it sits in a fragment); the trigger is not kept afterwards.
- ``run_every`` fragments: an ``auto_rerun`` message starts a ``setInterval``-like timer per
  fragment that sends ``rerun_script(fragment_id, is_auto_rerun=True)`` every interval
  without waiting for the previous run to finish (a timer with the same interval is kept;
  ``stop_auto_rerun`` and every full run's ``new_session`` clear them, as in the frontend).
- The live chart's pacing protocol (``gancore_live_chart`` with ``tick`` and ``pace`` in its
  args, pages/_assets/live_chart.html): once a render with a new tick has "drawn", the
  component sends ``setComponentValue(tick)`` (a ``json_value`` widget state, with the
  chart's fragment id) no sooner than ``pace`` seconds after its previous acknowledgement;
  a newer tick arriving meanwhile replaces the pending one; no tick (paused) sends nothing.

What it does not emulate: rendering, layout and JavaScript (a "paint" is counted when the
browser would draw a new frame: a ``component_instance`` delta for the chart whose ``spec``
differs from the one shown; the browser draws at most one per animation frame, the client
counts each), other widgets' default values (the browser sends every mounted widget's
value; the client only those it set, and the server reads a missing widget as unchanged),
heartbeats, reconnection, file uploads, host-config and health requests, custom components
other than the live chart (they never send values), and ``st.plotly_chart`` selections.

A fragment run that the server cut short (``script_finished`` with FINISHED_EARLY_FOR_RERUN)
is counted in ``runs_cut_short``; whatever deltas it had sent before being cut were shown by
a browser too, so they count as paints; a run cut before it reached the chart shows up as a
refresh request with no paint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus
LIVE_CHART = "gancore_live_chart"
ACK_RETRY = 3.0  # seconds: RETRY_MS in pages/_assets/live_chart.html


def user_key(element_id: str) -> str | None:
    """The ``key=`` a widget was given, from its element id (``$$ID-<hash>-<key>``)."""
    key = element_id.split("-", maxsplit=2)[-1]
    return None if key == "None" else key


@dataclass
class Node:
    """One element on the page as the browser holds it."""

    element: Element | None  # None for a block (container)
    run_id: str
    fragment_id: str


@dataclass
class ChartState:
    """What the browser's live chart component holds for one chart."""

    spec: str | None = None
    last_acked: Any = None
    last_ack_time: float = float("-inf")
    timer: asyncio.Task | None = None
    retry: asyncio.Task | None = None
    attempt: int = 0


@dataclass
class Counters:
    """Monotonic counts since the session connected; take differences over a window."""

    paints: Counter = field(default_factory=Counter)  # per chart key: new figures drawn
    step_changes: int = 0  # the "step" metric took a new value
    runs_finished: int = 0  # script_finished, any status
    runs_cut_short: int = 0  # FINISHED_EARLY_FOR_RERUN
    fragment_runs: int = 0  # FINISHED_FRAGMENT_RUN_SUCCESSFULLY
    auto_reruns_sent: int = 0  # run_every timer fired
    ticks_sent: int = 0  # live chart acknowledged a tick
    ticks_resent: int = 0  # ... again, no newer tick having come within ACK_RETRY
    clicks_lost: int = 0  # clicks sent again because no run started
    reruns_sent: int = 0  # every rerun_script sent
    bytes_received: int = 0
    messages_received: int = 0

    def paints_of(self, suffix: str) -> int:
        return sum(n for k, n in self.paints.items() if k.endswith(suffix))


class StreamlitSession:
    """One headless browser tab on a Streamlit server at ``url`` (``http://host:port``)."""

    def __init__(self, url: str, *, query_string: str = "") -> None:
        self.url = url.rstrip("/")
        self.query_string = query_string
        self.nodes: dict[tuple[int, ...], Node] = {}
        self.widgets: dict[str, WidgetState] = {}  # held widget values, by widget id
        self.counters = Counters()
        self.failures: list[str] = []  # client-side: protocol errors, disconnects, cache misses
        self.session_id: str | None = None
        self.pages: dict[str, str] = {}  # url path -> page script hash (navigation message)
        self.page_hash = ""  # the page shown now
        self.main_script_hash = ""
        self.run_id = ""  # the script run whose deltas arrive now
        self.run_fragments: tuple[str, ...] = ()
        self.last_step: str | None = None
        self._ws: Any = None
        self._reader: asyncio.Task | None = None
        self._auto: dict[str, tuple[float, asyncio.Task]] = {}  # fragment id -> timer
        self._charts: dict[str, ChartState] = {}  # component id -> state
        self._cache: dict[str, tuple[bytes, int, str]] = {}  # hash -> (msg, run count, frag)
        self._cache_runs = 0
        self._max_cache_age = 2
        self._finished_full = 0  # full runs finished successfully (for waits)
        self._full_started = 0
        self._changed = asyncio.Event()
        self.log: deque[str] = deque(maxlen=40)  # the latest messages, for diagnostics
        self.closed = False

    # ----------------------------------------------------------------- connection

    async def connect(self, timeout: float = 30) -> None:
        """Open the websocket; the session exists on the server once this returns."""
        parts = urlsplit(self.url)
        ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/_stcore/stream"
        self._ws = await asyncio.wait_for(
            websockets.connect(
                ws_url,
                subprotocols=["streamlit"],
                origin=f"{parts.scheme}://{parts.netloc}",
                ping_interval=None,  # browsers send no pings
                max_size=None,  # a figure can exceed the library's 1 MiB default
                max_queue=None,
                open_timeout=timeout,
            ),
            timeout,
        )
        self._reader = asyncio.create_task(self._read_loop())

    async def close(self) -> None:
        self.closed = True
        for _, task in list(self._auto.values()):
            task.cancel()
        for chart in self._charts.values():
            if chart.timer:
                chart.timer.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def __aenter__(self) -> StreamlitSession:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------------- actions

    async def open_page(self, url_path: str = "", timeout: float = 60) -> None:
        """Show the page at ``url_path`` ("" for the default page) and wait for its first
        full run to finish. The first call opens it as a browser opens that URL; later calls
        switch page as a click in the sidebar does."""
        done = self._finished_full
        if self.pages or self.page_hash:
            page_hash = self.pages.get(url_path)
            if page_hash is None:
                raise KeyError(f"no page at url path {url_path!r}; pages: {sorted(self.pages)}")
            self._cancel_auto_reruns()
            await self._send_rerun(page_hash=page_hash)
        else:
            await self._send_rerun(page_name=url_path)
        await self.wait_for(lambda: self._finished_full > done, timeout, f"open {url_path!r}")

    async def click(
        self,
        label_or_key: str,
        timeout: float = 60,
        retry_after: float = 10,
        *,
        until: Callable[[], bool] | None = None,
    ) -> None:
        """Press the button with this label (or ``key=``) and wait for the app's next full
        run to finish (a button in a fragment: for any run to finish), or, given ``until``,
        for what a user waits for (e.g. the Pause button in place of Train): a full run that
        a live fragment's rerun follows closely may end without its own finished message."""
        node = self._find_button(label_or_key)
        if node is None:
            raise LookupError(f"no button {label_or_key!r} on the page; have {self.buttons()}")
        button = getattr(node.element, node.element.WhichOneof("type"))
        done_full, done_any = self._finished_full, self.counters.runs_finished
        trigger = WidgetState(id=button.id, trigger_value=True)
        await self._send_rerun(extra=[trigger], fragment_id=node.fragment_id)
        if until is not None:
            await self.wait_for(until, timeout, f"{label_or_key!r} to take effect")
            return
        if node.fragment_id:
            await self.wait_for(lambda: self.counters.runs_finished > done_any, timeout, "click")
            return
        started = self._full_started
        try:
            await self.wait_for(lambda: self._full_started > started, retry_after, "click")
        except TimeoutError:  # the server never started the run: press again, as a user would
            self.counters.clicks_lost += 1
            await self._send_rerun(extra=[trigger])
        await self.wait_for(lambda: self._finished_full > done_full, timeout, "click")

    async def wait_for(self, predicate, timeout: float = 30, what: str = "condition") -> None:
        """Wait until ``predicate()`` holds, re-checked after every message."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.closed:
                raise ConnectionError(f"session closed while waiting for {what}")
            left = deadline - time.monotonic()
            if left <= 0:
                recent = "; ".join(self.log)
                raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}: {recent}")
            self._changed.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 1.0))

    # ----------------------------------------------------------------- reading the page

    def elements(self, kind: str | None = None):
        for path in sorted(self.nodes):
            el = self.nodes[path].element
            if el is not None and (kind is None or el.WhichOneof("type") == kind):
                yield el

    def metric(self, label: str) -> str | None:
        """The value of the ``st.metric`` labelled exactly ``label`` (None if not shown)."""
        for el in self.elements("metric"):
            if el.metric.label == label:
                return el.metric.body
        return None

    def step(self) -> int | None:
        """The page's step counter as a number."""
        value = self.metric("step")
        try:
            return int(value.replace(",", "")) if value is not None else None
        except ValueError:
            return None

    def errors(self) -> list[str]:
        """Exceptions and error alerts on the page now."""
        out = []
        for el in self.elements():
            kind = el.WhichOneof("type")
            if kind == "exception":
                out.append(f"{el.exception.type}: {el.exception.message}"[:300])
            elif kind == "alert" and el.alert.format == Alert.ERROR:
                out.append(el.alert.body[:300])
        return out

    def warnings(self) -> list[str]:
        return [
            el.alert.body[:300] for el in self.elements("alert") if el.alert.format == Alert.WARNING
        ]

    def buttons(self) -> list[str]:
        return [el.button.label for el in self.elements("button")]

    def text(self) -> str:
        """Headings and markdown on the page, for assertions."""
        parts = []
        for el in self.elements():
            kind = el.WhichOneof("type")
            if kind == "heading":
                parts.append(el.heading.body)
            elif kind == "markdown":
                parts.append(el.markdown.body)
        return "\n".join(parts)

    def _find_button(self, label_or_key: str) -> Node | None:
        for path in sorted(self.nodes):
            node = self.nodes[path]
            el = node.element
            if el is None or el.WhichOneof("type") != "button":
                continue
            if el.button.label == label_or_key or user_key(el.button.id) == label_or_key:
                return node
        return None

    # ----------------------------------------------------------------- sending

    async def _send_rerun(
        self,
        *,
        page_hash: str | None = None,
        page_name: str = "",
        fragment_id: str = "",
        is_auto_rerun: bool = False,
        extra: list[WidgetState] | None = None,
    ) -> None:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        held = dict(self.widgets)
        for w in extra or ():
            held[w.id] = w
        cs.widget_states.widgets.extend(held.values())
        if page_hash is not None:
            self.page_hash = page_hash
        cs.page_script_hash = self.page_hash if page_name == "" else ""
        cs.page_name = page_name
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = is_auto_rerun
        cs.cached_message_hashes.extend(self._cache)
        ci = cs.context_info
        ci.timezone, ci.timezone_offset, ci.locale = "UTC", 0, "en-US"
        ci.url, ci.color_scheme = f"{self.url}/{page_name}", "light"
        self.counters.reruns_sent += 1
        self.log.append(f"SENT rerun frag={fragment_id[:6]} auto={is_auto_rerun}")
        try:
            await self._ws.send(msg.SerializeToString())
        except websockets.ConnectionClosed as err:
            self._fail(f"send failed: {err}")

    def _fail(self, what: str) -> None:
        if len(self.failures) < 50:
            self.failures.append(what)
        self._changed.set()

    # ----------------------------------------------------------------- receiving

    async def _read_loop(self) -> None:
        try:
            async for data in self._ws:
                self.counters.bytes_received += len(data)
                self.counters.messages_received += 1
                msg = ForwardMsg()
                msg.ParseFromString(data)
                try:
                    self._handle(msg, data)
                except Exception as err:  # noqa: BLE001 - a client bug must not end the run
                    self._fail(f"{type(err).__name__} handling {msg.WhichOneof('type')}: {err}")
                self._changed.set()
        except websockets.ConnectionClosed as err:
            if not self.closed:
                self._fail(f"connection closed: {err}")
        finally:
            if not self.closed:
                self.closed = True
                self._fail("disconnected")

    def _handle(self, msg: ForwardMsg, data: bytes) -> None:
        kind = msg.WhichOneof("type")
        if kind in ("new_session", "script_finished", "auto_rerun", "stop_auto_rerun"):
            run = msg.metadata.run
            status = f" {msg.script_finished}" if kind == "script_finished" else ""
            self.log.append(
                f"{kind}{status} run={run.script_run_id[:6]} frags={len(run.fragment_ids)}"
            )
        if kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                self._fail(f"cached ForwardMsg miss {msg.ref_hash}")
                return
            full = ForwardMsg()
            full.ParseFromString(cached[0])
            full.metadata.CopyFrom(msg.metadata)
            self._cache[msg.ref_hash] = (cached[0], self._cache_runs, cached[2])
            msg, kind = full, full.WhichOneof("type")
        elif msg.metadata.cacheable and msg.hash and msg.hash not in self._cache:
            frag = msg.delta.fragment_id if kind == "delta" else ""
            self._cache[msg.hash] = (data, self._cache_runs, frag)
        if kind == "new_session":
            self._new_session(msg)
        elif kind == "delta":
            self._delta(msg)
        elif kind == "script_finished":
            self._script_finished(msg)
        elif kind == "auto_rerun":
            self._auto_rerun(msg.auto_rerun.interval, msg.auto_rerun.fragment_id)
        elif kind == "stop_auto_rerun":
            for fid in msg.stop_auto_rerun.fragment_ids:
                self._cancel_auto_rerun(fid)
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in msg.navigation.app_pages}
            if msg.navigation.page_script_hash:
                self.page_hash = msg.navigation.page_script_hash
        elif kind == "page_not_found":
            self._fail(f"page not found: {msg.page_not_found.page_name!r}")

    def _new_session(self, msg: ForwardMsg) -> None:
        ns = msg.new_session
        self.run_id = msg.metadata.run.script_run_id
        self.run_fragments = tuple(msg.metadata.run.fragment_ids)
        if ns.HasField("initialize"):
            self.session_id = ns.initialize.session_id
        if not self.run_fragments:  # a full run: the browser clears its timers and pages
            self._full_started += 1
            self._cancel_auto_reruns()
            self._max_cache_age = ns.config.max_cached_message_age or 2
            self.main_script_hash = ns.main_script_hash
            if ns.page_script_hash:
                self.page_hash = ns.page_script_hash

    def _delta(self, msg: ForwardMsg) -> None:
        path = tuple(msg.metadata.delta_path)
        delta = msg.delta
        kind = delta.WhichOneof("type")
        if kind == "add_block":
            self.nodes[path] = Node(None, self.run_id, delta.fragment_id)
        elif kind == "new_element":
            el = delta.new_element
            self.nodes[path] = Node(el, self.run_id, delta.fragment_id)
            etype = el.WhichOneof("type")
            if etype == "metric" and el.metric.label == "step":
                if el.metric.body != self.last_step:
                    self.counters.step_changes += 1
                    self.last_step = el.metric.body
            elif etype == "component_instance":
                self._component(el.component_instance, delta.fragment_id)

    def _component(self, ci, fragment_id: str) -> None:
        if ci.component_name != LIVE_CHART and not ci.component_name.endswith(LIVE_CHART):
            return
        args = json.loads(ci.json_args) if ci.json_args else {}
        chart = self._charts.setdefault(ci.id, ChartState())
        spec = args.get("spec")
        if spec is not None and spec != chart.spec:
            chart.spec = spec
            self.counters.paints[user_key(ci.id) or ci.id] += 1
        tick = args.get("tick")
        if tick is None:  # paused: the chart sends nothing, and drops a pending ack
            for timer in (chart.timer, chart.retry):
                if timer:
                    timer.cancel()
            chart.timer = chart.retry = None
            return
        if tick == chart.last_acked:
            return
        if chart.retry:  # the refresh came
            chart.retry.cancel()
            chart.retry = None
        wait = max(0.0, float(args.get("pace") or 0) - (time.monotonic() - chart.last_ack_time))
        if chart.timer:
            chart.timer.cancel()
        chart.timer = asyncio.get_running_loop().create_task(
            self._ack(chart, ci.id, tick, wait, fragment_id)
        )

    async def _ack(self, chart: ChartState, cid: str, tick: Any, wait: float, frag: str) -> None:
        await asyncio.sleep(wait)
        chart.timer = None
        chart.last_acked = tick
        await self._send_ack(chart, cid, tick, frag)

    async def _send_ack(
        self, chart: ChartState, cid: str, tick: Any, frag: str, *, again: bool = False
    ) -> None:
        # as the chart does: the value is [tick, attempt], and it is sent again every
        # ACK_RETRY seconds until a newer tick arrives (a refresh lost on the way)
        chart.attempt += 1
        chart.last_ack_time = time.monotonic()
        self.widgets[cid] = WidgetState(id=cid, json_value=json.dumps([tick, chart.attempt]))
        self.counters.ticks_sent += 1
        self.counters.ticks_resent += again
        chart.retry = asyncio.get_running_loop().create_task(self._resend(chart, cid, tick, frag))
        await self._send_rerun(fragment_id=frag)

    async def _resend(self, chart: ChartState, cid: str, tick: Any, frag: str) -> None:
        await asyncio.sleep(ACK_RETRY)
        if chart.last_acked == tick:
            await self._send_ack(chart, cid, tick, frag, again=True)

    def _script_finished(self, msg: ForwardMsg) -> None:
        status = msg.script_finished
        self.counters.runs_finished += 1
        run = msg.metadata.run
        frags = tuple(run.fragment_ids)
        if status == FINISHED.FINISHED_EARLY_FOR_RERUN:
            self.counters.runs_cut_short += 1
            return
        if status == FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
            self.counters.fragment_runs += 1
        ok = status in (FINISHED.FINISHED_SUCCESSFULLY, FINISHED.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
        if ok and run.script_run_id and (frags or run.script_run_id == self.run_id):
            self._clear_stale(run.script_run_id, frags)
        if run.script_run_id:  # the frontend's incrementMessageCacheRunCount
            self._cache_runs += 1
            for h, (_, count, frag) in list(self._cache.items()):
                if frags and (not frag or frag not in frags):
                    continue
                if self._cache_runs - count > self._max_cache_age:
                    del self._cache[h]
        if status == FINISHED.FINISHED_SUCCESSFULLY and not frags:
            self._finished_full += 1

    def _clear_stale(self, run_id: str, fragments: tuple[str, ...]) -> None:
        for path, node in list(self.nodes.items()):
            if node.run_id == run_id:
                continue
            if fragments and node.fragment_id not in fragments:
                continue
            del self.nodes[path]
        # the frontend's removeInactiveWidgetState
        live = set()
        for node in self.nodes.values():
            if node.element is not None:
                inner = getattr(node.element, node.element.WhichOneof("type") or "", None)
                wid = getattr(inner, "id", None)
                if wid:
                    live.add(wid)
        for wid in list(self.widgets):
            if wid not in live:
                del self.widgets[wid]
        for cid in list(self._charts):
            if cid not in live:
                chart = self._charts.pop(cid)
                if chart.timer:
                    chart.timer.cancel()

    # ----------------------------------------------------------------- run_every timers

    def _auto_rerun(self, interval: float, fragment_id: str) -> None:
        if not fragment_id:
            return
        current = self._auto.get(fragment_id)
        if current is not None and current[0] == interval:
            return
        self._cancel_auto_rerun(fragment_id)
        task = asyncio.get_running_loop().create_task(self._timer(interval, fragment_id))
        self._auto[fragment_id] = (interval, task)

    async def _timer(self, interval: float, fragment_id: str) -> None:
        """setInterval: fires every ``interval`` whether or not the last run finished; a
        late timer fires once and goes on from now (no burst to catch up)."""
        due = time.monotonic() + interval
        while not self.closed:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            self.counters.auto_reruns_sent += 1
            await self._send_rerun(fragment_id=fragment_id, is_auto_rerun=True)
            due = max(due + interval, time.monotonic())

    def _cancel_auto_rerun(self, fragment_id: str) -> None:
        entry = self._auto.pop(fragment_id, None)
        if entry is not None:
            entry[1].cancel()

    def _cancel_auto_reruns(self) -> None:
        for fid in list(self._auto):
            self._cancel_auto_rerun(fid)
