"""Image to image's "draw your own input": a pad whose strokes both models translate as you
draw (pages/_draw_canvas.py). The pad and its answer are a fragment of their own, with nothing
else in it: each drawing reruns only that (one worker call, one component), not the training
part of the page nor the pad's controls."""

from __future__ import annotations

import numpy as np
import streamlit as st

from gancore.io.hub import load_checkpoint
from gancore.io.sources import list_shipped_checkpoints
from gancore.train.pix2pix import translate
from pages._draw_canvas import bits_of, draw_canvas, latest, output, painted_of
from pages._lab import Lab, call
from pages._outside import outside, pressed

CANVAS = 28  # the drawing pad: a 28 x 28 lattice of paintable pixels


def drawing_ui(key: str) -> None:
    """Draw your own input on a 28 x 28 pad; both models of the run in ``st.session_state[key]``
    (or a shipped translator of its task) translate it as you draw."""
    lab: Lab | None = st.session_state.get(key)
    if lab is None:
        return
    st.subheader("Draw your own input")
    size = lab.preset["model"]["image_size"]
    if size != CANVAS:
        st.info(f"The canvas is {CANVAS} x {CANVAS}; this model works at {size} px.")
        return
    task = lab.preset["model"]["task"]
    ink = True
    if task == "edges":
        ink = st.radio(
            "your strokes are",
            ["ink (the sketch is their edges)", "the sketch itself (draw outlines)"],
            horizontal=True,
            key=f"{key}_ink",
            help="The model was trained on Sobel edges of digits: double outlines. Painted "
            "regions read best as ink; thin outlines drawn as the sketch often come out faint.",
            **outside(),
        ).startswith("ink")
    hint = {
        "edges": "Paint a digit (or its outline, as in the input row above).",
        "superres4": "Draw a digit: it is averaged to 7 x 7, and the models bring back 28 x 28.",
        "inpaint": "Draw something: its centre square is hidden, and the models fill it in.",
        "paired": "Draw an input like the ones in A/.",
    }[task]
    painted: set[tuple[int, int]] = st.session_state.setdefault(f"{key}_painted", set())
    version_key = f"{key}_canvas_n"  # bumped by Clear and an example: the pad shows ours
    c1, c2, c3, c4 = st.columns([1.4, 0.5, 2, 1.4])
    if pressed(c1, "Start from the first example", key=f"{key}_from_example"):
        first = lab.extra.get("first") or {}
        x = first.get("first_input" if task == "edges" and not ink else "first_target")
        if x is not None:
            painted.clear()
            painted.update((int(r), int(c)) for r, c in zip(*np.nonzero(x > 0), strict=True))
            st.session_state[version_key] = st.session_state.get(version_key, 0) + 1
    if pressed(c2, "Clear", key=f"{key}_clear_drawing"):
        painted.clear()  # and a new version, so that a drawing sent before cannot paint again
        st.session_state[version_key] = st.session_state.get(version_key, 0) + 1
    c3.caption(f"{hint} Draw with the mouse (or a finger); Shift or the eraser rubs out.")
    shipped = _shipped_for(task, size)
    choice = c4.radio(
        "translated by",
        ["the models training above", *shipped],
        key=f"{key}_draw_model",
        help="Shipped checkpoints (checkpoints/) of this task, trained for 5 minutes on a CPU.",
        **outside(),
    )
    _pad(key, ink, choice if choice in shipped else None)


@st.fragment
def _pad(key: str, ink: bool, shipped: str | None) -> None:
    """The pad and its answer: the drawing it sent last, translated by the run's two models
    (or by the ``shipped`` checkpoint)."""
    lab: Lab = st.session_state[key]
    painted: set[tuple[int, int]] = st.session_state[f"{key}_painted"]
    version = st.session_state.get(f"{key}_canvas_n", 0)
    sent = latest(f"{key}_pad")
    if sent is not None and sent.get("version") == version:
        try:
            painted.clear()
            painted.update(painted_of(sent.get("bits"), CANVAS))
        except ValueError:
            pass  # a malformed drawing: keep the last good one
    image = -np.ones((CANVAS, CANVAS), np.float32)
    for r, c in painted:
        image[r, c] = 1.0
    reply = call(lambda: lab.handle.view(drawn=image, ink=ink, pictures=False))
    if reply is None:
        return
    if shipped is not None:
        out = translate(_shipped(shipped).generator, reply["drawn_input"][None])[0]
        outputs = [output("model input", reply["drawn_input"]), output(shipped, out)]
    else:
        outputs = [
            output("model input", reply["drawn_input"]),
            output("pix2pix", reply["drawn_gan"]),
            output("L1 only", reply["drawn_l1"]),
        ]
    draw_canvas(
        key=f"{key}_pad",
        bits=bits_of(painted, CANVAS),
        version=version,
        outputs=outputs,
        caption=f"{len(painted)} pixels painted",
        seq=None if sent is None else sent.get("seq"),
    )
    lab.extra["drawn_gan"] = reply["drawn_gan"]


def _shipped_for(task: str, size: int) -> list[str]:
    out = []
    for name in list_shipped_checkpoints(kinds=("pix2pix",)):
        model = _shipped(name).config["model"]
        if model["task"] == task and model["image_size"] == size:
            out.append(name)
    return out


@st.cache_resource(show_spinner=False)
def _shipped(name: str):
    return load_checkpoint(name)
