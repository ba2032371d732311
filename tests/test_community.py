"""Community GANs from the (fake) Hub: each family against a reference written from its
published layout (tests/community_reference.py), the tensors-only loader, the safetensors
cache, bad repos, and `sample --latents` for every model."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from gancore import cli
from gancore.community import LoadedCommunity
from gancore.community.latents import sample_latents
from gancore.io.format import CheckpointError
from gancore.io.hub import load_checkpoint
from tests import community_reference as R
from tests.test_checkpoint import Payload, clean

TOL = 1e-5
LW = {"image_size": 64, "latent_dim": 16, "fmap_max": 16, "attn_res_layers": [32]}
LW_CONFIG = {**LW, "transparent": False, "greyscale": False, "freq_chan_attn": False}


def pickled(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def card(license_: str) -> str:
    return f"---\ntags:\n- gan\nlicense: {license_}\n---\n# a model\n"


@pytest.fixture(scope="module")
def refs():
    dcgan = R.randomize(R.DCGANGenerator(num_channels=1, latent_dim=16, hidden_size=8), 0)
    lw = R.randomize(R.LightweightGAN(**LW), 1)
    lw_fca = R.randomize(
        R.LightweightGAN(image_size=128, latent_dim=16, fmap_max=16, freq_chan_attn=True), 2
    )
    fast = R.randomize(R.FastGANGenerator(ngf=8, nz=16, nc=3, im_size=1024), 3)
    return {"dcgan": dcgan, "lw": lw, "lw_fca": lw_fca, "fast": fast}


@pytest.fixture
def hub(fake_hub, refs, tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "gancore-cache"))
    fake_hub.add(
        "huggan/dcgan-tiny",
        {"pytorch_model.bin": pickled(refs["dcgan"].state_dict()), "README.md": card("mit")},
    )
    fake_hub.add(
        "huggingnft/lw-tiny",
        {
            "config.json": json.dumps(LW_CONFIG),
            "pytorch_model.bin": pickled({"GAN": refs["lw"].state_dict()}),
            "README.md": card("apache-2.0"),
        },
    )
    fake_hub.add(  # lucidrains' own file name and extras, no config.json
        "someone/lw-fca",
        {"model.pt": pickled({"GAN": refs["lw_fca"].state_dict(), "version": "0.20.0"})},
    )
    fake_hub.add(
        "huggan/fastgan-tiny",
        {"pytorch_model.bin": pickled(refs["fast"].state_dict()), "README.md": card("gpl-3.0")},
    )
    return fake_hub


# ----- each family gives the reference's images for the same latents ---------------------------


def test_dcgan_matches_the_reference_layout(hub, refs):
    gan = load_checkpoint("huggan/dcgan-tiny")
    assert isinstance(gan, LoadedCommunity) and gan.family == "HugGAN DCGAN"
    assert (gan.license, gan.kind, gan.num_classes) == ("mit", "image", 0)
    assert gan.url.endswith("/huggan/dcgan-tiny")
    assert gan.parameters == sum(p.numel() for p in refs["dcgan"].parameters())
    z = torch.randn(5, 16, 1, 1, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want = refs["dcgan"](z)
        got = gan.generator.raw(z)
    assert want.shape == (5, 1, 64, 64) and want.std() > 0.05
    torch.testing.assert_close(got, want, atol=TOL, rtol=0)
    x = gan.sample(6, seed=3)
    assert x.shape == (6, 1, 64, 64) and x.dtype == np.float32
    np.testing.assert_array_equal(x, gan.sample(6, seed=3))
    assert not np.array_equal(x, gan.sample(6, seed=4))


@pytest.mark.parametrize(
    ("repo", "key"), [("huggingnft/lw-tiny", "lw"), ("someone/lw-fca", "lw_fca")]
)
def test_lightweight_gan_samples_the_ema_generator_like_the_reference(hub, refs, repo, key):
    gan = load_checkpoint(repo)
    ref = refs[key].GE  # the EMA copy: G holds different random weights
    assert gan.family == "lightweight-gan"
    z = torch.randn(3, 16, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want, other = ref(z), refs[key].G(z)
        got = gan.generator.raw(z)
    torch.testing.assert_close(got, want, atol=TOL, rtol=0)
    assert (other - want).abs().max() > 0.1
    images = gan.generator(z).numpy()  # gancore's convention: the original's [0, 1] -> [-1, 1]
    np.testing.assert_allclose(images, want.clamp(0, 1).numpy() * 2 - 1, atol=2 * TOL)
    assert gan.license == ("apache-2.0" if key == "lw" else None)


def test_lightweight_gan_blur_other_than_121_keeps_upsample_then_blur(
    fake_hub, tmp_path, monkeypatch
):
    # eval mode runs nearest upsampling + a [1 2 1] blur as one bilinear upsampling; a
    # checkpoint holding another blur filter must take the plain path and still match
    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "cache"))
    ref = R.randomize(R.LightweightGAN(**LW), 6)
    for name, t in ref.state_dict().items():
        if name.endswith(".f"):
            t.copy_(torch.tensor([1.0, 3.0, 1.0]))
    fake_hub.add("someone/lw-131", {"model.pt": pickled({"GAN": ref.state_dict()})})
    gan = load_checkpoint("someone/lw-131")
    z = torch.randn(3, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want, got = ref.GE(z), gan.generator.raw(z)
        bilinear = R.randomize(R.LightweightGAN(**LW), 6).GE(z)  # the same weights, [1 2 1]
    torch.testing.assert_close(got, want, atol=TOL, rtol=0)
    assert (bilinear - want).abs().max() > 1e-3  # the filter matters, so the path was tested


@pytest.mark.parametrize("antialias", [False, True])
def test_lightweight_gan_current_layout_with_noise_layers(
    fake_hub, tmp_path, monkeypatch, antialias
):
    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "cache"))
    gan_ref = R.randomize(
        R.LightweightGAN(
            image_size=128, latent_dim=16, fmap_max=16, modern=True, antialias=antialias
        ),
        4,
    )
    fake_hub.add(
        "lucid/lw", {"model.pt": pickled({"GAN": gan_ref.state_dict(), "version": "1.2.3"})}
    )
    gan = load_checkpoint("lucid/lw")
    z = torch.randn(2, 16, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        torch.manual_seed(11)
        want = gan_ref.GE(z)
        got = gan.generator.raw(z, torch.Generator().manual_seed(11))
    torch.testing.assert_close(got, want, atol=TOL, rtol=0)
    np.testing.assert_array_equal(gan.sample(3, seed=2), gan.sample(3, seed=2))


@pytest.mark.parametrize("size", [256, 512])
def test_fastgan_256_and_512_return_the_raw_outputs(fake_hub, tmp_path, monkeypatch, size):
    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "cache"))
    ref = R.randomize(R.FastGANGenerator(ngf=8, nz=8, nc=3, im_size=size), 5)
    fake_hub.add("o/fast", {"pytorch_model.bin": pickled(ref.state_dict())})
    gan = load_checkpoint("o/fast")
    z = torch.randn(2, 8, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.manual_seed(1)
        want = ref(z)
        got = gan.generator.raw(z, torch.Generator().manual_seed(1))
    assert gan.config["model"]["image_size"] == size == want[0].shape[-1]
    for a, b in zip(got, want, strict=True):
        torch.testing.assert_close(a, b, atol=TOL * max(1.0, float(b.abs().max())), rtol=0)
    assert np.abs(gan.sample(1, seed=0)).max() <= 1  # gancore's images stay in [-1, 1]


def test_fastgan_folds_spectral_norm_and_seeds_its_noise(hub, refs):
    gan = load_checkpoint("huggan/fastgan-tiny")
    assert gan.family == "FastGAN" and gan.config["model"]["image_size"] == 1024
    assert not any(k.endswith(("_orig", "_u", "_v")) for k in gan.generator.state_dict())
    z = torch.randn(2, 16, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        torch.manual_seed(7)  # the original draws its noise maps from torch's global RNG
        big, small = refs["fast"](z)
        got_big, got_small = gan.generator.raw(z, torch.Generator().manual_seed(7))
    assert big.shape == (2, 3, 1024, 1024) and small.shape == (2, 3, 128, 128)
    torch.testing.assert_close(got_big, big, atol=TOL, rtol=0)
    torch.testing.assert_close(got_small, small, atol=TOL, rtol=0)
    # the noise matters, and the caller's seed decides it
    other = gan.generator.raw(z, torch.Generator().manual_seed(8))[0]
    assert (other - big).abs().max() > 1e-3
    a, b = gan.sample(2, seed=1), gan.sample(2, seed=1)
    np.testing.assert_array_equal(a, b)
    assert gan.license == "gpl-3.0"
    # its 128 px output, as a model of its own: the same latent and noise give to_128's image
    small = gan.small_output()
    assert small.config["model"]["image_size"] == 128 and small.family == "FastGAN"
    with torch.no_grad():
        want = gan.generator.raw(z[:1], torch.Generator().manual_seed(0))[1]
        got = small.generator(z[:1])
    torch.testing.assert_close(got, want, atol=TOL, rtol=0)
    assert small.sample(3, seed=0).shape == (3, 3, 128, 128)


# ----- the restricted loader and its cache -------------------------------------------------------


def test_second_load_reads_the_safetensors_cache_not_the_pickle(hub, monkeypatch):
    first = load_checkpoint("huggan/dcgan-tiny").sample(4, seed=0)
    caches = list(hub.cache_dir.glob("models--huggan--dcgan-tiny/gancore/*.safetensors"))
    assert len(caches) == 1

    def no_pickles(*args, **kwargs):
        raise AssertionError("torch.load was called on the second load")

    monkeypatch.setattr(torch, "load", no_pickles)
    np.testing.assert_array_equal(load_checkpoint("huggan/dcgan-tiny").sample(4, seed=0), first)
    hub.go_offline()  # and from the cache alone, with no network
    np.testing.assert_array_equal(load_checkpoint("huggan/dcgan-tiny").sample(4, seed=0), first)


def refused(source, reason: str, **kwargs) -> str:
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(source, **kwargs)
    assert err.value.reason == reason, str(err.value)
    return clean(err)


class SystemPayload:
    """Unpickling this would run a shell command that creates ``marker``."""

    def __init__(self, marker) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_hostile_pickle_is_refused_and_nothing_runs(hub, refs, tmp_path):
    marker = tmp_path / "pwned"
    state = {**refs["dcgan"].state_dict(), "model.0.weight": Payload(marker)}
    hub.add("evil/dcgan", {"pytorch_model.bin": pickled(state)})
    msg = refused("evil/dcgan", "pickle_refused")
    assert "nothing in it was executed" in msg and "weights_only" in msg
    assert not marker.exists()
    # the same payload inside lightweight-gan's {"GAN": ...} wrapper
    hub.add(
        "evil/lw",
        {
            "config.json": json.dumps(LW_CONFIG),
            "model.pt": pickled({"GAN": {"x": Payload(marker)}}),
        },
    )
    refused("evil/lw", "pickle_refused")
    assert not marker.exists()
    shell = tmp_path / "shell-ran"
    hub.add("evil/system", {"pytorch_model.bin": pickled({"model.0.weight": SystemPayload(shell)})})
    assert "system" in refused("evil/system", "pickle_refused")
    assert not shell.exists()


def test_bad_files_each_get_one_clear_message(hub, refs):
    good = pickled(refs["dcgan"].state_dict())
    sd = refs["dcgan"].state_dict()
    cases = {
        "bad/truncated": ({"pytorch_model.bin": good[: len(good) // 2]}, "corrupt", "truncated"),
        "bad/not-pickle": (
            {"pytorch_model.bin": b"<html>not found</html>"},
            "corrupt",
            "not a readable",
        ),
        "bad/extra-keys": (
            {"pytorch_model.bin": pickled({**sd, "model.13.weight": torch.ones(2)})},
            "shape_mismatch",
            "model.13.weight",
        ),
        "bad/shapes": (
            {"pytorch_model.bin": pickled({**sd, "model.3.weight": torch.ones(64, 32, 3, 3)})},
            "shape_mismatch",
            "model.3.weight",
        ),
        "bad/unknown": (
            {"pytorch_model.bin": pickled({"encoder.weight": torch.ones(3)})},
            "shape_mismatch",
            "FastGAN",
        ),
        "bad/only-code": (
            {"models.py": "import os\nos.system('echo hi')\n", "README.md": card("mit")},
            "file_missing",
            "models.py",
        ),
        "bad/bert": (
            {"config.json": '{"model_type": "bert"}', "pytorch_model.bin": good},
            "bad_config",
            "not a gancore checkpoint",
        ),
    }
    for repo, (files, reason, needle) in cases.items():
        hub.add(repo, files)
        assert needle in refused(repo, reason), repo
    assert not any("models.py" in p for p in hub.paths())  # code is never even downloaded
    assert not any("bad/bert/resolve/main/pytorch_model.bin" in p for p in hub.paths())
    # too large for the parameter cap: refused from the HEAD, before the GET
    msg = refused("huggan/fastgan-tiny", "too_large", max_parameters=10_000)
    assert "before downloading" in msg
    assert not any("fastgan-tiny/resolve/main/pytorch_model.bin" in p for p in hub.paths("GET"))
    # the generator alone over the cap (the file is small enough): refused before building
    assert "parameters" in refused("huggan/dcgan-tiny", "too_large", max_parameters=60_000)
    hub.add("owner/gated-gan", {"pytorch_model.bin": good}, gated=True, token="hf_x")
    assert "token" in refused("owner/gated-gan", "gated")
    assert "owner/nothing" in refused("owner/nothing", "repo_not_found")


def test_a_local_folder_of_community_weights_loads(refs, tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "dcgan"
    folder.mkdir()
    torch.save(refs["dcgan"].state_dict(), folder / "pytorch_model.bin")
    gan = load_checkpoint(folder)
    assert gan.family == "HugGAN DCGAN" and gan.url is None
    assert len(list((tmp_path / "cache" / "community").glob("*.safetensors"))) == 1


# ----- `sample --latents` for every model ------------------------------------------------------


def run_cli(args, capsys) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def test_sample_from_latents_reproduces_the_reference_images(hub, refs, tmp_path, capsys):
    z = torch.randn(4, 16, 1, 1, generator=torch.Generator().manual_seed(9))
    np.savez(tmp_path / "z.npz", z=z.numpy())
    code, err = run_cli(
        [
            "sample",
            "huggan/dcgan-tiny",
            "--latents",
            str(tmp_path / "z.npz"),
            "--out",
            str(tmp_path / "x.npz"),
        ],
        capsys,
    )
    assert code == 0, err
    with torch.no_grad():
        want = refs["dcgan"](z).numpy()
    np.testing.assert_allclose(np.load(tmp_path / "x.npz")["samples"], want, atol=TOL)
    # flat rows work too; a PNG grid as well
    np.savez(tmp_path / "flat.npz", z=z.numpy().reshape(4, 16))
    code, err = run_cli(
        [
            "sample",
            "huggan/dcgan-tiny",
            "--latents",
            str(tmp_path / "flat.npz"),
            "--out",
            str(tmp_path / "x.png"),
        ],
        capsys,
    )
    assert code == 0 and (tmp_path / "x.png").stat().st_size > 100


def test_latents_work_for_gancore_models_too(tmp_path, capsys):
    from gancore.io.checkpoint import save_checkpoint
    from gancore.models.dcgan import DCGANConfig, build_models

    cfg = DCGANConfig(image_size=28, channels=1, latent_dim=8, g_features=8, d_features=8)
    G, D = build_models(cfg)
    folder = save_checkpoint(
        tmp_path / "ours",
        generator=G,
        discriminator=D,
        config={
            "kind": "image",
            "model": cfg.to_dict(),
            "train": {},
            "data": {"name": "mnist"},
            "metrics": {},
            "command": "t",
        },
    )
    gan = load_checkpoint(folder)
    z = gan.generator.sample_latent(5, generator=torch.Generator().manual_seed(4), device="cpu")
    np.testing.assert_array_equal(sample_latents(gan, z.numpy()), gan.sample(5, seed=4))
    np.savez(tmp_path / "z.npz", z=z.numpy())
    code, err = run_cli(
        [
            "sample",
            str(folder),
            "--latents",
            str(tmp_path / "z.npz"),
            "--out",
            str(tmp_path / "s.npz"),
        ],
        capsys,
    )
    assert code == 0, err
    np.testing.assert_array_equal(np.load(tmp_path / "s.npz")["samples"], gan.sample(5, seed=4))


@pytest.mark.parametrize(
    ("arrays", "needle"),
    [
        ({"w": np.zeros((2, 16), np.float32)}, "no array 'z'"),
        ({"z": np.zeros((2, 7), np.float32)}, "rows of shape [7]"),
        ({"z": np.array([[np.nan] * 16], np.float32)}, "NaN"),
        ({"z": np.zeros((2, 16), np.float64)}, "float32"),
        ({"z": np.zeros(16, np.float32)}, "one row per image"),
    ],
)
def test_bad_latents_files_exit_2_with_one_line(hub, tmp_path, capsys, arrays, needle):
    np.savez(tmp_path / "z.npz", **arrays)
    code, err = run_cli(
        [
            "sample",
            "huggan/dcgan-tiny",
            "--latents",
            str(tmp_path / "z.npz"),
            "--out",
            str(tmp_path / "x.npz"),
        ],
        capsys,
    )
    assert code == 2 and needle in err and err.count("\n") == 1, err
    assert "Traceback" not in err


def test_the_cli_reports_bad_repos_in_one_line(hub, refs, tmp_path, capsys):
    marker = tmp_path / "pwned"
    hub.add("evil/cli", {"pytorch_model.bin": pickled({"model.0.weight": Payload(marker)})})
    hub.add("owner/code", {"models.py": "print('hi')\n"})
    for repo, needle in [("evil/cli", "nothing in it was executed"), ("owner/code", "models.py")]:
        code, err = run_cli(["sample", repo, "-n", "2", "--out", str(tmp_path / "x.npz")], capsys)
        assert code == 1 and needle in err and err.count("\n") == 1, err
    assert not marker.exists() and not (tmp_path / "x.npz").exists()


def test_eval_scores_a_community_model_as_the_dataset_it_is_told(hub, mnist_root, capsys):
    """Without --dataset a community model names nothing to score against: a message. With
    it, the shipped classifier reads its samples made grey 28 x 28, deterministically."""
    code, err = run_cli(["eval", "huggan/dcgan-tiny", "--n", "10"], capsys)
    assert code == 1 and "--dataset mnist" in err and "Traceback" not in err
    args = ["eval", "huggan/dcgan-tiny", "--n", "300", "--dataset", "MNIST"]
    args += ["--data-root", str(mnist_root)]
    reports = []
    for _ in range(2):
        assert cli.main(args) == 0
        reports.append(json.loads(capsys.readouterr().out))
    report = reports[0]
    assert report == reports[1] and report["samples"] == 300
    assert report["scored_as"] == "mnist: 64x64x1 samples made grey 28x28"
    assert report["frechet_distance"] > 0 and 1 <= report["classes_covered"] <= 10
    code, err = run_cli(args[:-2] + ["--dataset", "cifar10"], capsys)
    assert code == 1 and "'mnist', 'fashion-mnist'" in err
    code, err = run_cli(["eval", "huggan/fastgan-tiny", "--n", "10", "--dataset", "mnist"], capsys)
    assert code == 1 and "1024 px" in err and "256 px" in err
    code, err = run_cli(["eval", "ring8", "--n", "10", "--dataset", "mnist"], capsys)
    assert code == 1 and "names its own dataset" in err


def test_the_cli_draws_a_transparent_lightweight_gan_over_white(tmp_path, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("GANCORE_CACHE", str(tmp_path / "cache"))
    ref = R.randomize(
        R.LightweightGAN(image_size=64, latent_dim=16, fmap_max=16, transparent=True), 2
    )
    folder = tmp_path / "lw-rgba"
    folder.mkdir()
    torch.save({"GAN": ref.state_dict()}, folder / "model.pt")
    code, err = run_cli(
        ["sample", str(folder), "-n", "4", "--out", str(tmp_path / "x.png")], capsys
    )
    assert code == 0, err
    assert Image.open(tmp_path / "x.png").mode == "RGB"
    code, err = run_cli(
        ["sample", str(folder), "-n", "4", "--out", str(tmp_path / "x.npz")], capsys
    )
    assert code == 0 and np.load(tmp_path / "x.npz")["samples"].shape == (4, 4, 64, 64)
