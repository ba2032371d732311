"""Pretrained generators: sampling latency, and the Generate page's cold and warm renders.

Sampling: ``LoadedGAN.sample(64, seed=k)`` on each shipped image checkpoint after load, side
by side in the same process with the floor it cannot beat, a bare ``G(z, y)`` forward under
``torch.inference_mode`` on noise drawn beforehand. Blocks alternate A/B so drift hits both.
Cold render: the first render of pages/generate.py through AppTest in a process that has
imported everything but holds no cached model (what a visitor opening the page on a running
server waits for: checkpoint load, sampling, the grid PNG), and the same from a fresh
interpreter (adding Python's, Streamlit's and torch's imports). Warm: one rerun after a seed
change in an already-open page. Targets (issue 5): sampling 64 images at most 50 ms;
the Generate page's cold render at most 2 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import textwrap
import time

import torch
from streamlit.testing.v1 import AppTest

from benchmarks.common import ROOT, summary, write_section
from gancore.io.hub import load_checkpoint
from gancore.io.sources import list_shipped_checkpoints

N = 64
BLOCKS, PER_BLOCK = 5, 10


def _sampling(name: str, threads: int) -> dict[str, float]:
    torch.set_num_threads(threads)
    gan = load_checkpoint(name)
    G = gan.generator
    y = torch.as_tensor(gan.resolve_labels(N)) if gan.num_classes else None
    z = G.sample_latent(N, generator=torch.Generator().manual_seed(0))
    ours, bare = [], []
    gan.sample(N, seed=0)  # warm-up: first-call allocations
    for block in range(BLOCKS):
        for k in range(PER_BLOCK):
            t0 = time.perf_counter()
            gan.sample(N, seed=block * PER_BLOCK + k)
            ours.append(time.perf_counter() - t0)
        for _ in range(PER_BLOCK):
            t0 = time.perf_counter()
            with torch.inference_mode():
                G(z, y)
            bare.append(time.perf_counter() - t0)
    return {"ours": statistics.median(ours), "bare": statistics.median(bare), "max": max(ours)}


def _cold_render() -> float:
    code = textwrap.dedent(
        f"""
        import time
        t0 = time.perf_counter()
        from streamlit.testing.v1 import AppTest
        at = AppTest.from_file({str(ROOT / "pages/generate.py")!r}, default_timeout=120).run()
        assert not at.exception and at.get("image"), "no grid rendered"
        print(time.perf_counter() - t0)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _first_render_in_a_running_server(repeats: int = 3) -> list[float]:
    """A server already up (imports done), caches empty: a visitor opens Generate."""
    import streamlit as st

    AppTest.from_file(str(ROOT / "pages/generate.py"), default_timeout=120).run()  # imports
    times = []
    for _ in range(repeats):
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "pages/generate.py"), default_timeout=120)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception and at.get("image")
    return times


def _warm_reruns(repeats: int = 10) -> list[float]:
    at = AppTest.from_file(str(ROOT / "pages/generate.py"), default_timeout=120).run()
    times = []
    for seed in range(1, repeats + 1):
        at.number_input(key="gen_seed").set_value(seed)
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
        assert not at.exception
    return times


def main() -> None:
    images = [n for n in list_shipped_checkpoints() if n != "ring8"]
    lines = [
        f"Sampling {N} images after load (ms; median of {BLOCKS * PER_BLOCK} calls). "
        "Target: at most 50 ms.",
        "",
        "| checkpoint | torch threads | `LoadedGAN.sample` | bare `G(z)` in inference_mode | ratio | slowest call |",
        "|---|---|---|---|---|---|",
    ]
    for name in images:
        for threads in (1, 2):
            r = _sampling(name, threads)
            lines.append(
                f"| {name} | {threads} | {r['ours'] * 1e3:.1f} | {r['bare'] * 1e3:.1f} | "
                f"{r['ours'] / r['bare']:.2f} | {r['max'] * 1e3:.1f} |"
            )
    cold = [_cold_render() for _ in range(3)]
    first = summary(_first_render_in_a_running_server())
    warm = summary(_warm_reruns())
    c = summary(cold)
    lines += [
        "",
        f"Generate page, cold render in a running server (imports done, model caches empty: "
        f"load the checkpoint, sample, draw; 3 runs): median {first['median']:.2f} s, max "
        f"{first['max']:.2f} s. Target: at most 2 s.",
        "",
        f"Generate page from a fresh interpreter (Python, Streamlit and torch imports + the "
        f"above, 3 runs): median {c['median']:.2f} s, max {c['max']:.2f} s.",
        "",
        f"Generate page, rerun after a seed change (10 changes): median {warm['median'] * 1e3:.0f} ms, "
        f"max {warm['max'] * 1e3:.0f} ms.",
    ]
    write_section(
        "generate_latency",
        "Pretrained generators: sampling and the Generate page",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "python -m benchmarks generate_latency",
    )


if __name__ == "__main__":
    main()
