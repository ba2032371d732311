"""Reference generators for the equivalence tests, written straight from each family's
published layer layout in its plainest form (nn.Sequential as the original files nest them,
the original parameter names, torch's own spectral_norm, noise from torch's global RNG as the
originals draw it). They share no code with gancore.community: a state_dict of one of these
saves with the original key names, which is what the fixture repos hold.

This is not the original code (FastGAN's is GPL-3.0 and none of it is run here); it is an
independent transcription of the same layouts, so the tests check gancore's adapters against
a second reading of the layout, not against the authors' files.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

# ----- HugGAN DCGAN -----------------------------------------------------------------------


class DCGANGenerator(nn.Module):
    def __init__(self, num_channels=3, latent_dim=100, hidden_size=64):
        super().__init__()
        h = hidden_size
        self.model = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, h * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(h * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(h * 8, h * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(h * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(h * 4, h * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(h * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(h * 2, h, 4, 2, 1, bias=False),
            nn.BatchNorm2d(h),
            nn.ReLU(True),
            nn.ConvTranspose2d(h, num_channels, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, noise):
        return self.model(noise)


# ----- lightweight-gan (HugGAN copy layout) --------------------------------------------------


class Fuzziness(nn.Module):  # [1 2 1] x [1 2 1] / 16, reflect border (kornia filter2d defaults)
    def __init__(self):
        super().__init__()
        self.register_buffer("f", torch.Tensor([1, 2, 1]))

    def forward(self, x):
        f = self.f[None, None, :] * self.f[None, :, None]
        f = f / f.sum()
        c = x.shape[1]
        x = F.pad(x, [1, 1, 1, 1], mode="reflect")
        return F.conv2d(x, f.expand(c, 1, 3, 3), groups=c)


class ChanNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.g = nn.Parameter(torch.ones(1, dim, 1, 1))
        self.b = nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x):
        var = torch.var(x, dim=1, unbiased=False, keepdim=True)
        mean = torch.mean(x, dim=1, keepdim=True)
        return (x - mean) / (var + self.eps).sqrt() * self.g + self.b


class PreNorm(nn.Module):
    def __init__(self, dim, fn):
        super().__init__()
        self.fn = fn
        self.norm = ChanNorm(dim)

    def forward(self, x):
        return self.fn(self.norm(x))


class DepthWiseConv2d(nn.Module):
    def __init__(self, dim_in, dim_out, kernel_size, padding=0, bias=True):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(dim_in, dim_in, kernel_size, padding=padding, groups=dim_in, bias=bias),
            nn.Conv2d(dim_in, dim_out, kernel_size=1, bias=bias),
        )

    def forward(self, x):
        return self.net(x)


class LinearAttention(nn.Module):
    def __init__(self, dim, dim_head=64, heads=8):
        super().__init__()
        self.scale = dim_head**-0.5
        self.heads = heads
        inner = dim_head * heads
        self.nonlin = nn.GELU()
        self.to_q = nn.Conv2d(dim, inner, 1, bias=False)
        self.to_kv = DepthWiseConv2d(dim, inner * 2, 3, padding=1, bias=False)
        self.to_out = nn.Conv2d(inner, dim, 1)

    def forward(self, fmap):
        h, x, y = self.heads, *fmap.shape[-2:]
        q, k, v = (self.to_q(fmap), *self.to_kv(fmap).chunk(2, dim=1))
        b = fmap.shape[0]
        q, k, v = (
            t.reshape(b, h, -1, x * y).permute(0, 1, 3, 2).reshape(b * h, x * y, -1)
            for t in (q, k, v)
        )
        q = q.softmax(dim=-1) * self.scale
        k = k.softmax(dim=-2)
        context = torch.einsum("bnd,bne->bde", k, v)
        out = torch.einsum("bnd,bde->bne", q, context)
        out = out.reshape(b, h, x * y, -1).permute(0, 1, 3, 2).reshape(b, -1, x, y)
        return self.to_out(self.nonlin(out))


class GlobalContext(nn.Module):
    def __init__(self, *, chan_in, chan_out):
        super().__init__()
        self.to_k = nn.Conv2d(chan_in, 1, 1)
        mid = max(3, chan_out // 2)
        self.net = nn.Sequential(
            nn.Conv2d(chan_in, mid, 1), nn.LeakyReLU(0.1), nn.Conv2d(mid, chan_out, 1), nn.Sigmoid()
        )

    def forward(self, x):
        context = self.to_k(x).flatten(2).softmax(dim=-1)
        out = torch.einsum("bin,bcn->bci", context, x.flatten(2)).unsqueeze(-1)
        return self.net(out)


def _dct(i, freq, L):
    r = math.cos(math.pi * freq * (i + 0.5) / L) / math.sqrt(L)
    return r * (1 if freq == 0 else math.sqrt(2))


class FCANet(nn.Module):
    def __init__(self, *, chan_in, chan_out, reduction=4, width):
        super().__init__()
        fu, fv = [0] * 8 + list(range(8)), list(range(8)) + [0] * 8
        w = torch.zeros(1, chan_in, width, width)
        part = chan_in // len(fu)
        for i, (u, v) in enumerate(zip(fu, fv, strict=True)):
            for a in range(width):
                for b in range(width):
                    w[:, i * part : (i + 1) * part, a, b] = _dct(a, u, width) * _dct(b, v, width)
        self.register_buffer("dct_weights", w)
        mid = max(3, chan_out // reduction)
        self.net = nn.Sequential(
            nn.Conv2d(chan_in, mid, 1), nn.LeakyReLU(0.1), nn.Conv2d(mid, chan_out, 1), nn.Sigmoid()
        )

    def forward(self, x):
        return self.net((x * self.dct_weights).sum(dim=(2, 3), keepdim=True))


class PixelShuffleUpsample(nn.Module):  # lucidrains' current upsample
    def __init__(self, dim):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(dim, dim * 4, 1), nn.SiLU(), nn.PixelShuffle(2))

    def forward(self, x):
        return self.net(x)


def Conv2dSame(dim_in, dim_out, kernel_size):  # noqa: N802
    lo = kernel_size // 2
    hi = lo - 1 if kernel_size % 2 == 0 else lo
    return nn.Sequential(nn.ZeroPad2d((lo, hi, lo, hi)), nn.Conv2d(dim_in, dim_out, kernel_size))


class Noise(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        b, _, h, w = x.shape
        return x + self.weight * torch.randn(b, 1, h, w)


class LightweightGenerator(nn.Module):
    def __init__(
        self,
        *,
        image_size,
        latent_dim=256,
        fmap_max=512,
        fmap_inverse_coef=12,
        transparent=False,
        greyscale=False,
        attn_res_layers=(),
        freq_chan_attn=False,
        modern=False,
        antialias=False,
    ):
        super().__init__()
        resolution = math.log2(image_size)
        init_channel = 4 if transparent else 1 if greyscale else 3
        self.initial_conv = nn.Sequential(
            nn.ConvTranspose2d(latent_dim, latent_dim * 2, 4),
            nn.BatchNorm2d(latent_dim * 2),
            nn.GLU(dim=1),
        )
        num_layers = int(resolution) - 2
        features = [
            (n, min(2 ** (fmap_inverse_coef - n), fmap_max)) for n in range(2, num_layers + 2)
        ]
        features = [3 if n >= 8 else c for n, c in features]
        features = [latent_dim, *features]
        in_out = list(zip(features[:-1], features[1:], strict=False))
        self.res_layers = range(2, num_layers + 2)
        self.layers = nn.ModuleList([])
        self.res_to_feature_map = dict(zip(self.res_layers, in_out, strict=False))
        sle = ((3, 7), (4, 8), (5, 9), (6, 10))
        self.sle_map = dict(t for t in sle if t[0] <= resolution and t[1] <= resolution)
        for res, (chan_in, chan_out) in zip(self.res_layers, in_out, strict=False):
            attn = PreNorm(chan_in, LinearAttention(chan_in)) if 2**res in attn_res_layers else None
            sle_mod = None
            if res in self.sle_map:
                out = self.res_to_feature_map[self.sle_map[res] - 1][-1]
                sle_mod = (
                    FCANet(chan_in=chan_out, chan_out=out, width=2 ** (res + 1))
                    if freq_chan_attn
                    else GlobalContext(chan_in=chan_out, chan_out=out)
                )
            layer = nn.ModuleList(
                [
                    nn.Sequential(
                        PixelShuffleUpsample(chan_in),
                        Fuzziness() if antialias else nn.Identity(),
                        Conv2dSame(chan_in, chan_out * 2, 4),
                        Noise(),
                        nn.BatchNorm2d(chan_out * 2),
                        nn.GLU(dim=1),
                    )
                    if modern
                    else nn.Sequential(
                        nn.Upsample(scale_factor=2),
                        Fuzziness(),
                        nn.Conv2d(chan_in, chan_out * 2, 3, padding=1),
                        nn.BatchNorm2d(chan_out * 2),
                        nn.GLU(dim=1),
                    ),
                    sle_mod,
                    attn,
                ]
            )
            self.layers.append(layer)
        self.out_conv = nn.Conv2d(features[-1], init_channel, 3, padding=1)

    def forward(self, x):
        x = x[:, :, None, None]
        x = self.initial_conv(x)
        x = F.normalize(x, dim=1)
        residuals = {}
        for res, (up, sle, attn) in zip(self.res_layers, self.layers, strict=False):
            if attn is not None:
                x = attn(x) + x
            x = up(x)
            if sle is not None:
                residuals[self.sle_map[res]] = sle(x)
            if res + 1 in residuals:
                x = x * residuals[res + 1]
        return self.out_conv(x)


class LightweightGAN(nn.Module):
    """G, D (a stand-in: only its keys matter here), D_aug sharing D, GE the EMA copy.
    ``modern=True``: lucidrains' current block (pixel-shuffle upsample, blur only with
    antialias, 4x4 "same" convolution, a noise layer)."""

    def __init__(self, **g_kwargs):
        super().__init__()
        self.G = LightweightGenerator(**g_kwargs)
        self.D = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Conv2d(4, 1, 1))
        self.GE = LightweightGenerator(**g_kwargs)
        self.D_aug = nn.Module()
        self.D_aug.D = self.D


# ----- FastGAN (the paper's generator layout) ------------------------------------------------


def conv2d(*args, **kwargs):
    return spectral_norm(nn.Conv2d(*args, **kwargs))


def convTranspose2d(*args, **kwargs):  # noqa: N802 -- the layout's name
    return spectral_norm(nn.ConvTranspose2d(*args, **kwargs))


class GLU(nn.Module):
    def forward(self, x):
        nc = x.size(1) // 2
        return x[:, :nc] * torch.sigmoid(x[:, nc:])


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, feat):
        b, _, h, w = feat.shape
        return feat + self.weight * torch.randn(b, 1, h, w)


class Swish(nn.Module):
    def forward(self, feat):
        return feat * torch.sigmoid(feat)


class SEBlock(nn.Module):
    def __init__(self, ch_in, ch_out):
        super().__init__()
        self.main = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            conv2d(ch_in, ch_out, 4, 1, 0, bias=False),
            Swish(),
            conv2d(ch_out, ch_out, 1, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, feat_small, feat_big):
        return feat_big * self.main(feat_small)


class InitLayer(nn.Module):
    def __init__(self, nz, channel):
        super().__init__()
        self.init = nn.Sequential(
            convTranspose2d(nz, channel * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(channel * 2),
            GLU(),
        )

    def forward(self, noise):
        return self.init(noise.view(noise.shape[0], -1, 1, 1))


def UpBlock(cin, cout):  # noqa: N802
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        conv2d(cin, cout * 2, 3, 1, 1, bias=False),
        nn.BatchNorm2d(cout * 2),
        GLU(),
    )


def UpBlockComp(cin, cout):  # noqa: N802
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        conv2d(cin, cout * 2, 3, 1, 1, bias=False),
        NoiseInjection(),
        nn.BatchNorm2d(cout * 2),
        GLU(),
        conv2d(cout, cout * 2, 3, 1, 1, bias=False),
        NoiseInjection(),
        nn.BatchNorm2d(cout * 2),
        GLU(),
    )


class FastGANGenerator(nn.Module):
    def __init__(self, ngf=64, nz=100, nc=3, im_size=1024):
        super().__init__()
        mult = {4: 16, 8: 8, 16: 4, 32: 2, 64: 2, 128: 1, 256: 0.5, 512: 0.25, 1024: 0.125}
        nfc = {k: int(v * ngf) for k, v in mult.items()}
        self.im_size = im_size
        self.init = InitLayer(nz, channel=nfc[4])
        self.feat_8 = UpBlockComp(nfc[4], nfc[8])
        self.feat_16 = UpBlock(nfc[8], nfc[16])
        self.feat_32 = UpBlockComp(nfc[16], nfc[32])
        self.feat_64 = UpBlock(nfc[32], nfc[64])
        self.feat_128 = UpBlockComp(nfc[64], nfc[128])
        self.feat_256 = UpBlock(nfc[128], nfc[256])
        self.se_64 = SEBlock(nfc[4], nfc[64])
        self.se_128 = SEBlock(nfc[8], nfc[128])
        self.se_256 = SEBlock(nfc[16], nfc[256])
        self.to_128 = conv2d(nfc[128], nc, 1, 1, 0, bias=False)
        self.to_big = conv2d(nfc[im_size], nc, 3, 1, 1, bias=False)
        if im_size > 256:
            self.feat_512 = UpBlockComp(nfc[256], nfc[512])
            self.se_512 = SEBlock(nfc[32], nfc[512])
        if im_size > 512:
            self.feat_1024 = UpBlock(nfc[512], nfc[1024])

    def forward(self, z):
        feat_4 = self.init(z)
        feat_8 = self.feat_8(feat_4)
        feat_16 = self.feat_16(feat_8)
        feat_32 = self.feat_32(feat_16)
        feat_64 = self.se_64(feat_4, self.feat_64(feat_32))
        feat_128 = self.se_128(feat_8, self.feat_128(feat_64))
        feat_256 = self.se_256(feat_16, self.feat_256(feat_128))
        if self.im_size == 256:
            return [self.to_big(feat_256), self.to_128(feat_128)]
        feat_512 = self.se_512(feat_32, self.feat_512(feat_256))
        if self.im_size == 512:
            return [self.to_big(feat_512), self.to_128(feat_128)]
        feat_1024 = self.feat_1024(feat_512)
        return [torch.tanh(self.to_big(feat_1024)), torch.tanh(self.to_128(feat_128))]


def randomize(module: nn.Module, seed: int) -> nn.Module:
    """Random weights everywhere (BatchNorm statistics and noise weights included), scaled so
    activations stay near 1, so every path of the layout shows in the output; spectral-norm
    u / v are the weight's top singular vectors (what training's power iteration reaches)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, t in module.state_dict().items():
            if not t.is_floating_point() or name.endswith(("dct_weights", ".f")):
                continue
            if name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=g))
            elif t.dim() >= 2:
                fan_in = t[0].numel()
                t.copy_(torch.randn(t.shape, generator=g) / math.sqrt(fan_in))
            elif name.endswith("weight") and "norm" not in name and t.numel() > 1:  # BatchNorm
                t.copy_(1 + 0.2 * torch.randn(t.shape, generator=g))
            else:
                t.copy_(0.3 * torch.randn(t.shape, generator=g))
        for m in module.modules():
            if hasattr(m, "weight_orig"):
                w = m.weight_orig
                mat = (w.transpose(0, 1) if isinstance(m, nn.ConvTranspose2d) else w).reshape(
                    m.weight_u.shape[0], -1
                )
                v = F.normalize(torch.randn(mat.shape[1], generator=g), dim=0)
                for _ in range(30):
                    u = F.normalize(mat @ v, dim=0)
                    v = F.normalize(mat.t() @ u, dim=0)
                m.weight_u.copy_(u)
                m.weight_v.copy_(v)
    return module.eval()


def calibrate(module: nn.Module, z: torch.Tensor) -> nn.Module:
    """BatchNorm statistics from one training-mode pass over ``z`` (as training leaves them),
    then eval mode: with randomize()'s statistics alone the BatchNorm shifts, not z, decide
    most of an image, which leaves an inversion test nothing to find."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None  # the cumulative average: this batch's statistics exactly
    module.train()
    with torch.no_grad():
        module(z)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = 0.1
    return module.eval()
