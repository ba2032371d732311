"""Image trainer speed: gancore's Trainer against the pytorch/examples DCGAN loop, same architecture.

The reference is pytorch/examples ``dcgan/main.py`` rewritten here in its own shape: the
``Generator`` / ``Discriminator`` ``nn.Sequential`` stacks (nz 100, ngf = ndf = 64, 64 px RGB,
sigmoid at D's end, ``BCELoss``), Adam 2e-4 with beta1 0.5, and its training step (D on a
real batch and on ``fake.detach()``, then G with the real label), as run with
``--dataset fake`` (random images, so data loading costs neither side anything). gancore
runs the same shapes through ``Trainer.step`` (non-saturating loss on logits, the same
optimizers) on the same random images. The layer stacks are the same; gancore keeps a bias
where no BatchNorm follows (68 more parameters in 6.3 million).
Blocks alternate A/B in one process with the same torch threads, so drift and noise hit
both sides. Reported: real images per second (batch x rounds / time).
"""

from __future__ import annotations

import os
import statistics
import time

import torch
from torch import nn

from benchmarks.common import write_section
from gancore.models.dcgan import DCGANConfig, build_models
from gancore.seeding import set_seed
from gancore.train.trainer import TrainConfig, Trainer

NZ, NGF, NDF, NC = 100, 64, 64, 3
BATCH = int(os.environ.get("GANCORE_BENCH_BATCH", 64))
BLOCKS, PER_BLOCK = 3, int(os.environ.get("GANCORE_BENCH_STEPS", 4))


def weights_init(m: nn.Module) -> None:
    name = m.__class__.__name__
    if "Conv" in name:
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(NZ, NGF * 8, 4, 1, 0, bias=False),  # (ngf*8) x 4 x 4
            nn.BatchNorm2d(NGF * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 8, NGF * 4, 4, 2, 1, bias=False),  # (ngf*4) x 8 x 8
            nn.BatchNorm2d(NGF * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 4, NGF * 2, 4, 2, 1, bias=False),  # (ngf*2) x 16 x 16
            nn.BatchNorm2d(NGF * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF * 2, NGF, 4, 2, 1, bias=False),  # ngf x 32 x 32
            nn.BatchNorm2d(NGF),
            nn.ReLU(True),
            nn.ConvTranspose2d(NGF, NC, 4, 2, 1, bias=False),  # nc x 64 x 64
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class Discriminator(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(NC, NDF, 4, 2, 1, bias=False),  # ndf x 32 x 32
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF, NDF * 2, 4, 2, 1, bias=False),  # (ndf*2) x 16 x 16
            nn.BatchNorm2d(NDF * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 2, NDF * 4, 4, 2, 1, bias=False),  # (ndf*4) x 8 x 8
            nn.BatchNorm2d(NDF * 4),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 4, NDF * 8, 4, 2, 1, bias=False),  # (ndf*8) x 4 x 4
            nn.BatchNorm2d(NDF * 8),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(NDF * 8, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).view(-1, 1).squeeze(1)


def reference_loop(data: torch.Tensor):
    torch.manual_seed(0)
    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    criterion = nn.BCELoss()
    opt_d = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
    state = {"i": 0}

    def run(steps: int) -> None:
        for _ in range(steps):
            real = data[(state["i"] % 4) * BATCH : (state["i"] % 4 + 1) * BATCH]
            state["i"] += 1
            # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            label = torch.full((BATCH,), 1.0)
            err_real = criterion(netD(real), label)
            err_real.backward()
            fake = netG(torch.randn(BATCH, NZ, 1, 1))
            label.fill_(0.0)
            err_fake = criterion(netD(fake.detach()), label)
            err_fake.backward()
            opt_d.step()
            # (2) Update G network: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(1.0)
            err_g = criterion(netD(fake), label)
            err_g.backward()
            opt_g.step()
        float(err_g)

    counts = (sum(p.numel() for p in netG.parameters()), sum(p.numel() for p in netD.parameters()))
    return run, counts


class RandomImages:
    def __init__(self, data: torch.Tensor) -> None:
        self.data, self.i = data, 0

    def next_batch(self, n: int):
        start = (self.i % 4) * n
        self.i += 1
        return self.data[start : start + n], None


def gancore_loop(data: torch.Tensor):
    set_seed(0)
    cfg = DCGANConfig(image_size=64, channels=NC, latent_dim=NZ, g_features=NGF, d_features=NDF)
    G, D = build_models(cfg)
    train = TrainConfig(
        loss="non_saturating", batch_size=BATCH, lr_g=2e-4, lr_d=2e-4,
        betas_g=(0.5, 0.999), betas_d=(0.5, 0.999),
    )  # fmt: skip
    trainer = Trainer(G, D, RandomImages(data), train)

    def run(steps: int) -> None:
        trainer.run(steps=steps)

    counts = (sum(p.numel() for p in G.parameters()), sum(p.numel() for p in D.parameters()))
    return run, counts


def main() -> None:
    threads = os.cpu_count() or 1
    torch.set_num_threads(threads)
    data = torch.rand(4 * BATCH, NC, 64, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    ref, ref_counts = reference_loop(data)
    ours, our_counts = gancore_loop(data)
    # the same layer stack; gancore keeps a bias on the layers no BatchNorm follows (G's last
    # transposed conv, D's first and last convs): 68 parameters in 6.3 million
    assert abs(sum(ref_counts) - sum(our_counts)) <= 100, (ref_counts, our_counts)
    ref(1)
    ours(1)  # warm-up: first-call allocations
    times: dict[str, list[float]] = {"reference": [], "gancore": []}
    for _ in range(BLOCKS):
        for name, fn in (("reference", ref), ("gancore", ours)):
            t0 = time.perf_counter()
            fn(PER_BLOCK)
            times[name].append(BATCH * PER_BLOCK / (time.perf_counter() - t0))
    r, g = statistics.median(times["reference"]), statistics.median(times["gancore"])
    body = (
        __doc__.split("\n\n", 1)[1]
        + f"\nBatch {BATCH}, {BLOCKS} alternating blocks of {PER_BLOCK} rounds each, "
        f"{threads} torch threads, CPU float32; G {our_counts[0]:,} / {ref_counts[0]:,} and "
        f"D {our_counts[1]:,} / {ref_counts[1]:,} parameters (gancore / reference).\n\n"
        "| loop | real images / s (median block) | blocks |\n|---|---|---|\n"
        f"| pytorch/examples dcgan/main.py (reference) | {r:.1f} | "
        + ", ".join(f"{v:.1f}" for v in times["reference"])
        + f" |\n| gancore Trainer | {g:.1f} | "
        + ", ".join(f"{v:.1f}" for v in times["gancore"])
        + f" |\n\ngancore / reference: **{g / r:.2f}×**. The Trainer does more per round than "
        "the reference (a second fake batch for G's step instead of reusing D's, frozen D "
        "weights during G's step, gradient and parameter norms, a last-good-state snapshot "
        "for divergence rollback, one host sync).\n\n"
        "On the GPU machine (H200) with mixed precision, channels_last and torch.compile: not "
        "measured in this session (no accelerator was lent to it).\n"
    )
    write_section(
        "image_speed",
        "Image trainer speed against pytorch/examples DCGAN (64 px, CPU)",
        body,
        "python -m benchmarks image_speed",
    )


if __name__ == "__main__":
    main()
