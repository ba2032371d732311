"""gancore: the GAN laboratory. Routing only: page config, navigation, shared sidebar.

`streamlit run streamlit_app.py` finds the ``app`` below (Streamlit's ``st.App``) and serves
it: it imports this file once as a module, runs ``_startup`` before it accepts the first
connection, and then runs this same file as each session's script (``__name__ ==
"__main__"``), which is the routing at the bottom.
"""

import ast
import importlib
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent

# Imported before any page code runs. Streamlit runs every session's script in its own thread,
# and plotly peeks at sys.modules for pandas without importing it (`get_module(...,
# should_load=False)`): while one session's thread is still executing pandas' __init__,
# another building a go.Heatmap gets the half-made module and fails with "partially
# initialized module 'pandas' has no attribute 'Series'". An `import` statement, unlike that
# peek, waits for a module another thread is initialising, so importing these at the top of
# every run (a dictionary look-up once they are loaded) makes every page see them whole.
PRELOAD = ("numpy", "pandas", "plotly.graph_objects", "PIL.Image", "torch")


def _page_imports() -> list[str]:
    """The modules the page scripts import (gancore's and third-party), read from their source,
    so the warm-up follows the pages as they change. `pages.*` (Streamlit components declared
    at import) and streamlit itself are left to the sessions."""
    names: list[str] = []
    for script in sorted((HERE / "pages").glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.append(node.module)
    skip = ("pages", "streamlit", "__future__")
    return [n for n in dict.fromkeys(names) if n.split(".")[0] not in skip]


def warm_up() -> None:
    """Import what the pages need and draw one throw-away figure of each kind they draw (plotly
    builds its validators on first use), in one thread, before any session runs."""
    log = logging.getLogger("gancore.startup")
    for name in (*PRELOAD, *_page_imports()):
        try:
            importlib.import_module(name)
        except Exception as err:  # noqa: BLE001 - a page's own import reports it properly
            log.warning("warm-up: could not import %s: %s", name, err)
    import plotly.graph_objects as go

    go.Figure([go.Heatmap(z=[[0.0, 1.0]]), go.Scatter(x=[0], y=[0]), go.Contour(z=[[0, 1]])])


@asynccontextmanager
async def _startup(_app):
    """Once per server process, after the runtime starts and before the first connection."""
    # A `pages/` folder beside the main script makes a fresh server treat the app as an old
    # folder-of-pages app (PagesManager.uses_pages_directory, process-wide) until some
    # session's script has called st.navigation: the first visitor's deep link (/lab-2d) is
    # then looked up among pages/*.py, not found ("Page not found" notice), and only the
    # st.navigation call that follows shows the page. The folder's pages are never used here.
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    warm_up()
    yield


def main() -> None:
    """The routing, run as each session's script."""
    for name in PRELOAD:  # see PRELOAD
        importlib.import_module(name)
    import gancore
    from pages._hosted import configure_torch, limits

    st.set_page_config(page_title="gancore · GAN laboratory", page_icon="🧪", layout="wide")

    sections = {
        "Theory": [
            st.Page(
                "pages/theory_value.py",
                title="Value function & D*",
                icon=":material/functions:",
                default=True,  # served at "/"
            ),
            st.Page(
                "pages/theory_losses.py",
                title="G losses & Wasserstein",
                icon=":material/show_chart:",
                url_path="losses",
            ),
            st.Page(
                "pages/theory_dynamics.py",
                title="Training dynamics",
                icon=":material/cyclone:",
                url_path="dynamics",
            ),
        ],
        "Train": [
            st.Page(
                "pages/lab_1d.py", title="1D lab", icon=":material/ssid_chart:", url_path="lab-1d"
            ),
            st.Page(
                "pages/lab_2d.py", title="2D lab", icon=":material/scatter_plot:", url_path="lab-2d"
            ),
            st.Page(
                "pages/train_images.py",
                title="Image GANs",
                icon=":material/image:",
                url_path="images",
            ),
            st.Page(
                "pages/image_to_image.py",
                title="Image to image",
                icon=":material/compare:",
                url_path="image-to-image",
            ),
        ],
        "Play": [
            st.Page(
                "pages/generate.py",
                title="Generate",
                icon=":material/auto_awesome:",
                url_path="generate",
            ),
        ],
    }

    try:
        caps = limits()
    except ValueError as err:  # a malformed GANCORE_* setting: say which, serve nothing half-set
        st.error(f"This server's configuration is invalid: {err}.")
        st.stop()
    configure_torch()
    navigation = st.navigation(sections)

    with st.sidebar:
        st.markdown("**gancore** · an interactive GAN laboratory")
        st.caption(
            "Every number on these pages is computed by the `gancore` library "
            f"(v{gancore.__version__}); nothing is typed in."
        )
        if caps.hosted:
            st.caption(
                f"Hosted demo: runs stop at {caps.max_steps:,} steps, images at "
                f"{caps.max_image_size} px, uploads at {caps.max_upload_mb:g} MB, and "
                f"{caps.max_trainings or 'any number of'} trainings run at once. Clone the repo "
                "for the full lab."
            )

    navigation.run()


if __name__ == "__main__":  # a session's script run (also AppTest, and Streamlit without st.App)
    main()
else:  # imported once by `streamlit run` (or any ASGI server): serve the app
    app = st.App(__file__, lifespan=_startup)
