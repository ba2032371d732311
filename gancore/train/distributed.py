"""Data-parallel training across the processes that ``torchrun`` starts.

``torchrun --nproc_per_node=N -m gancore train PRESET ...`` starts N copies of the CLI with
RANK / WORLD_SIZE / LOCAL_RANK set. Each rank holds full replicas of G and D (the same
seeded init, broadcast from rank 0 to be sure), draws its own slice of every global batch
and its own latent noise, and the gradients are averaged across ranks before every
optimizer step, so the replicas stay identical: the semantics of DistributedDataParallel.

Why not wrap G and D in DDP itself: the Trainer calls D three times before one backward
(real, fake, and the gradient penalty's double backward), freezes D's parameters during
G's update, deep-copies G for the EMA, samples on rank 0 alone while saving, and reads
attributes (``num_classes``, ``sample_latent``) and state dicts that a DDP wrapper hides
behind ``module.``. DDP tolerates some of that and not all (a buffer broadcast is a
collective on every forward, so rank 0 sampling alone would hang). Averaging in an
optimizer step pre-hook is indifferent to all of it and leaves the Trainer untouched.
What it gives up is overlapping communication with the backward pass, small next to a
DCGAN step. Caveat: the Trainer measures (and, with ``max_grad_norm``, clips) the local
gradient before the hook averages it, so the reported grad norms are rank 0's own.

BatchNorm stays per rank (as in DDP without SyncBatchNorm): each rank normalises its own
slice; running statistics are rank 0's in the checkpoint. Only rank 0 writes files and
prints progress.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor, nn

TIMEOUT = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in a torchrun job."""

    rank: int
    world_size: int
    local_rank: int
    backend: str  # "nccl" (CUDA) or "gloo" (CPU)
    device: torch.device

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def env_world() -> tuple[int, int, int] | None:
    """(rank, world_size, local_rank) when started by torchrun with 2+ processes, else None."""
    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        return None
    try:
        world = int(os.environ["WORLD_SIZE"])
        rank = int(os.environ["RANK"])
        local = int(os.environ.get("LOCAL_RANK", rank))
    except ValueError:
        raise ValueError(
            "RANK / WORLD_SIZE / LOCAL_RANK must be integers (they are set by torchrun)"
        ) from None
    if world <= 1:
        return None
    if not 0 <= rank < world or local < 0:
        raise ValueError(f"bad torchrun environment: RANK={rank}, WORLD_SIZE={world}")
    return rank, world, local


def init(device: str = "auto") -> DistContext | None:
    """Join the torchrun job (NCCL on CUDA, gloo on CPU); None when not under torchrun.

    ``device``: "auto" uses this rank's GPU (cuda:LOCAL_RANK) when there is one."""
    world = env_world()
    if world is None:
        return None
    rank, world_size, local_rank = world
    use_cuda = device in ("auto", "cuda") and torch.cuda.is_available()
    if device == "cuda" and not use_cuda:
        raise ValueError("--device cuda was asked for, but PyTorch sees no CUDA device here")
    if use_cuda:
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"LOCAL_RANK {local_rank} has no GPU: this node has {torch.cuda.device_count()}; "
                "start at most that many processes per node (--nproc_per_node)"
            )
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
        dist.init_process_group("nccl", timeout=TIMEOUT, device_id=dev)
    else:
        dev = torch.device("cpu")
        dist.init_process_group("gloo", timeout=TIMEOUT)
    return DistContext(rank, world_size, local_rank, dist.get_backend(), dev)


def teardown(*, sync: bool = False) -> None:
    """Leave the process group (safe to call when none was joined).

    ``sync``: wait for every rank first (on the success path only: after a failure the
    others may never arrive), so no rank tears its connections down while a peer still
    talks over them."""
    if dist.is_available() and dist.is_initialized():
        if sync:
            dist.barrier()
        dist.destroy_process_group()


def exit_worker(code: int) -> None:
    """End a torchrun worker without interpreter finalization.

    Gloo's C++ threads can outlive the process group and abort the process ("terminate
    called without an active exception") while Python tears down; a worker that has
    saved, printed and left the group has nothing left to finalize, so flush and leave."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(code)


@contextmanager
def local_rank_zero_first(ctx: DistContext | None) -> Iterator[None]:
    """Run the block on each node's local rank 0 first (e.g. a dataset download), then the rest."""
    if ctx is None:
        yield
        return
    if ctx.local_rank != 0:
        dist.barrier()
    yield
    if ctx.local_rank == 0:
        dist.barrier()


