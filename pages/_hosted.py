"""The server's caps (gancore.limits) as the pages see them: environment or Streamlit secrets.

A hosted demo sets ``GANCORE_HOSTED=1`` (the Dockerfile does) or the same names in
``.streamlit/secrets.toml`` (Streamlit Community Cloud); the environment wins where both
name a cap. The training slots are one object per server process, shared by every session.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

import streamlit as st
import torch

from gancore.limits import Limits, TrainingSlots, limits_from
from gancore.live import WorkerPool

# A training slot, and a worker's run, lapse after this long without a refresh from its page
# (the tab was closed or hidden); see gancore.live.worker.
LEASE_SECONDS = 45.0


SECRETS_SECONDS = 10.0  # a session reads the secrets file again after this long


def _secrets() -> dict[str, object]:
    """The GANCORE_* secrets, read at most every SECRETS_SECONDS per session: the caps are
    looked up several times in every refresh, and without a secrets file (the normal case)
    Streamlit tries to parse one on every access (6% of the server's time with 32 users)."""
    held = st.session_state.get("_gancore_secrets")
    if held is not None and time.monotonic() - held[0] < SECRETS_SECONDS:
        return held[1]
    try:  # no secrets file is the normal case, and st.secrets raises on access then
        found = {k: v for k, v in st.secrets.to_dict().items() if k.startswith("GANCORE_")}
    except Exception:  # noqa: BLE001 - a missing or unreadable secrets file means none
        found = {}
    st.session_state["_gancore_secrets"] = (time.monotonic(), found)
    return found


def limits() -> Limits:
    """The caps in force (ValueError naming the setting when one is malformed)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("GANCORE_")}
    return limits_from({**_secrets(), **env})


@st.cache_resource(show_spinner=False)
def _slots(capacity: int) -> TrainingSlots:
    return TrainingSlots(capacity, ttl=LEASE_SECONDS)


_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> WorkerPool:
    """The server's one pool of training workers (GANCORE_WORKERS, default one per core).

    A module global rather than st.cache_resource: clearing Streamlit's caches must not
    orphan worker processes (and the runs in them)."""
    global _POOL
    workers = limits().workers
    with _POOL_LOCK:
        if _POOL is None or (workers is not None and _POOL.size != workers):
            if _POOL is not None:
                _POOL.shutdown()
            _POOL = WorkerPool(workers, lease=LEASE_SECONDS)
        return _POOL


def slots() -> TrainingSlots:
    """This server's live-training slots (one set per capacity, shared by all sessions)."""
    return _slots(limits().max_trainings)


def owner(key: str) -> str:
    """A stable id for this session's run on one page (what holds a training slot)."""
    name = f"{key}_slot_owner"
    if name not in st.session_state:
        st.session_state[name] = f"{key}-{uuid.uuid4().hex}"
    return st.session_state[name]


def busy_message(cap: int) -> str:
    return (
        f"The server is busy: {cap} trainings are already running, the most it takes at once. "
        "Your run is kept as it is; press Train again in a minute, or use Step meanwhile."
    )


def configure_torch(default: int = 1) -> None:
    """Torch threads for this piece of work: ``default`` unless the server caps them.

    Small models train fastest on one thread, and a shared box must not oversubscribe.
    OpenMP's thread count is per calling thread and Streamlit runs every rerun in a fresh
    thread, so this is called at the start of every piece of work, not once."""
    threads = limits().threads(default)
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
