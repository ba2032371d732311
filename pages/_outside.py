"""Widgets outside a live page's fragment, made to take effect while the run trains.

Streamlit's browser side sends the widget changes made in one moment as one rerun, scoped to
the first fragment among them (``scheduleFlush`` in its WidgetStateManager). On a live page
the chart inside the live fragment acknowledges each refresh, several times a second, so a
click or a change outside the fragment made in the same moment reran the fragment only: the
page's body never saw it (4 of 170 Pauses clicked during training were lost that way).

Callbacks run in any rerun, a fragment's included. So a widget outside the fragment gets
``on_change=changed`` (through :func:`outside`), and a button is read through
:func:`pressed`: its callback notes the click and asks for a run of the whole page, which
the live fragment honours at its start (:func:`take_app_rerun`). A value widget needs no
more than that rerun (its new value is in the session already); a button's click is gone by
then (Streamlit resets triggers), so :func:`pressed` remembers it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

APP_RERUN = "_gancore_app_rerun"  # a callback outside the live fragment wants a full run
_PRESSED = "_gancore_pressed"  # keys of buttons pressed, until the page's body reads them


def changed() -> None:
    """``on_change`` for a widget outside the live fragment: the page must run in full."""
    st.session_state[APP_RERUN] = True


def outside() -> dict[str, Any]:
    """Keyword arguments for a value widget outside the live fragment."""
    return {"on_change": changed}


def _press(key: str) -> None:
    st.session_state.setdefault(_PRESSED, set()).add(key)
    changed()


def pressed(container: Any, label: str, *, key: str, **kwargs: Any) -> bool:
    """``container.button(label, key=key, **kwargs)``, True also when its click reached the
    server in the live fragment's rerun (and so came back in the full run it asked for)."""
    clicked = container.button(label, key=key, on_click=_press, args=(key,), **kwargs)
    waiting: set[str] = st.session_state.get(_PRESSED, set())
    if key in waiting:
        waiting.discard(key)
        return True
    return bool(clicked)


def take_app_rerun() -> bool:
    """True (once) when a callback asked for a run of the whole page."""
    return bool(st.session_state.pop(APP_RERUN, False))
