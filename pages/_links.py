"""Links on the live pages: the page's setting lives in the URL, and a link reopens it.

Each live page keeps its configuration (preset, data, seed, every changed hyperparameter,
what the page shows) in ``st.query_params`` under the CLI's ``--set`` keys (gancore.links).
Opening a link sets the page's widgets and starts its run from that setting; after each run
of the page the query is rewritten from what the run now trains with, so the address bar,
the "Link to this setting" box and a reload all say the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from gancore import links
from gancore.links import Link, LinkError

# keys the page's own widgets hold: they are not fixed edits on top of the preset
WIDGET_KEYS = ("train.seed", "data.name")
# keys that belong to the linked dataset: dropped when the user picks other data
DATA_BOUND = ("data.", "model.channels")


def opened(key: str, page: str, set_widgets: Callable[[Link, dict[str, Any]], None]) -> Link | None:
    """The link this page was opened with, applied once: ``set_widgets(link, resolved)`` puts
    its values in the widgets' session state before they are drawn. A link the page cannot
    take opens the page on its defaults (the link's preset if that one is good) and says why.
    Returns the link in force (None when the page was opened without one)."""
    query = {k: st.query_params[k] for k in st.query_params}
    if query and query != st.session_state.get(f"{key}_written"):
        try:
            link = links.read_link(query, page=page)
        except LinkError as err:
            good = query.get("preset") in links.presets_for_page(page) and err.key != "preset"
            link = links.read_link({"preset": query["preset"]} if good else {}, page=page)
            st.session_state[f"{key}_link_error"] = (
                f"This link could not be opened as it is, so the page opened on "
                f"{link.preset}'s defaults: {err}"
            )
        _forget_widgets(key, link.preset)
        set_widgets(link, link.resolved())
        st.session_state[f"{key}_link"] = link
        st.session_state[f"{key}_written"] = query
        st.session_state[f"{key}_relink"] = True  # the page rebuilds its run from the link
    said = st.session_state.pop(f"{key}_link_error", None)
    if said:
        st.warning(said, icon=":material/link_off:")
    return st.session_state.get(f"{key}_link")


def relink(key: str) -> bool:
    """True once after a link was opened: the page's current run must make way for it."""
    return bool(st.session_state.pop(f"{key}_relink", False))


def _forget_widgets(key: str, preset: str) -> None:
    # the hyperparameter widgets of that preset start again from the linked run's values
    for k in [k for k in st.session_state if str(k).startswith(f"{key}_{preset}_")]:
        del st.session_state[k]


def fixed_overrides(
    link: Link | None, preset: str, data: str, *, widget_keys: tuple[str, ...] = WIDGET_KEYS
) -> list[str]:
    """The link's edits that the page's widgets (``widget_keys``) do not hold, while the user
    keeps the link's preset (and its dataset, for the data parameters and channels)."""
    if link is None or link.preset != preset:
        return []
    linked_data = link.resolved()["data"]["name"]
    out = []
    for item in link.overrides:
        k = item.partition("=")[0]
        if k in widget_keys or (k.startswith(DATA_BOUND) and data != linked_data):
            continue
        out.append(item)
    return out


def share_ui(
    key: str,
    page: str,
    name: str,
    current: dict[str, Any],
    *,
    view: dict[str, str] | None = None,
    b_train: dict[str, Any] | None = None,
    unlinkable: str | None = None,
) -> None:
    """Write the page's setting into the URL and offer it as a link to copy. ``unlinkable``
    says why the setting cannot be a link (a drawing or an upload is not in a URL)."""
    if unlinkable:
        query = {"preset": name}
    else:
        query = links.link_query(name, current, view=view, b_train=b_train)
    if query != {k: st.query_params[k] for k in st.query_params}:
        st.query_params.from_dict(query)
    st.session_state[f"{key}_written"] = query
    with st.popover("Link to this setting", icon=":material/link:"):
        if unlinkable:
            st.caption(f"{unlinkable} This link opens {name} with its own data.")
        url = links.link_url(query, page=page, base=_base_url(page))
        st.code(url, language=None, wrap_lines=True)
        st.caption(
            "Copy it with the icon at its right: it reopens this page with this preset, "
            "data, seed and every changed setting. `python -m gancore link` prints the same."
        )


def _base_url(page: str) -> str:
    """The app's address as the browser sees it (``st.context.url``), without the page."""
    url = getattr(st.context, "url", None)
    if not url:
        return links.DEFAULT_BASE
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.endswith(f"/{page}"):
        path = path[: -len(page) - 1]
    return f"{parts.scheme}://{parts.netloc}{path}"
