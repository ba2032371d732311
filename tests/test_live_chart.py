"""The live chart component's files: the page, plotly.js as the plotly package ships it, a font."""

from pathlib import Path

import plotly

from pages import _live_chart


def test_component_folder_serves_the_page_and_the_installed_plotly_js():
    folder = _live_chart._component_dir()
    shipped = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert (folder / "index.html").read_bytes() == _live_chart._HTML.read_bytes()
    assert (folder / "plotly.min.js").read_bytes() == shipped.read_bytes()
    assert (folder / "font.woff2").stat().st_size > 10_000
    assert '<script src="plotly.min.js">' in (folder / "index.html").read_text()
    assert _live_chart._component_dir() == folder  # built once, then reused


def test_component_folder_is_rebuilt_when_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(_live_chart.tempfile, "gettempdir", lambda: str(tmp_path))
    folder = _live_chart._component_dir()
    assert folder.parent == tmp_path
    assert sorted(p.name for p in folder.iterdir()) == ["font.woff2", "index.html", "plotly.min.js"]
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temporary left behind
