"""FastGAN (Liu et al. 2021, "Towards Faster and Stabilized GAN Training for High-fidelity
Few-shot Image Synthesis"): 256, 512 or 1024 px, plus a 128 px side output.

Layout (from the paper and the published layer names): ``init`` (a 4x4 transposed
convolution, BatchNorm, GLU) and ``feat_8`` ... ``feat_1024``, each a nearest 2x upsample,
3x3 convolution, BatchNorm and GLU; the blocks at 8, 32, 128 and 512 px do that twice with
a noise-injection layer after each convolution. Skip-layer excitation ``se_64`` ...
``se_512`` gates a block by an earlier, small one (adaptive pool to 4x4, 4x4 convolution,
swish, 1x1 convolution, sigmoid). ``to_big`` (3x3) and ``to_128`` (1x1) make the images;
at 1024 px both pass a tanh. Channels are ``int(m * ngf)`` with m = 16, 8, 4, 2, 2, 1,
1/2, 1/4, 1/8 from 4 to 1024 px. Every convolution carries spectral norm in the file
(``weight_orig``, ``weight_u``, ``weight_v``); it is folded into a plain weight at load, as
the original computes it in eval mode: W / (u . W_mat v). Written here; no original code.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancore.community.base import CommunityGenerator, NoiseSource, glu

CONFIG_KEYS = {"ngf", "nz", "im_size"}
MULT = {4: 16, 8: 8, 16: 4, 32: 2, 64: 2, 128: 1, 256: 0.5, 512: 0.25, 1024: 0.125}
NOISY = (8, 32, 128, 512)
SE = {64: 4, 128: 8, 256: 16, 512: 32}  # gated block -> the block that gates it
PREFIXES = ("", "g.", "module.", "g.module.", "generator.", "netG.")


class UpBlock(nn.Module):
    """Upsample and one (or, with noise, two) conv-BN-GLU stages; names as in the layout."""

    def __init__(self, cin: int, cout: int, noisy: bool) -> None:
        super().__init__()
        self.noisy = noisy
        stages = [nn.Identity(), nn.Conv2d(cin, 2 * cout, 3, 1, 1, bias=False)]
        if noisy:
            stages += [_Noise(), nn.BatchNorm2d(2 * cout), nn.Identity()]
            stages += [nn.Conv2d(cout, 2 * cout, 3, 1, 1, bias=False), _Noise()]
        stages += [nn.BatchNorm2d(2 * cout)]
        for i, stage in enumerate(stages):
            self.add_module(str(i), stage)

    def forward(self, x: torch.Tensor, noise: NoiseSource) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = getattr(self, "1")(x)
        if self.noisy:
            x = glu(getattr(self, "3")(getattr(self, "2")(x, noise)))
            x = getattr(self, "6")(getattr(self, "5")(x), noise)
            return glu(getattr(self, "7")(x))
        return glu(getattr(self, "2")(x))


class _Noise(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise: NoiseSource):
        return x + self.weight * noise(x)


class Excite(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            nn.Conv2d(cin, cout, 4, 1, 0, bias=False),
            nn.SiLU(),  # swish
            nn.Conv2d(cout, cout, 1, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, small, big):
        return big * self.main(small)


class FastGAN(CommunityGenerator):
    family = "FastGAN"

    def __init__(self, ngf: int = 64, nz: int = 256, nc: int = 3, im_size: int = 1024) -> None:
        super().__init__(nz, im_size, nc)
        nfc = {k: int(v * ngf) for k, v in MULT.items()}
        self.init = nn.Module()
        self.init.init = nn.Sequential(
            nn.ConvTranspose2d(nz, 2 * nfc[4], 4, 1, 0, bias=False), nn.BatchNorm2d(2 * nfc[4])
        )
        self.sizes = [s for s in (8, 16, 32, 64, 128, 256, 512, 1024) if s <= im_size]
        for s in self.sizes:
            self.add_module(f"feat_{s}", UpBlock(nfc[s // 2], nfc[s], s in NOISY))
        for s, src in SE.items():
            if s <= im_size:
                self.add_module(f"se_{s}", Excite(nfc[src], nfc[s]))
        self.to_128 = nn.Conv2d(nfc[128], nc, 1, 1, 0, bias=False)
        self.to_big = nn.Conv2d(nfc[im_size], nc, 3, 1, 1, bias=False)

    def _features(self, z, noise: NoiseSource, upto: int | None = None):
        feats = {4: glu(self.init.init(z.reshape(z.shape[0], -1, 1, 1)))}
        for s in self.sizes if upto is None else [s for s in self.sizes if s <= upto]:
            x = getattr(self, f"feat_{s}")(feats[s // 2], noise)
            feats[s] = getattr(self, f"se_{s}")(feats[SE[s]], x) if s in SE else x
        return feats

    def _outputs(self, feats):
        big, small = self.to_big(feats[self.image_size]), self.to_128(feats[128])
        if self.image_size == 1024:
            return [torch.tanh(big), torch.tanh(small)]
        return [big, small]

    def raw(self, z, noise: torch.Generator | None = None):
        """[image, 128 px image], as the original's forward returns them."""
        return self._outputs(self._features(z, NoiseSource(noise, shared=False)))

    def _run(self, z, noise):
        return self._outputs(self._features(z, noise))[0]


