"""TrainConfig: a run's training hyperparameters, validated on construction, JSON-able."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from gancore.checks import DictConfig, check_int, check_number
from gancore.train import stabilizers
from gancore.train.losses import LOSSES

OPTIMIZERS = ("sgd", "adam", "rmsprop")


def _check_betas(name: str, value: Any) -> tuple[float, float]:
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (beta1, beta2), got {value!r}")
    for b in value:
        try:
            check_number(name, b, 0.0, 0.9999)
        except ValueError:
            raise ValueError(f"{name} must be two numbers in [0, 0.9999], got {value!r}") from None
    return (float(value[0]), float(value[1]))


@dataclass
class TrainConfig(DictConfig):
    """Training hyperparameters; validated on construction, JSON-able via to_dict."""

    loss: str = "non_saturating"
    d_steps: int = 1  # k in Goodfellow et al. 2014, Algorithm 1
    g_steps: int = 1
    batch_size: int = 256
    optimizer_g: str = "adam"
    optimizer_d: str = "adam"
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas_g: tuple[float, float] = (0.5, 0.999)  # adam only
    betas_d: tuple[float, float] = (0.5, 0.999)
    momentum: float = 0.0  # sgd and rmsprop only
    clip_value: float = 0.01  # wgan only
    gp_lambda: float = 10.0  # wgan_gp only
    ema_decay: float = 0.0  # generator EMA; 0 = off
    max_grad_norm: float = 0.0  # 0 = no clipping
    lr_decay_steps: int = 0  # 0 = constant learning rates
    lr_decay_factor: float = 0.1  # lr multiplier reached after lr_decay_steps rounds
    mixed_precision: bool = True  # bfloat16 autocast on CUDA (when supported); CPU: float32
    seed: int = 0
    # stabilizers (gancore/train/stabilizers.py: STABILIZERS says what each does and its range)
    r1_gamma: float = 0.0  # R1 penalty on real data; 0 = off
    r2_gamma: float = 0.0  # R2 penalty on fakes; 0 = off
    reg_every: int = 1  # lazy R1/R2: every N D steps, scaled by N
    spectral_norm: bool = False  # on every Linear / Conv of D (applied by the Trainer)
    instance_noise: float = 0.0  # std of the noise added to D's inputs; 0 = off
    instance_noise_steps: int = 0  # rounds to anneal it linearly to 0; 0 = constant
    instance_noise_floor: float = 0.0  # the noise std never falls below this; 0 = no floor
    pack: int = 1  # PacGAN: samples per D decision (D built with it); must divide batch_size
    minibatch_std: bool = False  # a minibatch std feature before D's last layer
    unroll_steps: int = 0  # unrolled D: look-ahead D steps behind each G update
    diffaugment: str = ""  # e.g. "translation,cutout,color"; images only

    def __post_init__(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {list(LOSSES)}, got {self.loss!r}")
        check_int("d_steps", self.d_steps, 1, 100)
        check_int("g_steps", self.g_steps, 1, 100)
        check_int("batch_size", self.batch_size, 1, 65536)
        for name in ("optimizer_g", "optimizer_d"):
            if getattr(self, name) not in OPTIMIZERS:
                raise ValueError(
                    f"{name} must be one of {list(OPTIMIZERS)}, got {getattr(self, name)!r}"
                )
        check_number("lr_g", self.lr_g, 0.0, 10.0, lo_open=True)
        check_number("lr_d", self.lr_d, 0.0, 10.0, lo_open=True)
        self.betas_g = _check_betas("betas_g", self.betas_g)
        self.betas_d = _check_betas("betas_d", self.betas_d)
        check_number("momentum", self.momentum, 0.0, 0.999)
        check_number("clip_value", self.clip_value, 0.0, 100.0, lo_open=True)
        check_number("gp_lambda", self.gp_lambda, 0.0, 1e4)
        check_number("ema_decay", self.ema_decay, 0.0, 0.99999)
        check_number("max_grad_norm", self.max_grad_norm, 0.0, 1e6)
        check_int("lr_decay_steps", self.lr_decay_steps, 0, 10**9)
        check_number("lr_decay_factor", self.lr_decay_factor, 0.0, 1.0, lo_open=True)
        check_int("seed", self.seed, 0, 2**32 - 1)
        if not isinstance(self.mixed_precision, bool):
            raise ValueError(f"mixed_precision must be true or false, got {self.mixed_precision!r}")
        stabilizers.check_stabilizers(self)

    def lr_scale(self, step: int) -> float:
        """The learning-rate multiplier for round ``step`` (0-based): geometric from 1 to
        lr_decay_factor over lr_decay_steps rounds, then constant; 1 without a decay."""
        if not self.lr_decay_steps:
            return 1.0
        return self.lr_decay_factor ** min(step / self.lr_decay_steps, 1.0)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["betas_g"], d["betas_d"] = list(self.betas_g), list(self.betas_d)
        return d
