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

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import plotly
import plotly.graph_objects as go
import plotly.io
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


def live_chart(fig: go.Figure, *, key: str, config: dict[str, Any] | None = None) -> None:
    """Show ``fig``; later calls with the same key update the same chart in place."""
    height = int(fig.layout.height or 450)
    spec = fig.to_dict()
    # plotly.py's default template (~10 kB a figure): the page applies the app's look instead,
    # as st.plotly_chart does with its theme
    spec["layout"].pop("template", None)
    _declare()(
        spec=plotly.io.to_json(spec, validate=False),
        config=config or {},
        height=height,
        key=key,
        default=None,
    )
