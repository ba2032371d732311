"""Live training out of the web server: worker processes own the runs, pages hold handles.

- :mod:`gancore.live.runs`: what a worker holds for one run (``LiveRun``: state, timeline,
  replay), by kind in :mod:`~gancore.live.toy_run`, :mod:`~gancore.live.image_run` and
  :mod:`~gancore.live.pix2pix_run`; :mod:`~gancore.live.kinds` maps a kind to its class.
- :mod:`gancore.live.worker`: a worker process's loop (requests, fair CPU shares, leases).
- :mod:`gancore.live.ab`: a run's B, forked from it and trained in lockstep (what-if runs).
- :mod:`gancore.live.pool`: the server's side: the pool of workers; its parts
  :mod:`~gancore.live.process` (one worker process), :mod:`~gancore.live.handle`
  (:class:`LiveHandle`, what a page holds) and :mod:`~gancore.live.errors`.
"""

from gancore.live.errors import LiveError, WorkerDied
from gancore.live.handle import LiveHandle
from gancore.live.pool import WorkerPool

__all__ = ["LiveError", "LiveHandle", "WorkerDied", "WorkerPool"]
