"""What a live run's calls raise on the server's side, and a worker's exceptions raised again there."""

from __future__ import annotations

import importlib


class LiveError(RuntimeError):
    """A live run could not do what was asked (the message says why, for the page)."""


class WorkerDied(LiveError):
    """The worker process holding a run went away mid-request."""


def rebuild_error(module: str, qualname: str, message: str) -> Exception:
    """The worker's exception, raised again here when it is one of ours or a builtin
    (ValueError for bad settings, DatasetUnavailableError, ...); LiveError otherwise."""
    if module == "builtins" or module.startswith("gancore."):
        try:
            kind = getattr(importlib.import_module(module), qualname)
            if isinstance(kind, type) and issubclass(kind, Exception):
                return kind(message)
        except Exception:  # noqa: BLE001 - an exception that cannot be rebuilt from a message
            pass
    return LiveError(message)
