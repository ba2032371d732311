"""The live part of a page: Train / Pause / Step / Reset, speed, and the paced refresh loop."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from gancore.live import LiveError
from pages import _hosted as hosted
from pages._lab_core import Lab, call
from pages._live_chart import live_chart, reusing
from pages._outside import changed, outside, take_app_rerun

# The labs' pacing: at most one refresh in flight per page, and no sooner than PACE_SECONDS
# after the last one was drawn, or later when many runs share the server (see pace()). The
# curves over time are rebuilt every CURVES_SECONDS.
PACE_SECONDS = 0.15
CURVES_SECONDS = 2.0
# A busy server slows each page's refreshes (pace()): a 2D refresh costs ~10 ms in its
# worker (D's field, G's manifold, metrics) and ~16 ms in the server (server_load, 8 users),
# all taken from training. With PACE_PER_RUN_PER_WORKER the gap grows as the square root of
# the runs per worker: 0.28 s for 8 runs on 2 workers (~3.5 refreshes a second each, half
# the machine left to training), 0.57 s for 32.
PACE_PER_RUN_PER_WORKER = 0.14
SPEEDS = {"1 / s": 1.0, "5 / s": 5.0, "20 / s": 20.0, "100 / s": 100.0, "as fast as it goes": None}


def transport_ui(
    key: str,
    lab: Lab,
    *,
    step_sizes: tuple[int, ...] = (1, 10, 100),
    extra: Callable[[Lab], None] | None = None,
    stop_at: Callable[[Lab], int] | None = None,
) -> None:
    """Train / Pause, single steps, Reset (fresh models, same settings), and ``extra``.

    ``stop_at(lab)`` is where a run pauses by itself (the image page's target); the server's
    step cap always applies.

    The buttons act in their callbacks, which run even when Streamlit delivers the click in
    the live fragment's rerun (see pages._outside)."""
    call(lab.handle.refresh)
    stopped_by_itself(key, lab)
    error = st.session_state.pop(f"{key}_error", None)
    if error:
        st.error(error)
    cols = st.columns([1.3] + [1] * (len(step_sizes) + 1) + [2.4])
    if lab.running:
        cols[0].button(
            "Pause",
            icon=":material/pause:",
            key=f"{key}_pause",
            type="primary",
            width="stretch",
            on_click=_pause,
            args=(key,),
        )
    elif cols[0].button(
        "Resume" if lab.step_count else "Train",
        icon=":material/play_arrow:",
        key=f"{key}_play",
        type="primary",
        width="stretch",
    ):
        start_training(key, lab, stop_at(lab) if stop_at else None)
        st.rerun()
    for col, n in zip(cols[1:], step_sizes, strict=False):
        label, suffix = ("Step", "") if n == 1 else (f"Step ×{n}", str(n))
        col.button(
            label,
            key=f"{key}_step{suffix}",
            width="stretch",
            help="k D steps, then G",
            on_click=_step,
            args=(key, n),
        )
    cols[len(step_sizes) + 1].button(
        "Reset",
        key=f"{key}_reset",
        width="stretch",
        help="fresh models, same settings",
        on_click=_reset,
        args=(key,),
    )
    if extra is not None:
        with cols[-1]:
            extra(lab)
    notice = st.session_state.get(f"{key}_notice") or lab.status.get("notice")
    if notice:
        st.warning(notice)
    if lab.handle.notice:
        st.info(lab.handle.notice)
    only = {"d": "k D updates; G stays as it is", "g": "G updates; D stays as it is"}
    for col, (net, help_) in zip(st.columns([1, 1, 4]), only.items(), strict=False):
        col.button(
            f"Step {net.upper()} only",
            key=f"{key}_step_{net}",
            help=help_,
            on_click=_step,
            args=(key, None, net),
        )


def _act(key: str, fn: Callable[[], Any]) -> None:
    """A handle call from a button's callback; a failure is said on the page's next run."""
    try:
        fn()
    except LiveError as err:
        st.session_state[f"{key}_error"] = f"The training worker could not do that: {err}."


def _pause(key: str) -> None:
    """Pause: the live fragment then sees the run stopped and reruns the page (Resume)."""
    lab: Lab = st.session_state[key]
    _act(key, lambda: lab.handle.train(False))
    hosted.slots().release(hosted.owner(key))
    changed()  # the buttons become Train / Resume


def _step(key: str, n: int | None, only: str | None = None) -> None:
    """``n`` rounds (None: one of ``only`` D or G updates), within the server's step cap."""
    lab: Lab = st.session_state[key]
    changed()  # a full run shows the new step count, and any notice or error, everywhere
    if only is not None:
        _act(key, lambda: lab.handle.step(only=only))
        return
    room = hosted.limits().max_steps - lab.step_count
    if room <= 0:
        st.session_state[f"{key}_notice"] = _step_cap_message()
    else:
        _act(key, lambda: lab.handle.step(min(n, room)))


def _reset(key: str) -> None:
    """Fresh models, same settings."""
    lab: Lab = st.session_state[key]
    hosted.slots().release(hosted.owner(key))
    _act(key, lab.handle.reset)
    lab.timeline.clear()
    changed()


def target_steps_ui(key: str, lab: Lab, default: int = 2000) -> None:
    """How many steps the run trains to (lab.extra["target"]), within this server's step cap."""
    cap = min(1_000_000, hosted.limits().max_steps)
    lab.extra["target"] = int(
        st.number_input(
            "steps to train",
            min(10, cap),
            cap,
            min(lab.extra.get("target", default), cap),
            100,
            key=f"{key}_target",
            help=f"this server trains at most {cap:,} steps per run" if cap < 1_000_000 else None,
            **outside(),
        )
    )


def transport_to_target_ui(key: str, lab: Lab) -> None:
    """The image pages' transport: single and x10 steps, and the steps a run trains to."""
    transport_ui(
        key,
        lab,
        step_sizes=(1, 10),
        extra=lambda lab: target_steps_ui(key, lab),
        stop_at=lambda lab: lab.extra["target"],
    )


def start_training(key: str, lab: Lab, stop_at: int | None = None) -> bool:
    """Press Train: take one of the server's training slots, or say it is busy."""
    st.session_state.pop(f"{key}_notice", None)
    cap = hosted.limits().max_steps
    if lab.step_count >= cap:
        st.session_state[f"{key}_notice"] = _step_cap_message()
        return False
    if not hosted.slots().acquire(hosted.owner(key)):
        st.session_state[f"{key}_notice"] = hosted.busy_message(hosted.slots().capacity)
        return False
    stop = cap if stop_at is None else min(cap, stop_at)
    if call(lambda: lab.handle.train(True, stop_at=stop)) is None:
        hosted.slots().release(hosted.owner(key))
        return False
    return True


def _step_cap_message() -> str:
    cap = hosted.limits().max_steps
    return (
        f"This server stops a run at {cap:,} steps (GANCORE_MAX_STEPS). The model is kept: "
        "download it, or train longer from the command line."
    )


def speed_ui(key: str, lab: Lab) -> None:
    """How fast a running lab trains: slow enough to watch each round, or flat out."""
    choice = st.select_slider(
        "speed (rounds per second)",
        list(SPEEDS),
        value="as fast as it goes",
        key=f"{key}_speed",
        help="Slow it down to watch each round; the server trains between refreshes.",
        **outside(),
    )
    rate = SPEEDS[choice]
    if lab.extra.get("rate", "unset") != rate and call(lambda: lab.handle.speed(rate)):
        lab.extra["rate"] = rate


def live_loop(
    key: str,
    lab: Lab,
    draw: Callable[[Lab, dict[str, Any] | None], None],
    view: Callable[[Lab], dict[str, Any]],
    *,
    draw_slow: Callable[[Lab], None] | None = None,
    slow_refresh: float = CURVES_SECONDS,
) -> None:
    """The live part of a page: a fragment that asks the worker for the newest ``view`` and
    hands it to ``draw``. While running, ``draw`` passes ``tick=next_tick(lab)`` to its pacing
    chart, whose acknowledgement of each drawn refresh reruns this fragment. A run that stopped
    by itself (diverged, reached its cap or target, paused for want of a viewer) reruns the
    whole page, which turns the buttons back to Train.

    ``draw_slow`` (curves over time) draws in the same fragment, but builds its charts (given
    to live_chart as callables) only every ``slow_refresh`` seconds while running, showing
    the last ones in between. (As a second fragment with its own ``run_every`` timer, each of
    its timer reruns cut a paced refresh short: 136 in 25 s with 8 users in server_load.)"""
    take_app_rerun()  # this is a full run: whatever asked for one has it
    lab.shown_running = lab.running
    lab.extra["curves_at"] = 0.0  # a full run draws every chart afresh

    @st.fragment
    def live() -> None:
        lab: Lab = st.session_state[key]
        if take_app_rerun():  # a widget outside this fragment changed (pages._outside)
            st.rerun(scope="app")
        if lab.shown_running and not hosted.slots().acquire(hosted.owner(key)):
            # our slot lapsed (a long stall) and others took them all
            st.session_state[f"{key}_notice"] = hosted.busy_message(hosted.slots().capacity)
            call(lambda: lab.handle.train(False))
        seen = call(lambda: view(lab))
        if stopped_by_itself(key, lab):
            st.rerun(scope="app")
        draw(lab, seen)
        if draw_slow is not None:
            now = time.monotonic()
            fresh = not lab.shown_running or now - lab.extra.get("curves_at", 0.0) >= slow_refresh
            if fresh:
                timelines = call(lab.handle.timelines)
                if timelines is not None:
                    lab.timeline, lab.extra["b_timeline"] = timelines
                lab.extra["curves_at"] = now
            with reusing(not fresh):
                draw_slow(lab)

    live()


def stopped_by_itself(key: str, lab: Lab) -> bool:
    """True (once) when a run the page shows as running has stopped in its worker: it
    diverged, reached the step cap or its target, or paused for want of a viewer."""
    if not lab.shown_running or lab.running:
        return False
    lab.shown_running = False
    hosted.slots().release(hosted.owner(key))
    if lab.step_count >= hosted.limits().max_steps:
        st.session_state[f"{key}_notice"] = _step_cap_message()
    return True


def pace(minimum: float = PACE_SECONDS) -> float:
    """Seconds between one page's refreshes: ``minimum`` on a quiet server, longer as more
    runs train at once (as the square root of the runs per worker), so that what each visitor
    sees stays smooth, only less often, and training keeps its share of the machine."""
    pool = hosted.pool()
    return max(minimum, PACE_PER_RUN_PER_WORKER * math.sqrt(pool.running() / pool.size))


def live_picture(
    lab: Lab,
    fig: dict[str, Any],
    numbers: Callable[[], None],
    *,
    key: str,
    config: dict[str, Any] | None = None,
) -> None:
    """A lab's picture beside its numbers; the picture paces the page's refreshes."""
    c_fig, c_num = st.columns([3, 1.1])
    with c_num:  # the numbers before the chart, whose acknowledgement asks for the next refresh
        numbers()
    with c_fig:
        live_chart(fig, key=key, tick=next_tick(lab), pace=pace(), config=config)


def next_tick(lab: Lab) -> int | None:
    """The tick for the pacing chart: a new one per refresh while running, None when paused."""
    if not lab.shown_running:
        return None
    lab.tick += 1
    return lab.tick
