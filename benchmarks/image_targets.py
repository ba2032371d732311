"""Image GANs from scratch on this CPU: gancore's presets against the TensorFlow DCGAN tutorial.

Three runs of the same wall time, one after another in one process, each on all cores:

1. ``python -m gancore train cgan-mnist --max-seconds S`` (a subprocess, as a user runs it);
2. ``python -m gancore train dcgan-mnist --max-seconds S``;
3. the TensorFlow DCGAN tutorial's MNIST model (tensorflow.org/tutorials/generative/dcgan),
   rewritten layer for layer in PyTorch below: G = Dense(7*7*256) -> BN -> LeakyReLU ->
   ConvT(128, 5, s1) -> BN -> LeakyReLU -> ConvT(64, 5, s2) -> BN -> LeakyReLU ->
   ConvT(1, 5, s2) -> tanh from 100-d noise; D = Conv(64, 5, s2) -> LeakyReLU -> Dropout 0.3
   -> Conv(128, 5, s2) -> LeakyReLU -> Dropout 0.3 -> Dense(1); BCE on logits, Adam 1e-4 for
   both, batch 256, the 60,000 MNIST training images in [-1, 1], one D and one G step per batch.

All three are scored the same way: 2,500 samples through ``gancore.eval.image`` (the
shipped MNIST classifier's features against the 10,000 test images). Targets (issue 4):
cgan-mnist label accuracy >= 90%; dcgan-mnist every digit at least 3% of samples and a
Frechet distance at most a sixth of the tutorial model's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from benchmarks.common import ROOT, write_section
from gancore.data.images import load_dataset
from gancore.eval import image as metrics_image

SECONDS = float(os.environ.get("GANCORE_BENCH_SECONDS", 300))
N_EVAL = 2500


class TutorialGenerator(nn.Module):
    def __init__(self, noise: int = 100) -> None:
        super().__init__()
        self.fc = nn.Sequential(
            nn.Linear(noise, 7 * 7 * 256, bias=False),
            nn.BatchNorm1d(7 * 7 * 256),
            nn.LeakyReLU(0.3),
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False),  # 128 x 7 x 7
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.3),
            nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False),  # 64 x 14 x 14
            nn.BatchNorm2d(64),
            nn.LeakyReLU(0.3),
            nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False),  # 1 x 28 x 28
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(z).view(-1, 256, 7, 7))


class TutorialDiscriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 5, 2, 2),  # 64 x 14 x 14
            nn.LeakyReLU(0.3),  # Keras' LeakyReLU default slope
            nn.Dropout(0.3),
            nn.Conv2d(64, 128, 5, 2, 2),  # 128 x 7 x 7
            nn.LeakyReLU(0.3),
            nn.Dropout(0.3),
            nn.Flatten(),
            nn.Linear(128 * 7 * 7, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)


def tutorial_run(seconds: float, root: str) -> dict:
    """Train the tutorial model for ``seconds``; its samples' metrics and step count."""
    torch.manual_seed(0)
    data = load_dataset("mnist", root=root, train=True)
    x_all = data.images.float().div(127.5).sub(1.0)  # (60000, 1, 28, 28) in [-1, 1]
    G, D = TutorialGenerator(), TutorialDiscriminator()
    opt_g = torch.optim.Adam(G.parameters(), 1e-4)
    opt_d = torch.optim.Adam(D.parameters(), 1e-4)
    bce = nn.BCEWithLogitsLoss()
    batch, steps = 256, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        for idx in torch.randperm(len(x_all)).split(batch):
            if time.monotonic() - t0 >= seconds:
                break
            real = x_all[idx]
            z = torch.randn(len(real), 100)
            fake = G(z)
            # the tutorial's train_step: both losses from one forward, both tapes applied
            real_out, fake_out = D(real), D(fake)
            g_loss = bce(fake_out, torch.ones_like(fake_out))
            d_loss = bce(real_out, torch.ones_like(real_out)) + bce(
                fake_out, torch.zeros_like(fake_out)
            )
            opt_g.zero_grad()
            opt_d.zero_grad()
            g_grads = torch.autograd.grad(g_loss, list(G.parameters()), retain_graph=True)
            d_grads = torch.autograd.grad(d_loss, list(D.parameters()))
            for p, g in zip(G.parameters(), g_grads, strict=True):
                p.grad = g
            for p, g in zip(D.parameters(), d_grads, strict=True):
                p.grad = g
            opt_g.step()
            opt_d.step()
            steps += 1
    G.eval()
    with torch.inference_mode():
        fakes = G(torch.randn(N_EVAL, 100, generator=torch.Generator().manual_seed(1))).numpy()
    m = metrics_image.evaluate_images(fakes, dataset="mnist", data_root=root)
    return {"steps": steps, **m}


