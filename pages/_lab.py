"""What the live pages share: per-user runs held in worker processes, controls, the live loop.

Per-user state lives in ``st.session_state`` (one ``Lab`` per page): a handle on a run that a
training worker owns (gancore.live), so one person's run never shows in another's and no
torch work runs in the web server. The live part of a page is a fragment that asks the worker
for the newest view and draws it; the page's pacing chart sends each drawn refresh back
(pages/_live_chart.py), which asks for the next, so refreshes never outrun the server or the
browser. AppTest fires no timers and draws no charts: every live control also has a button
that drives the very same handle.
"""

from pages._lab_core import Lab, call, new_lab, open_lab, presets_for, replace_lab, status_line
from pages._lab_export import export_ui, push_ui
from pages._lab_live import (
    CURVES_SECONDS,
    PACE_PER_RUN_PER_WORKER,
    PACE_SECONDS,
    SPEEDS,
    live_loop,
    live_picture,
    next_tick,
    pace,
    speed_ui,
    start_training,
    stopped_by_itself,
    transport_ui,
)
from pages._lab_settings import LOSS_LABELS, hyperparameters_ui
from pages._lab_setup import draw_points_ui, points_ui, setup_ui, share_ui

__all__ = [
    "CURVES_SECONDS",
    "LOSS_LABELS",
    "PACE_PER_RUN_PER_WORKER",
    "PACE_SECONDS",
    "SPEEDS",
    "Lab",
    "call",
    "draw_points_ui",
    "export_ui",
    "hyperparameters_ui",
    "live_loop",
    "live_picture",
    "new_lab",
    "next_tick",
    "open_lab",
    "pace",
    "points_ui",
    "presets_for",
    "push_ui",
    "replace_lab",
    "setup_ui",
    "share_ui",
    "speed_ui",
    "start_training",
    "status_line",
    "stopped_by_itself",
    "transport_ui",
]
