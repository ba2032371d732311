"""lightweight-gan (lucidrains; the HugGAN sprint's copy in community-events): any power of 2.

The generator (its EMA copy ``GE`` is the one to sample from) maps a latent through a 4x4
transposed convolution, BatchNorm and GLU, L2-normalises it over channels, then doubles the
resolution per layer: an upsample, a [1 2 1] blur (reflect-padded), a convolution to twice
the channels, BatchNorm, GLU. Skip-layer excitation (global context or frequency channel
attention) multiplies a later layer by a gate computed from an earlier one; optional linear
attention (pre-normalised, residual) sits before chosen resolutions; a 3x3 convolution makes
the image, which the original clamps to [0, 1].

Two block layouts are read: the HugGAN copy (nearest upsample, blur, 3x3 convolution) and
lucidrains' current one (pixel-shuffle upsample, optional blur, 4x4 "same" convolution,
a noise layer). Written here from those layouts; config.json gives the sizes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gancore.community.base import CommunityGenerator, NoiseSource, glu

CONFIG_KEYS = {"fmap_max", "fmap_inverse_coef", "attn_res_layers", "transparent", "greyscale"}
CONFIG_KEYS |= {"freq_chan_attn", "disc_output_size", "syncbatchnorm"}
PREFIXES = ("GAN.GE.", "GE.", "GAN.G.", "G.", "")


class Blur(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("f", torch.tensor([1.0, 2.0, 1.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # the 3x3 kernel f f^T / sum is separable: one pass per axis on shifted views, several
        # times faster on CPU than a depthwise convolution (in channels_last above all)
        a, b, c = (self.f / self.f.sum()).to(x.dtype).unbind()
        x = F.pad(x, (1, 1, 1, 1), mode="reflect")
        x = a * x[:, :, :-2] + b * x[:, :, 1:-1] + c * x[:, :, 2:]
        return a * x[..., :-2] + b * x[..., 1:-1] + c * x[..., 2:]

    def is_binomial(self) -> bool:
        """f is [1 2 1] up to scale: then nearest 2x upsampling and this blur (reflect-padded)
        are exactly bilinear 2x upsampling (align_corners=False): 1/4, 3/4 taps, edges kept."""
        f = self.f / self.f.sum()
        return bool(torch.allclose(f, f.new_tensor([0.25, 0.5, 0.25]), rtol=0, atol=1e-7))


class ChanNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))
        self.b = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x):
        var, mean = torch.var_mean(x, dim=1, unbiased=False, keepdim=True)
        return (x - mean) / (var + self.eps).sqrt() * self.g + self.b


class LinearAttention(nn.Module):
    """The HugGAN copy's linear attention: 8 heads of 64, q softmax over features, k over positions."""

    def __init__(self, dim: int, dim_head: int = 64, heads: int = 8) -> None:
        super().__init__()
        inner = dim_head * heads
        self.heads, self.scale = heads, dim_head**-0.5
        self.to_q = nn.Conv2d(dim, inner, 1, bias=False)
        self.to_kv = nn.Module()
        self.to_kv.net = nn.Sequential(
            nn.Conv2d(dim, dim, 3, padding=1, groups=dim, bias=False),
            nn.Conv2d(dim, 2 * inner, 1, bias=False),
        )
        self.to_out = nn.Conv2d(inner, dim, 1)

    def forward(self, fmap):
        b, _, x, y = fmap.shape
        h, n = self.heads, x * y

        def tokens(t, parts):  # b (p h c) x y -> b (x y) p h c: a view when channels_last
            return t.permute(0, 2, 3, 1).reshape(b, n, parts, h, -1)

        q = tokens(self.to_q(fmap), 1)[:, :, 0].softmax(dim=-1).transpose(1, 2) * self.scale
        k, v = tokens(self.to_kv.net(fmap), 2).transpose(1, 3).unbind(2)  # b h n c each
        out = q @ (k.softmax(dim=-2).transpose(-1, -2) @ v)  # b h n e
        out = out.transpose(1, 2).reshape(b, x, y, -1).permute(0, 3, 1, 2)
        return self.to_out(F.gelu(out))


class PreNormAttention(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm, self.fn = ChanNorm(dim), LinearAttention(dim)

    def forward(self, x):
        return self.fn(self.norm(x))


def _gate(cin: int, cmid: int, cout: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cmid, 1), nn.LeakyReLU(0.1), nn.Conv2d(cmid, cout, 1), nn.Sigmoid()
    )


