"""The Trainer's optimizers and the fused gradient / parameter norms it reports each round."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def grad_norm_parts(groups: list[list[Tensor]]) -> tuple[list[Tensor], list[int]]:
    """The 2-norm of every tensor of every group in one foreach pass, and the group sizes.

    :func:`combine_grad_norms` turns them into one norm per group (same value as
    nn.utils.get_total_norm per group) on the host, after the round's one sync: for the toy
    MLPs the kernel launches of reducing each group on the device were most of the cost."""
    flat = [t for g in groups for t in g]
    return (list(torch._foreach_norm(flat)) if flat else []), [len(g) for g in groups]


def combine_grad_norms(values: list[float], sizes: list[int]) -> list[float]:
    """One 2-norm per group from its tensors' norms (0 for an empty group)."""
    out, start = [], 0
    for k in sizes:
        out.append(math.sqrt(sum(v * v for v in values[start : start + k])))
        start += k
    return out


def make_optimizer(kind: str, params: list[Tensor], lr: float, betas, momentum: float):
    # Adam and SGD as fused kernels (CPU and CUDA: one kernel per parameter, no Python loop
    # over the update's steps; for a toy MLP's Adam 67 µs a step against 175 µs for foreach);
    # RMSprop has no fused form, so foreach
    if kind == "adam":
        return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=momentum, foreach=True)
    return torch.optim.SGD(params, lr=lr, momentum=momentum, fused=True)


def set_hparams(opt: torch.optim.Optimizer, lr: float, betas, momentum: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr
        if "betas" in group:
            group["betas"] = betas
        if "momentum" in group:
            group["momentum"] = momentum
