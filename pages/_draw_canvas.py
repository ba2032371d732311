"""A drawing pad that sends its strokes while they are drawn, and shows the app's answer.

The Image to image page used ``st.plotly_chart``'s box and lasso selection as its canvas: a
selection reached the app only when the mouse was released, each one reran the whole page
(both live models' example pictures, D's patch map, the curves) and remounted the canvas
figure, ~2 s a stroke. This component (``_assets/draw_canvas/index.html``, plain JavaScript)
paints a 28 x 28 lattice with a brush and sends the drawing as it changes, at most one in
flight: the next goes when the app's answer to the last one has been painted. Called from a
fragment, an answer costs one fragment run (the translations) and a few kB of arguments.

The app's side: read the newest drawing with :func:`latest` before calling :func:`draw_canvas`
(so the translations answer it in the same run), and pass back its ``seq``.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st
import streamlit.components.v1 as components

_DIR = Path(__file__).parent / "_assets" / "draw_canvas"


@st.cache_resource(show_spinner=False)
def _declare():
    return components.declare_component("gancore_draw_canvas", path=str(_DIR))


def bits_of(painted: set[tuple[int, int]], size: int) -> str:
    """The drawing as the component speaks it: size * size characters, '1' for ink, row-major."""
    flat = np.zeros(size * size, np.uint8)
    for r, c in painted:
        flat[r * size + c] = 1
    return flat.tobytes().translate(bytes.maketrans(b"\x00\x01", b"01")).decode("ascii")


def painted_of(bits: str, size: int) -> set[tuple[int, int]]:
    """The painted (row, column) cells of a drawing the component sent (ValueError if malformed)."""
    if not isinstance(bits, str) or len(bits) != size * size or set(bits) - {"0", "1"}:
        raise ValueError(f"a drawing must be {size * size} characters of 0 and 1")
    flat = np.frombuffer(bits.encode("ascii"), np.uint8) == ord("1")
    return {(int(i) // size, int(i) % size) for i in np.flatnonzero(flat)}


def output(label: str, image: np.ndarray) -> dict[str, Any]:
    """One picture for the component: (C, H, W) in [-1, 1] as base64 bytes, planes in turn."""
    arr = np.asarray(image, dtype=np.float32)
    pixels = np.clip((arr + 1.0) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    return {
        "label": label,
        "size": int(arr.shape[-1]),
        "channels": int(arr.shape[0]),
        "data": base64.b64encode(pixels.tobytes()).decode("ascii"),
    }


def latest(key: str) -> dict[str, Any] | None:
    """The newest drawing the component with ``key`` sent: {"bits", "seq", "version"}, or None."""
    value = st.session_state.get(key)
    return value if isinstance(value, dict) else None


def draw_canvas(
    *,
    key: str,
    bits: str,
    version: int,
    outputs: list[dict[str, Any]],
    caption: str,
    seq: int | None,
    size: int = 28,
) -> Any:
    """The pad (showing ``bits`` whenever ``version`` is new: Clear, an example) beside
    ``outputs``; ``seq`` is the drawing they answer, which lets the pad send its next one."""
    return _declare()(
        key=key,
        bits=bits,
        version=version,
        outputs=outputs,
        caption=caption,
        seq=seq,
        size=size,
        default=None,
    )
