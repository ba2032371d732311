"""Replay on the live pages: scrub back through a run's snapshots while it trains on.

The run's worker keeps what the page drew (gancore.live.replay): G's samples on the fixed
noise, and D's field for toys, the sample grid for images, at most ~200 snapshots spread
over the whole run. The slider is a fragment of its own: moving it redraws only the replay
while the live picture above keeps training. Its steps are the ones kept when the page was
last drawn in full (or Newest pressed), so the slider holds still as the run goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from gancore.live import LiveError
from pages._lab import Lab


def replay_ui(key: str, lab: Lab, picture: Callable[[dict[str, Any]], None]) -> None:
    """An expander with the replay slider, ``picture(snapshot)`` of the chosen snapshot, and
    the whole replay as a GIF."""
    st.session_state[f"{key}_replay_fresh"] = True  # a full run of the page: new snapshots
    with st.expander("Replay: scrub back through this run", icon=":material/history:"):
        _replay(key, lab, picture)


@st.fragment
def _replay(key: str, lab: Lab, picture: Callable[[dict[str, Any]], None]) -> None:
    has_b = lab.handle.b is not None
    b_on = has_b and st.toggle("replay B", key=f"{key}_replay_b", help="B's snapshots, not A's")
    which = "b" if b_on else "a"
    held, slider = f"{key}_replay_steps_{which}", f"{key}_replay_step_{which}"
    c1, c2 = st.columns([5, 1])
    newest = c2.button("Newest", key=f"{key}_replay_newest_{which}", help="take the latest")
    try:
        latest = None
        if (
            st.session_state.pop(f"{key}_replay_fresh", False)
            or newest
            or held not in st.session_state
        ):
            latest = lab.handle.replay(None, which=which)
            _take_newest(held, slider, latest["steps"], newest)
        steps = st.session_state[held]
        at = steps[-1]
        if len(steps) > 1:
            at = c1.select_slider("step", options=steps, key=slider, format_func=_step)
        if latest is not None and latest["step"] == at:  # the snapshot just fetched
            chosen = latest
        else:
            chosen = lab.handle.replay(int(at), which=which)
    except ValueError:
        st.caption("Snapshots are kept as the run trains and is drawn: train, then come back.")
        st.session_state.pop(held, None)
        return
    except LiveError as err:
        st.error(f"The training worker could not do that: {err}.")
        return
    c1.caption(
        f"{_count(len(steps), 'snapshot')} kept, spread over the run; press Newest for the latest."
    )
    picture(chosen)
    st.download_button(
        f"Download the replay as a GIF ({_count(len(chosen['steps']), 'frame')})",
        data=lambda: lab.handle.replay_gif(which=which),
        file_name=f"gancore-{lab.name}-replay-step{chosen['steps'][-1]}.gif",
        mime="image/gif",
        key=f"{key}_replay_gif_{which}",
        icon=":material/download:",
    )


def _step(step: int) -> str:
    return f"{step:,}"


def _take_newest(held: str, slider: str, steps: list[int], to_end: bool) -> None:
    """Hold the latest steps; the slider stays where it was (at the newest if it was there)."""
    before = st.session_state.get(held) or []
    at = st.session_state.get(slider)
    st.session_state[held] = steps
    if to_end or at is None or not before or at == before[-1]:
        st.session_state[slider] = steps[-1]
    else:
        st.session_state[slider] = min(steps, key=lambda s: (abs(s - at), -s))


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
