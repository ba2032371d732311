"""pix2pix from scratch on this CPU (issue 16): the GAN against an L1-only U-Net of the same time.

For each of ``pix2pix-edges-mnist`` and ``pix2pix-superres-mnist``, two runs of the same wall
time, one after the other in one process, each on all cores, through the command line as a
user runs them:

1. ``python -m gancore train PRESET --max-seconds S`` (U-Net + PatchGAN, GAN loss + 100 x L1);
2. the same with ``--set model.adversarial=false`` (the same U-Net, 100 x L1 only).

Both are scored the same way on the first 2,000 MNIST test images made into inputs: the
shipped MNIST classifier's Frechet distance of the outputs to the 10,000 real test digits,
the share of outputs it reads as the label of the digit they came from, L1 and PSNR to the
targets. For super-resolution the bicubic upsampling (the input itself) is scored too.
Targets: edges label accuracy >= 95% and GAN Frechet <= half the L1-only one; superres GAN
Frechet <= half the L1-only one and <= half the bicubic one. Then the latency of
translating one 28 x 28 input with the edges model (target <= 20 ms on the CPU).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import ROOT, write_section
from gancore.io.hub import load_checkpoint
from gancore.presets.pix2pix import (
    evaluate_checkpoint,
    resolve_pix2pix_preset,
    test_pairs,
    translation_quality,
)
from gancore.train.pix2pix import translate

SECONDS = float(os.environ.get("GANCORE_BENCH_SECONDS", 300))
N_EVAL = 2000
# the CLI's torch threads: GANCORE_TORCH_THREADS, else torch's default for convolutions
CLI_THREADS = (
    f"{os.environ['GANCORE_TORCH_THREADS']} torch thread(s)"
    if os.environ.get("GANCORE_TORCH_THREADS")
    else f"torch's default threads (all {os.cpu_count()} cores)"
)
KEEP = os.environ.get("GANCORE_BENCH_KEEP")  # a folder to keep the trained checkpoints in


def train(preset: str, out: Path, *extra: str) -> dict:
    cmd = [
        sys.executable, "-m", "gancore", "train", preset, "--max-seconds", str(SECONDS),
        "--save-every", "100000", "--out", str(out), *extra,
    ]  # fmt: skip
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    report["wall_s"] = time.monotonic() - t0
    return report


def latency(folder: Path) -> dict[str, float]:
    G = load_checkpoint(folder).generator
    x = np.zeros((1, 1, 28, 28), np.float32) - 1
    x[0, 0, 6:22, 13:15] = 1.0  # a drawn stroke
    out = {}
    for threads in (torch.get_num_threads(), 1):
        torch.set_num_threads(threads)
        for _ in range(20):
            translate(G, x)
        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            translate(G, x)
            times.append((time.perf_counter() - t0) * 1000)
        out[f"median_ms_{threads}_threads"] = float(np.median(times))
        out[f"p95_ms_{threads}_threads"] = float(np.percentile(times, 95))
    return out


def _row(name: str, m: dict) -> str:
    acc = m.get("label_accuracy")
    acc = f"{100 * acc:.1f}%" if acc is not None else "-"
    return f"| {name} | {m['frechet_distance']:.1f} | {acc} | {m['l1']:.4f} | {m['psnr']:.2f} |"


def main() -> None:
    root = os.environ.get("GANCORE_DATA")
    if not root:
        raise SystemExit("set GANCORE_DATA to a data root holding MNIST (see ../shared/data)")
    load_before = Path("/proc/loadavg").read_text().split()[0]
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(KEEP) if KEEP else Path(tmp)
        for preset in ("pix2pix-edges-mnist", "pix2pix-superres-mnist"):
            runs = {}
            for label, extra in (
                ("GAN + L1", ()),
                ("L1 only", ("--set", "model.adversarial=false")),
            ):
                out = base / f"{preset}{'' if not extra else '-l1only'}"
                report = train(preset, out, *extra)
                q = evaluate_checkpoint(load_checkpoint(out), n=N_EVAL, root=root)
                runs[label] = {"train": report, "quality": q}
                print(preset, label, json.dumps(q)[:300], file=sys.stderr)
            x, y, labels = test_pairs(resolve_pix2pix_preset(preset), N_EVAL, root=root)
            runs["targets"] = {"quality": translation_quality(y, y, labels, "mnist", root)}
            results[preset] = runs
        lat = latency(base / "pix2pix-edges-mnist")
    load_after = Path("/proc/loadavg").read_text().split()[0]

    lines = [
        f"Each run trains {SECONDS:.0f} s from scratch (`python -m gancore train PRESET "
        f"--max-seconds {SECONDS:.0f}`; the L1-only U-Net adds `--set model.adversarial=false`), "
        f"one after the other, on {CLI_THREADS} (the machine line's count is the benchmark "
        f"process's own); scored on the first {N_EVAL:,} MNIST test images made into inputs "
        "(`gancore.presets.pix2pix.evaluate_checkpoint`, as `python -m gancore eval` prints it). "
        "Frechet: the shipped MNIST classifier's features of the outputs against the 10,000 "
        "real test digits (lower is better). Label accuracy: outputs the classifier reads as the "
        f"label of their source digit. The targets themselves (a perfect translator) are scored "
        f"the same way: {N_EVAL:,} digits against 10,000 have a Frechet distance of their own, "
        "the floor under every model, so the best ratio any translator can reach is floor / "
        "L1-only; the excess over the floor is reported beside the ratio. 1-minute load "
        f"average before: {load_before}, after: {load_after}.\n",
    ]
    verdicts = []
    for preset, runs in results.items():
        gan, l1 = runs["GAN + L1"], runs["L1 only"]
        lines.append(f"### {preset}\n")
        lines.append("| model | Frechet | label accuracy | L1 | PSNR (dB) |")
        lines.append("|---|---|---|---|---|")
        lines.append(_row("GAN + L1 (pix2pix)", gan["quality"]))
        lines.append(_row("L1 only (same U-Net)", l1["quality"]))
        lines.append(
            _row("the targets themselves (a perfect translator)", runs["targets"]["quality"])
        )
        bicubic = gan["quality"]["input_as_output"]
        if "superres" in preset:
            lines.append(_row("bicubic upsampling (the input)", bicubic))
        lines.append("")
        for label, r in runs.items():
            if "train" not in r:
                continue
            t = r["train"]
            lines.append(
                f"- {label}: {t['step']} steps, {t.get('images_per_second', 0):.0f} images/s, "
                f"{t['wall_s']:.0f} s wall including the final save and scoring."
            )
        fg, fl = gan["quality"]["frechet_distance"], l1["quality"]["frechet_distance"]
        f0 = runs["targets"]["quality"]["frechet_distance"]
        ok = fg <= 0.5 * fl
        verdicts.append(
            f"- {preset}: GAN Frechet {fg:.1f} vs L1-only {fl:.1f} (ratio {fg / fl:.2f}; target "
            f"<= 0.5): {'met' if ok else 'NOT met'}. The targets themselves score {f0:.1f}, so "
            f"no translator can go below a ratio of {f0 / fl:.2f} here; over that floor the GAN "
            f"has {fg - f0:.1f} and the L1-only U-Net {fl - f0:.1f} (excess ratio "
            f"{(fg - f0) / max(fl - f0, 1e-9):.2f})."
        )
        if "edges" in preset:
            acc = gan["quality"]["label_accuracy"]
            verdicts.append(
                f"- {preset}: label accuracy {100 * acc:.1f}% (target >= 95%): "
                f"{'met' if acc >= 0.95 else 'NOT met'}."
            )
        else:
            fb = bicubic["frechet_distance"]
            verdicts.append(
                f"- {preset}: GAN Frechet {fg:.1f} vs bicubic {fb:.1f} (ratio {fg / fb:.2f}; target "
                f"<= 0.5): {'met' if fg <= 0.5 * fb else 'NOT met'}. PSNR GAN "
                f"{gan['quality']['psnr']:.2f} dB, L1-only {l1['quality']['psnr']:.2f} dB, bicubic "
                f"{bicubic['psnr']:.2f} dB (a GAN trades some PSNR for sharpness)."
            )
        lines.append("")
    threads = torch.get_num_threads()
    med = lat[f"median_ms_{threads}_threads"]
    verdicts.append(
        f"- Translating one drawn 28 x 28 input with the edges model: median {med:.2f} ms "
        f"(p95 {lat[f'p95_ms_{threads}_threads']:.2f} ms) on {threads} threads, "
        f"{lat['median_ms_1_threads']:.2f} ms on 1 thread (target <= 20 ms): "
        f"{'met' if med <= 20 else 'NOT met'}."
    )
    lines.append("### Targets\n")
    lines += verdicts
    write_section(
        "pix2pix_targets",
        "pix2pix targets (issue 16): GAN + L1 against L1 only, 5 minutes each on this CPU",
        "\n".join(lines),
        "GANCORE_DATA=DIR flock /tmp/gancore-bench.lock python -m benchmarks pix2pix_targets",
    )


if __name__ == "__main__":
    main()
