"""DCGAN generator and discriminator (Radford et al. 2015), one size-adaptive family.

The generator grows a 4x4 map (7x7 for 28 px) out of the latent with a transposed
convolution, then doubles the resolution and halves the channels until the image
size is reached; the discriminator mirrors it with strided convolutions and ends in
a convolution to a 1x1 logit. There are no fully connected hidden layers.

Conditioning (``num_classes > 0``): the generator concatenates a label embedding to
``z``; the discriminator either reads the label as an extra input channel
(``cond_mode="channel"``) or adds a projection term (``cond_mode="projection"``,
Miyato & Koyama 2018): ``logit = head(phi(x)) + <embed(y), sum_hw phi(x)>``.

Critic variant for WGAN / WGAN-GP: ``d_norm="layer"`` or ``"none"``. BatchNorm mixes
the samples of a batch, so a critic with it is not a function of one sample and the
per-sample gradient penalty of WGAN-GP loses its meaning (Gulrajani et al. 2017 use
layer norm). ``"layer"`` is ``GroupNorm(1, C)``: a per-sample norm over (C, H, W) like
``LayerNorm([C, H, W])``, but with per-channel affine parameters, so it needs no
spatial size at construction and its parameter count does not grow with resolution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gancore.checks import DictConfig, check_int
from gancore.models.layers import append_minibatch_std, check_pack, pack_samples

IMAGE_SIZES = (28, 32, 64, 128)
D_NORMS = ("batch", "layer", "none")
COND_MODES = ("channel", "projection")


@dataclass
class DCGANConfig(DictConfig):
    """Architecture of a DCGAN pair; validated on construction, JSON-serialisable."""

    image_size: int = 64
    channels: int = 3
    latent_dim: int = 100
    g_features: int = 64  # ngf: channels of the generator's last hidden map
    d_features: int = 64  # ndf: channels of the discriminator's first hidden map
    num_classes: int = 0  # 0 = unconditional
    # G's label embedding, concatenated to z; a projection D's embedding instead has the
    # width of its features, and a channel D's is one H x W plane per class
    embed_dim: int = 32
    d_norm: str = "batch"  # "layer" / "none": critic variant for WGAN(-GP)
    cond_mode: str = "projection"  # how D reads the label: "channel" | "projection"

    def __post_init__(self) -> None:
        if type(self.image_size) is not int or self.image_size not in IMAGE_SIZES:
            raise ValueError(f"image_size must be one of {IMAGE_SIZES}, got {self.image_size!r}")
        if type(self.channels) is not int or self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 or 3, got {self.channels!r}")
        check_int("latent_dim", self.latent_dim, 1, 512)
        check_int("g_features", self.g_features, 8, 256)
        check_int("d_features", self.d_features, 8, 256)
        check_int("num_classes", self.num_classes, 0, 1000)
        check_int("embed_dim", self.embed_dim, 1, 512)
        if self.d_norm not in D_NORMS:
            raise ValueError(f"d_norm must be one of {D_NORMS}, got {self.d_norm!r}")
        if self.cond_mode not in COND_MODES:
            raise ValueError(f"cond_mode must be one of {COND_MODES}, got {self.cond_mode!r}")

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    @property
    def critic(self) -> bool:
        """True when D has no BatchNorm (usable as a WGAN / WGAN-GP critic)."""
        return self.d_norm != "batch"

    @property
    def base_size(self) -> int:
        """Side of the generator's first map and of the discriminator's last."""
        return 7 if self.image_size == 28 else 4

    @property
    def num_upsamplings(self) -> int:
        """Stride-2 layers between the base map and the image (4 for 64 px)."""
        return int(math.log2(self.image_size // self.base_size))

    def num_parameters(self) -> dict[str, int]:
        """Exact parameter counts {'generator', 'discriminator', 'total'}, without allocating."""
        g = _count(_generator_plan(self))
        d = _count(_discriminator_plan(self))
        if self.conditional:
            g += self.num_classes * self.embed_dim
            if self.cond_mode == "channel":
                d += self.num_classes * self.image_size * self.image_size
            else:
                d += self.num_classes * _d_feature_channels(self)
        return {"generator": g, "discriminator": d, "total": g + d}


# A layer plan is a list of (in_ch, out_ch, kernel, stride, padding, norm, bias) tuples;
# the modules and the parameter count are both built from it so they cannot disagree.
_Layer = tuple[int, int, int, int, int, str, bool]


def _generator_plan(cfg: DCGANConfig) -> list[_Layer]:
    n = cfg.num_upsamplings
    in_ch = cfg.latent_dim + (cfg.embed_dim if cfg.conditional else 0)
    ch = cfg.g_features * 2 ** (n - 1)
    # 1x1 -> base x base: a transposed conv with kernel = base size, the DCGAN "project"
    plan: list[_Layer] = [(in_ch, ch, cfg.base_size, 1, 0, "batch", False)]
    for _ in range(n - 1):
        plan.append((ch, ch // 2, 4, 2, 1, "batch", False))
        ch //= 2
    plan.append((ch, cfg.channels, 4, 2, 1, "none", True))
    return plan


def _d_feature_channels(cfg: DCGANConfig) -> int:
    return cfg.d_features * 2 ** (cfg.num_upsamplings - 1)


def _discriminator_plan(
    cfg: DCGANConfig, pack: int = 1, minibatch_std: bool = False
) -> list[_Layer]:
    extra = 1 if cfg.conditional and cfg.cond_mode == "channel" else 0
    ch = cfg.d_features
    # no norm on the first layer (Radford et al.: normalising the input layer hurt);
    # PacGAN: m images (with their label planes) side by side as m times the channels
    plan: list[_Layer] = [(pack * (cfg.channels + extra), ch, 4, 2, 1, "none", True)]
    for _ in range(cfg.num_upsamplings - 1):
        plan.append((ch, ch * 2, 4, 2, 1, cfg.d_norm, cfg.d_norm == "none"))
        ch *= 2
    # the minibatch-std channel joins the features the head reads
    plan.append((ch + int(minibatch_std), 1, cfg.base_size, 1, 0, "none", True))
    return plan


def _count(plan: list[_Layer]) -> int:
    total = 0
    for in_ch, out_ch, k, _, _, norm, bias in plan:
        total += in_ch * out_ch * k * k + (out_ch if bias else 0)
        total += 2 * out_ch if norm != "none" else 0
    return total


def _norm(kind: str, ch: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(ch)
    if kind == "layer":
        return nn.GroupNorm(1, ch)
    raise AssertionError(kind)


def weights_init(m: nn.Module) -> None:
    """DCGAN init: conv weights N(0, 0.02); norm scales N(1, 0.02); biases 0."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def _check_labels(y: torch.Tensor | None, num_classes: int, batch: int, who: str) -> None:
    if num_classes == 0:
        if y is not None:
            raise ValueError(f"{who} is unconditional (num_classes=0) but labels were given")
        return
    if y is None:
        raise ValueError(f"{who} is conditional (num_classes={num_classes}); pass labels y")
    if y.shape != (batch,):
        raise ValueError(f"{who}: labels must have shape ({batch},), got {tuple(y.shape)}")