def gancore_run(preset: str, seconds: float, root: str, out: Path) -> dict:
    cmd = [sys.executable, "-m", "gancore", "train", preset, "--max-seconds", str(seconds)]
    cmd += ["--seed", "0", "--out", str(out), "--data-root", root]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    cfg = json.loads((out / "config.json").read_text())
    from gancore.io.hub import load_checkpoint

    gan = load_checkpoint(out)
    labels = gan.resolve_labels(N_EVAL) if gan.num_classes else None
    m = metrics_image.evaluate_images(
        gan.sample(N_EVAL, seed=1, labels=labels), dataset="mnist", labels=labels, data_root=root
    )
    return {"steps": result["step"], "command": cfg["command"], **m}


def main() -> None:
    root = os.environ.get("GANCORE_DATA")
    if not root:
        raise SystemExit("set GANCORE_DATA to a data root holding MNIST (see ../shared/data)")
    torch.set_num_threads(os.cpu_count() or 1)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            "cgan-mnist": gancore_run("cgan-mnist", SECONDS, root, Path(tmp) / "cgan"),
            "dcgan-mnist": gancore_run("dcgan-mnist", SECONDS, root, Path(tmp) / "dcgan"),
            "TF tutorial DCGAN (PyTorch port)": tutorial_run(SECONDS, root),
        }
    for name, r in runs.items():
        print(name, {k: r[k] for k in ("steps", "frechet_distance", "min_class_share")}, flush=True)
    ref_fd = runs["TF tutorial DCGAN (PyTorch port)"]["frechet_distance"]
    lines = [
        f"{SECONDS:.0f} s of training each, {N_EVAL:,} samples scored.",
        "",
        "| model | steps | Frechet distance (classifier features) | vs tutorial | label accuracy | smallest digit share | digits at >= 3% | precision | recall |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in runs.items():
        acc = "—" if r["label_accuracy"] is None else f"{r['label_accuracy']:.1%}"
        lines.append(
            f"| {name} | {r['steps']:,} | {r['frechet_distance']:.1f} | "
            f"{r['frechet_distance'] / ref_fd:.3f}× | {acc} | {r['min_class_share']:.1%} | "
            f"{r['classes_covered']}/{r['num_classes']} | {r['precision']:.3f} | {r['recall']:.3f} |"
        )
    c, d = runs["cgan-mnist"], runs["dcgan-mnist"]
    lines += [
        "",
        f"- cgan-mnist label accuracy >= 90%: **{'met' if c['label_accuracy'] >= 0.9 else 'not met'}** "
        f"({c['label_accuracy']:.1%}).",
        f"- dcgan-mnist every digit >= 3%: **{'met' if d['min_class_share'] >= 0.03 else 'not met'}** "
        f"(smallest {d['min_class_share']:.1%}); Frechet distance <= 1/6 of the tutorial's: "
        f"**{'met' if d['frechet_distance'] <= ref_fd / 6 else 'not met'}** "
        f"({d['frechet_distance']:.1f} vs {ref_fd:.1f}, {ref_fd / d['frechet_distance']:.1f}× lower).",
        "",
        "Commands: " + "; ".join(f"`{r['command']}`" for r in (c, d) if "command" in r),
    ]
    write_section(
        "image_targets",
        "Image GANs in 5 minutes on this CPU, against the TensorFlow DCGAN tutorial",
        __doc__.split("\n\n", 1)[1] + "\n" + "\n".join(lines),
        "GANCORE_DATA=DIR python -m benchmarks image_targets",
    )


if __name__ == "__main__":
    main()
