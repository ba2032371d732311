"""A / B: a second run (B) beside a page's run (A), in the same worker, at the same step.

``fork`` makes B a copy of A as it is now (weights, optimizer state, EMA, the noise and data
streams, the curves so far), or starts A and B afresh from the same seed; then B takes its
own settings. The pair trains in lockstep: whichever is behind trains first, so the page
always compares the two at the same step, and the pair shares its worker with other runs
as one session (A and B split that share by rounds, not by time).

Every command of a run also works on B (``which="b"``); replies about A carry B's status
under ``"b"``, views B's view under ``"b"`` and timelines B's under ``"b_timeline"``.
"""

from __future__ import annotations

import copy
from typing import Any

COMMANDS = ("fork", "unfork", "hold")


def pick(session: Any, which: str) -> Any:
    """The session's run A, or its B."""
    if which == "a":
        return session.run
    if which == "b":
        if session.twin is None:
            raise ValueError("there is no B run: fork one first")  # LookupError: a lost run
        return session.twin
    raise ValueError(f"which must be 'a' or 'b', got {which!r}")


def fork(a: Any, *, fresh: bool = False, changes: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """(A, B): B a copy of ``a`` now, or both new from ``a``'s settings and seed (``fresh``);
    B then takes ``changes`` (TrainConfig fields; ValueError names a bad one)."""
    if fresh:  # B is built with its changes: it may differ in D's shape too (pack, ...)
        preset = {**a.preset, "train": a.trainer.config.to_dict()}
        b_preset = {**preset, "train": {**preset["train"], **(changes or {})}}
        a_new, b = type(a)(preset, a.name), type(a)(b_preset, a.name)
    else:
        a_new, b = a, type(a)(a.preset, a.name)
        b.load_state(copy.deepcopy(a.state()))  # deep: A's and B's optimizers share nothing
        b.replay = copy.deepcopy(a.replay)  # B's past is A's
        if changes:
            b.trainer.update_config(**changes)
    b.preset = {**b.preset, "train": b.trainer.config.to_dict()}  # B's Reset keeps B's settings
    for run in (a_new, b):
        run.running, run.stop_at, run.max_rate = a.running, a.stop_at, a.max_rate
    return a_new, b


def command(session: Any, name: str, kw: dict[str, Any]) -> dict[str, Any]:
    if name == "fork":
        session.run, session.twin = fork(
            session.run, fresh=bool(kw.get("fresh")), changes=kw.get("changes")
        )
    elif name == "hold":  # B sits out (A trains alone) until released
        pick(session, "b").held = bool(kw.get("on", True))
    elif name == "unfork":
        keep = kw.get("keep", "a")
        if keep not in ("a", "b"):
            raise ValueError(f"keep must be 'a' or 'b', got {keep!r}")
        if keep == "b":
            session.run = pick(session, "b")
        session.twin = None
    return with_b(session, session.run.status())


def with_b(session: Any, status: dict[str, Any]) -> dict[str, Any]:
    if session.twin is not None:
        status["b"] = {**session.twin.status(), "held": getattr(session.twin, "held", False)}
    return status


def also_b(session: Any, name: str, value: Any, kw: dict[str, Any]) -> Any:
    """After a command on A: do its part on B (steps, play, pause, speed) and add B's reply."""
    b = session.twin
    if b is None or not isinstance(value, dict):
        return value
    a = session.run
    if name == "step" and not getattr(b, "held", False):
        b.error = None
        b.advance(steps=kw.get("steps"), only=kw.get("only"))
    elif name == "train":
        b.running, b.stop_at = a.running, a.stop_at
        if kw.get("on"):
            b.error, b.notice = None, None
    elif name == "speed":
        b.max_rate = a.max_rate
    elif name == "reset":  # the page's Reset: A and B both start again from the seed
        b = session.twin = type(b)(b.preset, b.name)
        b.max_rate = a.max_rate
    elif name == "view":
        value["b"] = {**b.view(**kw), "status": b.status()}
    elif name == "timeline":
        value["b_timeline"] = list(b.timeline)
    status = value.get("status", value)
    if isinstance(status, dict) and "step" in status and "running" in status:
        with_b(session, status)
    return value


def advance_pair(a: Any, b: Any, *, seconds: float, steps: int | None) -> int:
    """One turn of a pair: the one behind catches up, else A trains and B follows by as many
    rounds. A B that stopped (diverged, or at its cap) leaves A to train alone. Returns A's
    rounds (what a slowed-down pair is charged). A held B sits out."""
    if not b.running or getattr(b, "held", False):
        return a.advance(seconds=seconds, steps=steps)
    gap = a.trainer.step_count - b.trainer.step_count
    if gap > 0:
        b.advance(seconds=seconds, steps=gap)
        return 0
    if gap < 0:
        return a.advance(seconds=seconds, steps=-gap if steps is None else min(-gap, steps))
    done = a.advance(seconds=seconds / 2, steps=steps)
    if done:
        b.advance(seconds=1e9, steps=done)  # all of them, recorded as a timed slice is
    return done