class ShardedSource:
    """Rank r of W takes the r-th slice of each global batch of W * B examples.

    ``source`` is an ImageSource (or a wrapper exposing its ``position``).

    All ranks walk the same seeded epoch order, so an epoch is split between them without
    overlap, and the state (one global position) is the same on every rank: a run saved
    by rank 0 resumes on all of them."""

    def __init__(self, source: Any, *, rank: int, world_size: int) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
        self.source, self.rank, self.world_size = source, rank, world_size

    def next_batch(self, batch_size: int) -> tuple[Tensor, Tensor | None]:
        start = self.source.position
        self.source.position = start + self.rank * batch_size
        batch = self.source.next_batch(batch_size)
        self.source.position = start + self.world_size * batch_size
        return batch

    def state_dict(self) -> dict[str, Any]:
        return self.source.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.source.load_state_dict(state)


def _modules(trainer: Any) -> list[nn.Module]:
    mods = [trainer.generator, trainer.discriminator]
    return mods + ([trainer.ema_generator] if trainer.ema_generator is not None else [])


def _average_gradients(params: list[Tensor], world_size: int) -> None:
    # which parameters got a gradient anywhere: a parameter with none on every rank keeps
    # None (the optimizer skips it, as in one process); elsewhere a missing one counts as 0
    device = params[0].device
    has = torch.tensor([p.grad is not None for p in params], dtype=torch.uint8, device=device)
    dist.all_reduce(has, op=dist.ReduceOp.MAX)
    live = [p for p, h in zip(params, has.tolist(), strict=True) if h]
    if not live:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in live]
    flat = torch.cat([g.reshape(-1) for g in grads])  # one collective, not one per tensor
    dist.all_reduce(flat)
    flat /= world_size
    offset = 0
    for p, g in zip(live, grads, strict=True):
        n = g.numel()
        mean = flat[offset : offset + n].view_as(g)
        if p.grad is None:
            p.grad = mean.to(g.dtype, copy=True)
        else:
            p.grad.copy_(mean)
        offset += n


def prepare(trainer: Any, ctx: DistContext) -> None:
    """Make rank 0's weights everyone's and average gradients before each optimizer step.

    Call once after building (or resuming) the trainer on every rank."""
    with torch.no_grad():
        for module in _modules(trainer):
            for t in (*module.parameters(), *module.buffers()):
                dist.broadcast(t.data, src=0)
    for opt in (trainer.opt_g, trainer.opt_d):
        if getattr(opt, "_gancore_grad_sync", False):
            continue
        params = [p for group in opt.param_groups for p in group["params"]]

        def hook(optimizer, args, kwargs, params=params):
            _average_gradients(params, ctx.world_size)

        opt.register_step_pre_hook(hook)
        opt._gancore_grad_sync = True


def rank_noise_state(ctx: DistContext, seed: int, step: int, device: torch.device) -> Tensor:
    """A latent-noise state for a rank > 0 resuming at ``step``: only rank 0's is saved.

    Deterministic in (seed, rank, step), so a resumed multi-process run is reproducible,
    though not bit-identical to one that was never interrupted."""
    derived = int(np.random.SeedSequence([seed, ctx.rank, step]).generate_state(1)[0])
    return torch.Generator(device=device).manual_seed(derived).get_state()


def any_rank(flag: bool, ctx: DistContext) -> bool:
    """True on every rank when ``flag`` is true on at least one (e.g. stop now)."""
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def _flat_parameters(module: nn.Module) -> Tensor:
    return torch.cat([p.detach().reshape(-1).float().cpu() for p in module.parameters()])


def parameter_digest(module: nn.Module) -> str:
    """sha256 of the module's parameters as float32 bytes, in parameter order."""
    return hashlib.sha256(_flat_parameters(module).numpy().tobytes()).hexdigest()


def replica_drift(modules: list[nn.Module], ctx: DistContext) -> float:
    """Largest |parameter - rank 0's| over all ranks (0.0 when the replicas agree)."""
    worst = 0.0
    for module in modules:
        flat = torch.cat([p.detach().reshape(-1) for p in module.parameters()])
        ref = flat.clone()
        dist.broadcast(ref, src=0)
        diff = (flat - ref).abs().max().reshape(1)
        dist.all_reduce(diff, op=dist.ReduceOp.MAX)
        worst = max(worst, float(diff.item()))
    return worst