class SmallOutput(CommunityGenerator):
    """A FastGAN seen through its 128 px output (``to_128``): the same latents, noise and
    weights, an eighth of the width at 1024 px; shares the FastGAN's modules."""

    family = "FastGAN"

    def __init__(self, big: FastGAN) -> None:
        super().__init__(big.latent_dim, 128, big.channels)
        self.big = big

    def noise_from(self, seed: int):
        return self.big.noise_from(seed)

    def raw(self, z, noise: torch.Generator | None = None):
        return self.big.raw(z, noise)[1]

    def forward(self, z, y=None):
        if y is not None:
            raise ValueError("a FastGAN generator is unconditional; it takes no labels")
        seed = getattr(self.big._local, "seed", None)
        gen = torch.Generator().manual_seed(self.big.noise_seed if seed is None else seed)
        feats = self.big._features(z.reshape(z.shape[0], -1), NoiseSource(gen, shared=True), 128)
        small = self.big.to_128(feats[128])
        return (torch.tanh(small) if self.big.image_size == 1024 else small).clamp(-1, 1)


def matches_config(config: dict) -> bool:
    return bool(CONFIG_KEYS & set(config)) and "image_size" not in config


def find(state: dict[str, torch.Tensor]) -> str | None:
    for prefix in PREFIXES:
        if all(prefix + k in state for k in ("init.init.0.weight_orig", "to_big.weight_orig")):
            return prefix
    return None


def fold_spectral_norm(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``X.weight_orig/_u/_v`` -> ``X.weight`` = weight_orig / sigma, sigma = u . (W_mat v);
    W_mat puts the output channels first (dim 1 of a transposed convolution's weight)."""
    out = {
        k: v for k, v in state.items() if not k.endswith(("weight_orig", "weight_u", "weight_v"))
    }
    for key in [k for k in state if k.endswith(".weight_orig")]:
        base = key[: -len("_orig")]
        w, u, v = state[key], state.get(base + "_u"), state.get(base + "_v")
        if u is None or v is None:
            raise ValueError(f"{key} has no {base}_u / {base}_v beside it")
        mat = (w.transpose(0, 1) if key.startswith("init.init.") else w).reshape(u.shape[0], -1)
        if u.dim() != 1 or v.shape != (mat.shape[1],):
            raise ValueError(
                f"{base}_u / {base}_v have shapes {list(u.shape)} / {list(v.shape)}, which do not fit {key} {list(w.shape)}"
            )
        sigma = torch.dot(u, torch.mv(mat, v))
        out[base] = w / sigma
    return out


def build(state: dict[str, torch.Tensor], config: dict | None) -> tuple[FastGAN, dict]:
    cfg = dict(config or {})
    first = state["init.init.0.weight_orig"]
    nz, ngf = int(first.shape[0]), int(first.shape[1]) // 32
    nc = int(state["to_big.weight_orig"].shape[0])
    size = (
        1024
        if "feat_1024.1.weight_orig" in state
        else 512
        if "feat_512.1.weight_orig" in state
        else 256
    )
    for key, value in (("nz", nz), ("ngf", ngf), ("nc", nc), ("im_size", size)):
        if key in cfg and cfg[key] != value:
            raise ValueError(f"config.json says {key}={cfg[key]!r} but the weights have {value}")
    if ngf < 8 or first.shape[1] != 32 * ngf:
        raise ValueError(
            f"init.init.0.weight_orig has {first.shape[1]} output channels; FastGAN's is 32 * ngf with ngf >= 8"
        )
    return FastGAN(ngf=ngf, nz=nz, nc=nc, im_size=size), fold_spectral_norm(state)