class GlobalContext(nn.Module):
    def __init__(self, chan_in: int, chan_out: int) -> None:
        super().__init__()
        self.to_k = nn.Conv2d(chan_in, 1, 1)
        self.net = _gate(chan_in, max(3, chan_out // 2), chan_out)

    def forward(self, x):
        weights = self.to_k(x).flatten(2).softmax(dim=-1)  # b 1 n
        pooled = torch.einsum("bin,bcn->bci", weights, x.flatten(2)).unsqueeze(-1)
        return self.net(pooled)


class FreqChannelAttention(nn.Module):
    """FCANet: a fixed DCT basis (read from the weights) pools each channel, then a gate."""

    def __init__(self, chan_in: int, chan_out: int, width: int) -> None:
        super().__init__()
        self.register_buffer("dct_weights", torch.zeros(1, chan_in, width, width))
        self.net = _gate(chan_in, max(3, chan_out // 4), chan_out)

    def forward(self, x):
        return self.net((x * self.dct_weights).sum(dim=(2, 3), keepdim=True))


class SameConv(nn.Sequential):
    """lucidrains' Conv2dSame: zero padding (k//2 before, k//2 - 1 after for even k), then conv."""

    def __init__(self, cin: int, cout: int, k: int) -> None:
        lo = k // 2
        hi = lo - 1 if k % 2 == 0 else lo
        super().__init__(nn.ZeroPad2d((lo, hi, lo, hi)), nn.Conv2d(cin, cout, k))


class PixelShuffleUp(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(dim, dim * 4, 1), nn.SiLU(), nn.PixelShuffle(2))

    def forward(self, x):
        return self.net(x)


class Upsample(nn.Module):
    def forward(self, x):
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


class UpLayer(nn.Sequential):
    """One resolution doubling; ``modern``: lucidrains' current block with a noise layer."""

    def __init__(self, cin: int, cout: int, *, modern: bool, blur: bool) -> None:
        parts: list[nn.Module] = [PixelShuffleUp(cin) if modern else Upsample()]
        parts.append(Blur() if blur else nn.Identity())
        if modern:
            parts += [SameConv(cin, 2 * cout, 4), NoiseLayer()]
        else:
            parts.append(nn.Conv2d(cin, 2 * cout, 3, padding=1))
        parts.append(nn.BatchNorm2d(2 * cout))
        super().__init__(*parts)
        self.modern = modern

    def forward(self, x, noise: NoiseSource):
        if self.modern or self.training:
            for part in self:
                x = part(x, noise) if isinstance(part, NoiseLayer) else part(x)
            return glu(x)
        # the HugGAN block in eval mode, the same function in fewer passes: upsample and blur
        # as one bilinear upsampling, BatchNorm folded into the convolution
        blur = self[1]
        if isinstance(blur, Blur) and blur.is_binomial():
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        else:
            x = blur(self[0](x))
        weight, bias = fold_batchnorm(self[2].weight, self[2].bias, self[3])
        return glu(F.conv2d(x, weight, bias, padding=1))


def fold_batchnorm(weight, bias, bn: nn.BatchNorm2d):
    """Weight and bias of a convolution followed by an eval-mode BatchNorm, as one convolution
    (weight's output channels on dim 0; ConvTranspose2d's: pass weight.transpose(0, 1))."""
    scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
    bias = torch.zeros_like(bn.running_mean) if bias is None else bias
    shape = (-1,) + (1,) * (weight.dim() - 1)
    return weight * scale.reshape(shape), (bias - bn.running_mean) * scale + bn.bias


class NoiseLayer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise: NoiseSource):
        return x + self.weight * noise(x)


def feature_sizes(image_size: int, latent_dim: int, fmap_max: int, coef: int) -> list[int]:
    layers = int(math.log2(image_size)) - 2
    out = [latent_dim]
    for res in range(2, layers + 2):
        out.append(3 if res >= 8 else min(2 ** (coef - res), fmap_max))
    return out


class LightweightGAN(CommunityGenerator):
    family = "lightweight-gan"

    def __init__(
        self,
        *,
        image_size: int,
        latent_dim: int = 256,
        fmap_max: int = 512,
        fmap_inverse_coef: int = 12,
        channels: int = 3,
        attn_res_layers: tuple[int, ...] = (),
        freq_chan_attn: bool = False,
        modern: bool = False,
        blur: bool = True,
    ) -> None:
        super().__init__(latent_dim, image_size, channels)
        resolution = int(math.log2(image_size))
        self.initial_conv = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, latent_dim * 2, 4), nn.BatchNorm2d(latent_dim * 2)
        )
        features = feature_sizes(image_size, latent_dim, fmap_max, fmap_inverse_coef)
        self.res_layers = list(range(2, resolution))
        out_of = dict(zip(self.res_layers, features[1:], strict=True))
        sle = {a: b for a, b in ((3, 7), (4, 8), (5, 9), (6, 10)) if b <= resolution}
        self.sle_map = sle
        self.layers = nn.ModuleList()
        for res, cin, cout in zip(self.res_layers, features[:-1], features[1:], strict=True):
            gate = None
            if res in sle:
                target = out_of[sle[res] - 1]
                gate = (
                    FreqChannelAttention(cout, target, 2 ** (res + 1))
                    if freq_chan_attn
                    else GlobalContext(cout, target)
                )
            attn = PreNormAttention(cin) if 2**res in attn_res_layers else None
            self.layers.append(
                nn.ModuleList([UpLayer(cin, cout, modern=modern, blur=blur), gate, attn])
            )
        self.out_conv = nn.Conv2d(features[-1], channels, 3, padding=1)

    def _run(self, z, noise: NoiseSource):
        x = self._initial(z.reshape(z.shape[0], -1))
        x = F.normalize(glu(x), dim=1)
        gates = {}
        for res, (up, gate, attn) in zip(self.res_layers, self.layers, strict=True):
            if attn is not None:
                x = attn(x) + x
            x = up(x, noise)
            if gate is not None:
                gates[self.sle_map[res]] = gate(x)
            if res + 1 in gates:
                x = x * gates[res + 1]
        return self.out_conv(x)

    def _initial(self, z):
        """ConvTranspose2d (4x4) on a 1x1 input, then BatchNorm: in eval mode one matrix product
        with the BatchNorm folded in (oneDNN's transposed convolution is slow at this shape)."""
        conv, bn = self.initial_conv
        if self.training:
            return self.initial_conv(z[:, :, None, None])
        weight, bias = fold_batchnorm(conv.weight.transpose(0, 1), conv.bias, bn)
        x = z @ weight.transpose(0, 1).reshape(z.shape[1], -1)
        x = x.reshape(z.shape[0], -1, 4, 4) + bias[:, None, None]
        return x.contiguous(memory_format=torch.channels_last)

    def raw(self, z, noise: torch.Generator | None = None):
        return self._run(z, NoiseSource(noise, shared=False))

    def to_images(self, out):
        return out.clamp(0, 1) * 2 - 1


def matches_config(config: dict) -> bool:
    return "image_size" in config and bool(CONFIG_KEYS & set(config))


def find(state: dict[str, torch.Tensor]) -> str | None:
    for prefix in PREFIXES:
        if prefix + "initial_conv.0.weight" in state and prefix + "out_conv.weight" in state:
            return prefix
    return None


def build(state: dict[str, torch.Tensor], config: dict | None) -> tuple[LightweightGAN, dict]:
    """Sizes from the tensors (config.json, where there is one, must agree with them)."""
    cfg = dict(config or {})
    latent = int(state["initial_conv.0.weight"].shape[0])
    indices = sorted({int(k.split(".")[1]) for k in state if k.startswith("layers.")})
    if indices != list(range(len(indices))) or not indices:
        raise ValueError(f"layers.* are numbered {indices[:12]}, not 0, 1, 2, ...")
    size = 2 ** (len(indices) + 2)
    modern = "layers.0.0.0.net.0.weight" in state
    conv = ".0.2.1.weight" if modern else ".0.2.weight"
    outs = [int(state[f"layers.{i}{conv}"].shape[0]) // 2 for i in indices]
    channels = int(state["out_conv.weight"].shape[0])
    found = {
        "latent_dim": latent,
        "image_size": size,
        "attn_res_layers": [2 ** (i + 2) for i in indices if f"layers.{i}.2.norm.g" in state],
        "freq_chan_attn": any(k.endswith(".1.dct_weights") for k in state),
        "transparent": channels == 4,
        "greyscale": channels == 1,
    }
    for key, value in found.items():
        if (
            key in cfg
            and cfg[key] != value
            and not (key == "attn_res_layers" and sorted(cfg[key] or []) == value)
        ):
            raise ValueError(f"config.json says {key}={cfg[key]!r} but the weights have {value!r}")
    if channels not in (1, 3, 4):
        raise ValueError(f"out_conv makes {channels} channels; lightweight-gan makes 1, 3 or 4")
    if modern and any(".2.fn.to_lin_q." in k for k in state):
        raise ValueError(
            "this lightweight-gan version's attention (to_lin_q) is not supported; "
            "use a model trained without attn_res_layers or the HugGAN copy"
        )
    model = LightweightGAN(
        image_size=size,
        latent_dim=latent,
        fmap_max=max(outs),  # min(2**(coef - res), fmap_max) per layer: the widest one is it
        fmap_inverse_coef=int(cfg.get("fmap_inverse_coef", 12)),
        channels=channels,
        attn_res_layers=tuple(found["attn_res_layers"]),
        freq_chan_attn=found["freq_chan_attn"],
        modern=modern,
        blur="layers.0.0.1.f" in state,
    )
    return model, state
