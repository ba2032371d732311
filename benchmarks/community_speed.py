"""Community GANs (issue 17): sampling 16 images, and loading a pickle the first and second time.

Each family at its published size with random weights (HugGAN DCGAN 64 px: 3 channels, latent
100, hidden 64; lightweight-gan 256 px: latent 256, fmap_max 512, attention at 32 px, saved
as {"GAN": ...} with G, D stand-in and GE; FastGAN 1024 px: ngf 64, nz 256, spectral norm),
written as the original file layout into a folder and loaded with ``load_checkpoint`` (the
same path a Hub repo takes after download). First load: torch.load(weights_only=True) and
the safetensors cache written; second load: the cache only (torch.load is made to fail).
Sampling: ``LoadedGAN.sample(16, seed=k)``, median of 3 after one warm-up, on 2 threads.
Targets: DCGAN-64 <= 0.2 s, lightweight-gan 256 px <= 2 s, FastGAN 1024 px <= 15 s.
Inversion step: one forward and backward pass of one start against a sample of the model
(``gancore.explore.inversion.invert``, median of 3 steps after the first); what sets the
Generate page's search budget by size (gancore/community/inversion.py).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import write_section

TARGETS = {"HugGAN DCGAN": 0.2, "lightweight-gan": 2.0, "FastGAN": 15.0}


def _files(folder: Path) -> dict[str, Path]:
    from gancore.community.dcgan import HugGANDCGAN
    from gancore.community.fastgan import FastGAN
    from gancore.community.lightweight import LightweightGAN

    out = {}
    d = folder / "dcgan"
    d.mkdir()
    torch.save(HugGANDCGAN(3, 100, 64).state_dict(), d / "pytorch_model.bin")
    out["HugGAN DCGAN"] = d
    lw = LightweightGAN(image_size=256, latent_dim=256, fmap_max=512, attn_res_layers=(32,))
    d = folder / "lightweight"
    d.mkdir()
    g = lw.state_dict()
    state = {**{f"G.{k}": v for k, v in g.items()}, **{f"GE.{k}": v.clone() for k, v in g.items()}}
    state["D.0.weight"] = torch.zeros(64, 3, 3, 3)
    torch.save({"GAN": state, "version": "bench"}, d / "model.pt")
    out["lightweight-gan"] = d
    fast = FastGAN(ngf=64, nz=256, nc=3, im_size=1024).state_dict()
    d = folder / "fastgan"
    d.mkdir()
    sn = {}  # the file holds spectral-norm triples, as the original saves them
    for k, v in fast.items():
        if k.endswith(".weight") and v.dim() == 4:
            base = k[: -len(".weight")]
            rows = v.shape[1] if k.startswith("init.") else v.shape[0]
            sn[f"{base}.weight_orig"] = v
            sn[f"{base}.weight_u"] = torch.nn.functional.normalize(torch.randn(rows), dim=0)
            sn[f"{base}.weight_v"] = torch.nn.functional.normalize(
                torch.randn(v.numel() // rows), dim=0
            )
        else:
            sn[k] = v
    torch.save(sn, d / "pytorch_model.bin")
    out["FastGAN"] = d
    return out


def run() -> list[dict]:
    from gancore.io.hub import load_checkpoint

    torch.set_num_threads(2)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["GANCORE_CACHE"] = str(Path(tmp) / "cache")
        for family, folder in _files(Path(tmp)).items():
            t = time.perf_counter()
            gan = load_checkpoint(folder)
            first = time.perf_counter() - t
            real_load = torch.load
            torch.load = None  # the second load must not unpickle anything
            try:
                t = time.perf_counter()
                gan = load_checkpoint(folder)
                second = time.perf_counter() - t
            finally:
                torch.load = real_load
            gan.sample(2, seed=0)
            times = []
            for k in range(3):
                t = time.perf_counter()
                gan.sample(16, seed=k)
                times.append(time.perf_counter() - t)
            size = gan.config["model"]["image_size"]
            rows.append(
                {
                    "family": family,
                    "size": size,
                    "parameters": gan.parameters,
                    "first": first,
                    "second": second,
                    "sample16": statistics.median(times),
                    "target": TARGETS[family],
                    "step": _inversion_step(gan),
                }
            )
            if gan.small_output() is not gan:
                rows[-1]["step128"] = _inversion_step(gan.small_output())
    return rows


def _inversion_step(gan) -> float:
    """Seconds per step of inversion with one start (median of 3 steps after one)."""
    from gancore.explore.inversion import invert

    target = gan.sample(1, seed=99)[0]
    history = []
    last = [time.perf_counter()]

    def tick(step: int, err: float) -> None:
        now = time.perf_counter()
        if step:
            history.append(now - last[0])
        last[0] = now

    invert(gan.generator, None, target, steps=4, restarts=1, progress=tick)
    return statistics.median(history)


def main() -> None:
    before = os.getloadavg()[0]
    rows = run()
    after = os.getloadavg()[0]
    lines = [
        "| family | px | parameters | 1st load (pickle) | 2nd load (cache) | 16 images | target "
        "| inversion step (1 start) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ok = "met" if r["sample16"] <= r["target"] else "missed"
        lines.append(
            f"| {r['family']} | {r['size']} | {r['parameters']:,} | {r['first']:.2f} s | "
            f"{r['second']:.2f} s | {r['sample16']:.2f} s | <= {r['target']:g} s ({ok}) | "
            f"{r['step']:.2f} s"
            + (f" (its 128 px output: {r['step128']:.2f} s)" if "step128" in r else "")
            + " |"
        )
    load = f"1-minute load average (2 cores) before: {before:.2f}, after: {after:.2f}."
    body = __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines) + "\n\n" + load
    print("\n".join(lines))
    write_section(
        "community_speed",
        "Community GANs: load and sample",
        body,
        "python -m benchmarks community_speed",
    )


if __name__ == "__main__":
    main()