class Generator(nn.Module):
    """z (B, latent_dim) [+ labels (B,)] -> images (B, C, H, W) in [-1, 1]."""

    def __init__(self, config: DCGANConfig) -> None:
        super().__init__()
        self.config = config
        self.latent_dim = config.latent_dim
        self.num_classes = config.num_classes
        self.image_size = config.image_size
        self.channels = config.channels
        # the embedding keeps nn.Embedding's N(0, 1) init: the same scale as z, so the
        # label is not drowned out at the start of training
        self.embed = (
            nn.Embedding(config.num_classes, config.embed_dim) if config.conditional else None
        )

        # The 64 px layout (pytorch/examples dcgan), other sizes add or drop middle blocks:
        #   input (nz [+ embed]) x 1 x 1
        #   ConvT(k4, s1, p0) BN ReLU   # state size. (ngf*8) x 4 x 4
        #   ConvT(k4, s2, p1) BN ReLU   # state size. (ngf*4) x 8 x 8
        #   ConvT(k4, s2, p1) BN ReLU   # state size. (ngf*2) x 16 x 16
        #   ConvT(k4, s2, p1) BN ReLU   # state size. (ngf) x 32 x 32
        #   ConvT(k4, s2, p1) Tanh      # state size. (nc) x 64 x 64
        # 32 px starts at (ngf*4) x 4 x 4, 128 px at (ngf*16) x 4 x 4, and 28 px at
        # (ngf*2) x 7 x 7 (a kernel-7 ConvT from 1x1), then 14 x 14, then 28 x 28.
        layers: list[nn.Module] = []
        size = 1
        for i, (in_ch, out_ch, k, s, p, norm, bias) in enumerate(_generator_plan(config)):
            size = (size - 1) * s - 2 * p + k
            layers.append(nn.ConvTranspose2d(in_ch, out_ch, k, s, p, bias=bias))
            if norm != "none":
                layers += [_norm(norm, out_ch), nn.ReLU(True)]
            # state size. out_ch x size x size (e.g. (ngf*8) x 4 x 4 ... nc x 64 x 64)
            assert size == config.base_size * 2**i, (size, i)
        layers.append(nn.Tanh())
        self.main = nn.Sequential(*layers)
        self.apply(weights_init)

    def sample_latent(
        self,
        n: int,
        *,
        generator: torch.Generator | None = None,
        device: torch.device | str | None = None,
    ) -> torch.Tensor:
        """Standard-normal latents (n, latent_dim); drawn on ``generator``'s device, then moved."""
        if device is None:
            device = next(self.parameters()).device
        # drawing on the generator's own device keeps a seeded batch identical on CPU and GPU
        draw_on = generator.device if generator is not None else device
        z = torch.randn(n, self.latent_dim, generator=generator, device=draw_on)
        return z.to(device)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        z = z.reshape(z.shape[0], -1)
        if z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have {self.latent_dim} features, got shape {tuple(z.shape)}")
        _check_labels(y, self.num_classes, z.shape[0], "Generator")
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], dim=1)
        # (B, latent [+ embed]) -> (B, latent [+ embed], 1, 1): the 1x1 "image" the first
        # transposed convolution projects to the base map
        return self.main(z[:, :, None, None])

    def forward_embedded(self, z: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        """G from raw label embeddings (B, embed_dim) instead of labels: blends between classes."""
        if self.embed is None:
            raise ValueError("Generator is unconditional: it has no label embedding")
        if embedding.shape != (z.shape[0], self.embed.embedding_dim):
            raise ValueError(
                f"embedding must have shape ({z.shape[0]}, {self.embed.embedding_dim}), "
                f"got {tuple(embedding.shape)}"
            )
        z = torch.cat([z.reshape(z.shape[0], -1), embedding], dim=1)
        return self.main(z[:, :, None, None])


class Discriminator(nn.Module):
    """images (B, C, H, W) [+ labels (B,)] -> logits (B / pack,); a critic when ``d_norm != 'batch'``.

    ``pack`` m (PacGAN): m consecutive images, each with its label plane when conditional,
    are stacked along channels, (B, C, H, W) -> (B/m, m*C, H, W), one logit per pack; a
    projection D adds <mean of the m label embeddings, phi(pack)>. ``minibatch_std``: the head
    also reads one channel holding the batch's mean standard deviation of the features.
    """

    def __init__(self, config: DCGANConfig, *, pack: int = 1, minibatch_std: bool = False) -> None:
        super().__init__()
        self.config = config
        self.pack = check_pack(pack)
        if not isinstance(minibatch_std, bool):
            raise ValueError(f"minibatch_std must be true or false, got {minibatch_std!r}")
        self.minibatch_std = minibatch_std
        self.num_classes = config.num_classes
        self.image_size = config.image_size
        self.channels = config.channels
        self.critic = config.critic
        self.cond_mode = config.cond_mode if config.conditional else None

        # The 64 px layout (pytorch/examples dcgan), mirrored from the generator:
        #   input (nc [+ 1 label plane]) x 64 x 64
        #   Conv(k4, s2, p1) LReLU        # state size. (ndf) x 32 x 32
        #   Conv(k4, s2, p1) norm LReLU   # state size. (ndf*2) x 16 x 16
        #   Conv(k4, s2, p1) norm LReLU   # state size. (ndf*4) x 8 x 8
        #   Conv(k4, s2, p1) norm LReLU   # state size. (ndf*8) x 4 x 4  <- features()
        #   head: Conv(k4, s1, p0)        # state size. 1 x 1 x 1
        # 28 px: ndf x 14 x 14, (ndf*2) x 7 x 7, then a kernel-7 head.
        plan = _discriminator_plan(config, pack, minibatch_std)
        layers: list[nn.Module] = []
        size = config.image_size
        for in_ch, out_ch, k, s, p, norm, bias in plan[:-1]:
            layers.append(nn.Conv2d(in_ch, out_ch, k, s, p, bias=bias))
            if norm != "none":
                layers.append(_norm(norm, out_ch))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            size = (size + 2 * p - k) // s + 1
            # state size. out_ch x size x size (e.g. ndf x 32 x 32 ... (ndf*8) x 4 x 4)
        assert size == config.base_size, size
        self.main = nn.Sequential(*layers)
        in_ch, out_ch, k, s, p, _, bias = plan[-1]
        # state size. 1 x 1 x 1: one logit per image
        self.head = nn.Conv2d(in_ch, out_ch, k, s, p, bias=bias)
        in_ch -= int(minibatch_std)  # the features' own channels
        self.feature_dim = in_ch * size * size

        self.label_map: nn.Embedding | None = None
        self.embed: nn.Embedding | None = None
        if self.cond_mode == "channel":
            # one learned H x W plane per class, read as an extra input channel
            self.label_map = nn.Embedding(config.num_classes, config.image_size**2)
        elif self.cond_mode == "projection":
            self.embed = nn.Embedding(config.num_classes, in_ch)
        self.apply(weights_init)
        if self.embed is not None:
            # same scale as the head's conv weights, so neither term dominates at init
            nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def _body(self, x: torch.Tensor, y: torch.Tensor | None, need_labels: bool) -> torch.Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"Discriminator expects (B, {expected[0]}, {expected[1]}, {expected[2]}), got {tuple(x.shape)}"
            )
        if need_labels or y is not None:
            _check_labels(y, self.num_classes, x.shape[0], "Discriminator")
        if self.label_map is not None:
            plane = self.label_map(y).view(-1, 1, self.image_size, self.image_size)
            x = torch.cat([x, plane.to(x.dtype)], dim=1)
        return self.main(pack_samples(x, self.pack))  # (B, C', H, W) -> (B/m, m*C', H, W)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Penultimate activation, flattened: (B, feature_dim) (e.g. for anomaly scores).

        With ``cond_mode="projection"`` the features do not depend on the label, so
        ``y`` may be omitted; with ``"channel"`` it is required. With ``pack`` m each image
        is packed with m - 1 copies of itself, so there is one row per image."""
        if self.pack > 1:
            x = x.repeat_interleave(self.pack, dim=0)
            y = None if y is None else y.repeat_interleave(self.pack, dim=0)
        return self._body(x, y, need_labels=self.cond_mode == "channel").flatten(1)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self._body(x, y, need_labels=True)
        out = self.head(append_minibatch_std(h) if self.minibatch_std else h).view(-1)
        if self.embed is not None:
            # projection term <embed(y), phi(x)> with phi = spatial sum of the features
            e = self.embed(y)
            e = e.view(-1, self.pack, e.shape[1]).mean(dim=1)  # one embedding per pack
            out = out + (e * h.sum(dim=(2, 3))).sum(dim=1)
        return out

    def prob(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """sigmoid(logits): D's belief that x is real (for display; meaningless for a critic)."""
        return torch.sigmoid(self.forward(x, y))


def build_models(
    config: DCGANConfig,
    *,
    max_parameters: int | None = None,
    pack: int = 1,
    minibatch_std: bool = False,
) -> tuple[Generator, Discriminator]:
    """Build an initialised (G, D) pair; refuse before allocating if over ``max_parameters``.

    ``pack`` and ``minibatch_std`` shape D for those stabilizers (see Discriminator)."""
    if max_parameters is not None:
        total = config.num_parameters()["total"]
        if total > max_parameters:
            raise ValueError(
                f"config has {total:,} parameters, over the limit of {max_parameters:,}; "
                "lower g_features / d_features / image_size"
            )
    return Generator(config), Discriminator(config, pack=pack, minibatch_std=minibatch_std)
