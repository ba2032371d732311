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

The same flush can join a widget inside another fragment (the replay slider, the drawing
pad) with the live chart's acknowledgement: one of the two fragments reran, and the other's
change waited for its next one (a replay step not shown, a live refresh held until the
chart's 3 s retry). Those fragments are keyed, and their widgets' callbacks
(:func:`inside`) ask for a rerun of their own fragment, and of the live one when its chart's
acknowledgement came in the same flush; Streamlit runs the union of what callbacks ask for.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

APP_RERUN = "_gancore_app_rerun"  # a callback outside the live fragment wants a full run
_PRESSED = "_gancore_pressed"  # keys of buttons pressed, until the page's body reads them
_LIVE = "_gancore_live_fragment"  # the key of this page's live fragment
_PACER = "_gancore_pacer"  # (key, tick) of the live fragment's pacing chart as it last ran


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


def live_fragment(key: str) -> str:
    """The fragment key of the live part of the page whose lab is ``st.session_state[key]``;
    noted (in a full run of the page) for the callbacks of widgets in other fragments."""
    st.session_state[_LIVE] = f"{key}_live"
    st.session_state.pop(_PACER, None)  # a pacing chart of another page, or of a past run
    return st.session_state[_LIVE]


def pacer_seen(chart_key: str, tick: Any) -> None:
    """The live fragment's pacing chart returned ``tick`` (its last acknowledgement)."""
    st.session_state[_PACER] = (chart_key, tick)


def _rerun_here(own: str) -> None:
    targets = [own]
    pacer = st.session_state.get(_PACER)
    if pacer is not None and st.session_state.get(pacer[0]) != pacer[1]:
        targets.append(st.session_state[_LIVE])  # its acknowledgement came in this flush
    try:
        st.rerun(targets)
    except StreamlitAPIException:  # a fragment not drawn in this page's last full run
        st.rerun(scope="app")


def inside(fragment: str) -> Any:
    """The callback for a widget inside the keyed ``fragment`` (not the live one): reruns it,
    and the live fragment too when the chart's acknowledgement shared this flush."""
    return partial(_rerun_here, fragment)
