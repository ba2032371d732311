"""A Plotly chart that the browser updates in place, for figures redrawn several times a second.

``st.plotly_chart`` gives a chart a new identity whenever its figure changes, so every redraw
of a live lab remounted the chart: a full Plotly ``newPlot`` (and a purge of the old one) on
each tick, which kept the browser's main thread busy and held the 2D lab under 4 redraws a
second (lab_refresh). This component keeps one chart per key and hands each new figure to
``Plotly.react``, which redraws into the existing chart instead of building a new one, and
keeps the user's zoom (``uirevision``).

The component is a static page (``_assets/live_chart.html``) beside a copy of the plotly.js
that the installed plotly package ships, so it needs no network and matches that version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import plotly
import plotly.graph_objects as go
import streamlit as st
import streamlit.components.v1 as components

_HTML = Path(__file__).parent / "_assets" / "live_chart.html"
_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Streamlit's own UI font, so the charts read like the rest of the page (sans-serif without it)
_FONTS = Path(st.__file__).parent / "static" / "static" / "media"


def _component_dir() -> Path:
    """A folder with index.html, plotly.min.js and the font, built once per content (atomically)."""
    html = _HTML.read_bytes()
    tag = hashlib.sha256(html + f"{plotly.__version__} {st.__version__}".encode()).hexdigest()[:12]
    target = Path(tempfile.gettempdir()) / f"gancore-live-chart-{tag}"
    if not (target / "index.html").exists():
        tmp = Path(tempfile.mkdtemp(prefix=".gancore-live-chart-", dir=target.parent))
        shutil.copyfile(_PLOTLY_JS, tmp / "plotly.min.js")
        for font in sorted(_FONTS.glob("SourceSansVF-Upright*.woff2"))[:1]:
            shutil.copyfile(font, tmp / "font.woff2")
        (tmp / "index.html").write_bytes(html)
        try:
            os.rename(tmp, target)
        except OSError:  # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
    return target


@st.cache_resource(show_spinner=False)
def _declare():
    return components.declare_component("gancore_live_chart", path=str(_component_dir()))


_REUSE = "_live_chart_reuse"  # session key: charts drawn from callables repeat their last figure
_LAST = "_live_chart_last"  # session key: per chart key, the height of its last figure


@contextmanager
def reusing(flag: bool) -> Iterator[None]:
    """Within the block (``flag`` True), a chart given as a callable keeps showing its last
    figure instead of calling it: charts that change every few seconds, in a fragment that
    reruns several times a second, cost neither building nor sending between their updates.
    (Only where the browser has drawn the chart before: a full run must draw it afresh.)"""
    st.session_state[_REUSE] = flag
    try:
        yield
    finally:
        st.session_state[_REUSE] = False


def live_chart(
    fig: go.Figure | dict[str, Any] | Callable[[], go.Figure | dict[str, Any]] | None,
    *,
    key: str,
    config: dict[str, Any] | None = None,
    tick: int | None = None,
    pace: float = 0.0,
) -> Any:
    """Show ``fig`` (a figure, or a plain ``{"data": [...], "layout": {...}}`` dict, which
    skips plotly's validation; or a callable making one, see :func:`reusing`); later calls
    with the same key update the same chart in place.

    ``tick`` makes this the page's pacing chart: once the browser has drawn the figure, and
    no sooner than ``pace`` seconds after the last acknowledgement, it sends ``tick`` back,
    which reruns the fragment the chart sits in. ``fig=None`` with a tick paces without
    drawing (height 0). Returns the last tick acknowledged (None before the first)."""
    last = st.session_state.setdefault(_LAST, {})
    if callable(fig) and st.session_state.get(_REUSE) and key in last:
        # the browser keeps what it drew: a few bytes instead of the figure again (which
        # Streamlit would hash to find it cached, per chart per refresh)
        return _declare()(keep=True, height=last[key], config=config or {}, key=key, default=None)
    if fig is None:
        spec, height = None, 0
    else:
        if callable(fig):
            fig = fig()
        spec = fig if isinstance(fig, dict) else fig.to_dict()
        layout = spec.setdefault("layout", {})
        height = int(layout.get("height") or 450)
        # plotly.py's default template (~10 kB a figure): the page applies the app's look
        # instead, as st.plotly_chart does with its theme
        layout.pop("template", None)
        spec = figure_json(spec)
        last[key] = height
    args: dict[str, Any] = {"spec": spec, "config": config or {}, "height": height}
    if tick is not None:
        args.update(tick=tick, pace=pace)
    return _declare()(**args, key=key, default=None)


def figure_json(spec: dict[str, Any]) -> str:
    """A figure dict as JSON, fast and without plotly's validation: NumPy arrays as plotly.js
    typed arrays (float32, base64; NaN stays a gap in a line), other NaN and infinities as
    null. Encoding the arrays' numbers as text was a third of the server's time under load."""
    text = json.dumps(spec, default=_plain, separators=(",", ":"))
    return _NONFINITE.sub("null", text)


_NONFINITE = re.compile(r"(?<![\w\"])(?:NaN|-?Infinity)(?![\w\"])")


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        # plotly.js's typed-array form (as plotly.py writes numpy arrays since 6.0)
        kind = "f4" if value.dtype.kind == "f" else "i4"
        array = np.ascontiguousarray(value, dtype=np.dtype(kind).newbyteorder("<"))
        out = {"dtype": kind, "bdata": base64.b64encode(array.tobytes()).decode("ascii")}
        if array.ndim > 1:
            out["shape"] = ",".join(map(str, array.shape))
        return out
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, go.Figure):
        return value.to_dict()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
