"""The image page's quality estimate for Stacked MNIST: modes covered of 1000, KL to uniform."""

from __future__ import annotations

from typing import Any

import streamlit as st

from gancore.eval.stacked import PACGAN_SAMPLES, expected_modes_covered
from gancore.live.image_run import QUALITY_EVERY_SECONDS, STACKED_QUALITY_SAMPLES
from gancore.viz import lab as lplots
from pages._live_chart import live_chart


def stacked_quality_ui(key: str, view: dict[str, Any]) -> None:
    """Two numbers and their history; the help says what a perfect G reads at this count."""
    last, history = view["quality"], view["quality_history"]
    prev = history[-2] if len(history) > 1 else None
    n, perfect = STACKED_QUALITY_SAMPLES, expected_modes_covered(STACKED_QUALITY_SAMPLES)
    c = st.columns([1, 1, 4])
    c[0].metric(
        "modes covered",
        f"{last['modes_covered']} / 1000",
        delta=None if prev is None else f"{last['modes_covered'] - prev['modes_covered']:+d}",
        help=f"of the 1000 digit triples, how many at least one of {n:,} samples falls in, each "
        f"colour plane read by the shipped MNIST classifier. With {n:,} samples even a perfect "
        f"G covers only ~{perfect:.0f}; PacGAN's numbers (and `python -m gancore eval`) use "
        f"{PACGAN_SAMPLES:,}. Re-estimated every {QUALITY_EVERY_SECONDS:.0f} s while training.",
    )
    c[1].metric(
        "KL to uniform",
        f"{last['kl_to_uniform']:.2f}",
        delta=None if prev is None else f"{last['kl_to_uniform'] - prev['kl_to_uniform']:+.2f}",
        delta_color="inverse",
        help=f"KL(mode histogram ‖ uniform) in nats on the same {n:,} samples: 6.91 when every "
        "sample is one mode, 0 when all are equally common; so few samples leave ~0.6 even "
        "for a perfect G (~0.03 on 26,000).",
    )
    if len(history) > 1:
        with c[2]:
            live_chart(
                lplots.curves_spec(
                    history, {"modes_covered": "modes covered"}, title="quality", height=220
                ),
                key=f"{key}_quality",
            )
