"""The checkpoint format on disk: save -> load round trips, strict checks, atomic writes, resume state."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import gancore.io.atomic as atomic
import gancore.io.training_state as ts
from gancore.io.checkpoint import GANModel, save_checkpoint
from gancore.io.format import CheckpointError, validate_config
from gancore.io.hub import load_checkpoint
from gancore.io.sources import list_shipped_checkpoints
from gancore.io.training_state import load_training_state, save_training_state
from gancore.models.dcgan import DCGANConfig, build_models
from gancore.models.kinds import MODEL_KINDS
from gancore.models.mlp import MLPConfig, MLPDiscriminator, MLPGenerator
from gancore.train.trainer import TrainConfig


def toy_config(**model) -> dict:
    m = dict(latent_dim=2, g_hidden_layers=1, g_width=8, d_hidden_layers=1, d_width=8)
    m.update(model)
    return {
        "kind": "toy",
        "model": MLPConfig(**m).to_dict(),
        "train": TrainConfig(batch_size=8).to_dict(),
        "data": {"name": "ring8"},
        "metrics": {"mode_coverage": 0.875, "kl": float("nan")},
        "command": "python -m gancore train ring8 --max-steps 10",
    }


def image_config(num_classes: int = 3, cond_mode: str = "projection") -> dict:
    m = DCGANConfig(
        image_size=28,
        channels=1,
        latent_dim=8,
        g_features=8,
        d_features=8,
        num_classes=num_classes,
        embed_dim=4,
        cond_mode=cond_mode,
    )
    data = {"name": "mnist"}
    if num_classes:
        data["class_names"] = [f"c{i}" for i in range(num_classes)]
    return {"kind": "image", "model": m.to_dict(), "data": data, "metrics": {"fid": 12.5}}


def toy_models(cfg: dict, seed: int = 0):
    torch.manual_seed(seed)
    mc = MLPConfig.from_dict(cfg["model"])
    return MLPGenerator(mc), MLPDiscriminator(mc)


def image_models(cfg: dict, seed: int = 0):
    torch.manual_seed(seed)
    g, d = build_models(DCGANConfig.from_dict(cfg["model"]))
    # move BatchNorm running statistics off their defaults so buffers are round-tripped too
    with torch.no_grad():
        g.train()(
            g.sample_latent(4), torch.arange(4) % max(1, g.num_classes) if g.num_classes else None
        )
    return g, d


def direct_sample(g, n: int, seed: int, y=None) -> np.ndarray:
    g.eval()
    with torch.inference_mode():
        z = g.sample_latent(n, generator=torch.Generator().manual_seed(seed), device="cpu")
        return g(z, y).numpy()


def png_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("L", (4, 4), 128).save(buf, format="PNG")
    return buf.getvalue()


def clean(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "Traceback" not in msg and "\n" not in msg and len(msg) < 700, msg
    return msg


# ----- round trips -----------------------------------------------------------------------------


def test_toy_round_trip_gives_identical_samples(tmp_path):
    cfg = toy_config(spectral_norm=True)
    g, d = toy_models(cfg)
    out = save_checkpoint(tmp_path / "toy", generator=g, discriminator=d, config=cfg)
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md",
        "config.json",
        "model.safetensors",
    ]
    on_disk = json.loads((out / "config.json").read_text())
    assert on_disk["format"] == "gancore/1" and on_disk["kind"] == "toy"
    assert on_disk["metrics"] == {"mode_coverage": 0.875, "kl": None}  # strict JSON
    assert on_disk["train"]["batch_size"] == 8 and on_disk["model"]["g_width"] == 8

    gan = load_checkpoint(out)
    assert gan.kind == "toy" and gan.class_names == [] and "folder" in gan.source
    assert not gan.generator.training and not gan.discriminator.training
    x = gan.sample(64, seed=3)
    assert x.dtype == np.float32 and x.shape == (64, 2)
    np.testing.assert_array_equal(x, direct_sample(g, 64, 3))
    np.testing.assert_array_equal(x, gan.sample(64, seed=3))
    assert not np.array_equal(x, gan.sample(64, seed=4))
    for a, b in zip(d.state_dict().values(), gan.discriminator.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # spectral-norm u/v buffers included
    assert gan.sample(0).shape == (0, 2)

    card = (out / "README.md").read_text()
    front = card.split("---")[1]
    assert "library_name: gancore" in front and "license: mit" in front
    assert "pipeline_tag" not in front and "- gan\n" in front
    assert cfg["command"] in card and "| mode_coverage | 0.875 |" in card


def test_conditional_dcgan_round_trip_with_labels_and_sample_png(tmp_path):
    cfg = image_config(num_classes=3)
    g, d = image_models(cfg)
    out = save_checkpoint(
        tmp_path / "img",
        generator=g,
        discriminator=d,
        config=cfg,
        sample_png=png_bytes(),
        card_extra="Extra words.",
    )
    card = (out / "README.md").read_text()
    assert "pipeline_tag: unconditional-image-generation" in card
    assert "![Samples from the generator](sample.png)" in card and "Extra words." in card
    assert (out / "sample.png").read_bytes() == png_bytes()

    gan = load_checkpoint(out)
    assert gan.kind == "image" and gan.class_names == ["c0", "c1", "c2"] and gan.num_classes == 3
    x = gan.sample(7, seed=1)
    assert x.shape == (7, 1, 28, 28) and x.dtype == np.float32 and np.abs(x).max() <= 1
    y = torch.arange(7) % 3  # labels=None cycles the classes
    np.testing.assert_array_equal(x, direct_sample(g, 7, 1, y))
    np.testing.assert_array_equal(
        gan.sample(5, seed=2, labels=1), direct_sample(g, 5, 2, torch.full((5,), 1))
    )
    np.testing.assert_array_equal(gan.resolve_labels(4, [2, 0, 1, 2]), [2, 0, 1, 2])
    for bad in (3, [0, 1], [0.5] * 4, -1):
        with pytest.raises(ValueError, match="labels"):
            gan.sample(4, labels=bad)
    for a, b in zip(g.state_dict().values(), gan.generator.state_dict().values(), strict=True):
        assert torch.equal(a, b)  # BatchNorm running stats too


def test_unconditional_dcgan_channel_and_mixin_from_pretrained(tmp_path):
    cfg = image_config(num_classes=0)
    g, d = image_models(cfg)
    out = save_checkpoint(tmp_path / "u", generator=g, discriminator=d, config=cfg)
    gan = load_checkpoint(out)
    assert gan.class_names == [] and gan.resolve_labels(3) is None
    with pytest.raises(ValueError, match="unconditional"):
        gan.sample(2, labels=0)
    model = GANModel.from_pretrained(out)  # the mixin's own entry point, same safe loader
    assert isinstance(model, GANModel) and not model.training
    for a, b in zip(gan.model.state_dict().values(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_truncation_bounds_the_latent_and_is_deterministic(tmp_path):
    cfg = toy_config(g_hidden_layers=0, latent_dim=2)  # G is one linear layer: set it to identity
    g, d = toy_models(cfg)
    with torch.no_grad():
        g.net[0].weight.copy_(torch.eye(2))
        g.net[0].bias.zero_()
    gan = load_checkpoint(save_checkpoint(tmp_path / "t", generator=g, discriminator=d, config=cfg))
    z = gan.sample(4000, seed=0, truncation=0.5)
    assert np.abs(z).max() <= 0.5 and np.abs(z).max() > 0.49
    np.testing.assert_array_equal(z, gan.sample(4000, seed=0, truncation=0.5))
    assert np.abs(gan.sample(4000, seed=0)).max() > 2  # untruncated normal
    assert abs(gan.sample(20000, seed=1, truncation=50.0).std() - 1) < 0.03
    with pytest.raises(ValueError, match="truncation"):
        gan.sample(2, truncation=0)


# ----- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda c: c.pop("format"), "not a gancore checkpoint"),
        (lambda c: c.update(format="gancore/9"), "upgrade gancore"),
        (lambda c: c.update(kind="audio"), "kind"),
        (lambda c: c["model"].update(g_width=-1), "g_width"),
        (lambda c: c["model"].update(depth=3), "depth"),
        (lambda c: c.update(extra=1), "extra"),
        (lambda c: c["train"].update(lr_g=-1.0), "lr_g"),
        (lambda c: c.update(model=[1]), "'model' must be a JSON object"),
        (lambda c: c["data"].update(class_names=["a"]), None),  # unconditional: names are info only
    ],
)
def test_validate_config_names_the_bad_key(edit, needle):
    cfg = {"format": "gancore/1", **toy_config()}
    edit(cfg)
    if needle is None:
        assert validate_config(cfg)["data"]["class_names"] == ["a"]
        return
    with pytest.raises(CheckpointError, match=needle) as err:
        validate_config(cfg)
    assert err.value.reason == "bad_config" and clean(err)


def test_class_names_must_match_num_classes():
    cfg = {"format": "gancore/1", **image_config(3)}
    cfg["data"]["class_names"] = ["a", "b"]
    with pytest.raises(CheckpointError, match="class_names has 2 names but model.num_classes is 3"):
        validate_config(cfg)


def test_enormous_config_is_refused_before_allocating(tmp_path, monkeypatch):
    huge = DCGANConfig(image_size=128, g_features=256, d_features=256, latent_dim=512)
    assert huge.num_parameters()["total"] > 50_000_000
    cfg = {"format": "gancore/1", "kind": "image", "model": huge.to_dict()}

    def no_allocation(*a, **k):
        raise AssertionError("models were built for an over-limit config")

    for kind, spec in MODEL_KINDS.items():
        monkeypatch.setitem(MODEL_KINDS, kind, dataclasses.replace(spec, build=no_allocation))
    with pytest.raises(CheckpointError, match="over the limit") as err:
        validate_config(cfg)
    assert err.value.reason == "too_large" and clean(err)
    folder = tmp_path / "huge"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match="refused before allocating"):
        load_checkpoint(folder)
    small = {"format": "gancore/1", **toy_config()}
    with pytest.raises(CheckpointError, match="over the limit of 50"):
        validate_config(small, max_parameters=50)
    total = MLPConfig.from_dict(small["model"]).num_parameters()["total"]
    g, d = toy_models(small)
    assert total == sum(p.numel() for m in (g, d) for p in m.parameters())


# ----- strict weights ----------------------------------------------------------------------------


def saved_toy(tmp_path, name="c", **model):
    cfg = toy_config(**model)
    g, d = toy_models(cfg)
    return save_checkpoint(tmp_path / name, generator=g, discriminator=d, config=cfg), g


def test_wrong_shapes_missing_and_extra_keys_are_refused(tmp_path):
    out, _ = saved_toy(tmp_path)
    good = load_file(out / "model.safetensors")
    cases = {
        "shape": (
            {**good, "generator.net.0.weight": torch.zeros(9, 2)},
            r"generator.net.0.weight has shape \[9, 2\] there but the model expects \[8, 2\]",
        ),
        "missing": (
            {k: v for k, v in good.items() if k != "discriminator.net.2.bias"},
            "missing keys.*discriminator.net.2.bias",
        ),
        "extra": ({**good, "generator.extra": torch.zeros(1)}, "unexpected keys.*generator.extra"),
        "dtype": ({**good, "generator.net.0.bias": torch.zeros(8, dtype=torch.int64)}, "dtype"),
    }
    for state, needle in cases.values():
        save_file(state, out / "model.safetensors")
        with pytest.raises(CheckpointError, match=needle) as err:
            load_checkpoint(out)
        assert err.value.reason == "shape_mismatch" and clean(err)


def test_save_refuses_modules_that_do_not_match_the_config(tmp_path):
    cfg = toy_config()
    g, d = toy_models(toy_config(g_width=16))
    with pytest.raises(CheckpointError, match="generator passed to save_checkpoint.*shape"):
        save_checkpoint(tmp_path / "x", generator=g, discriminator=d, config=cfg)
    assert not (tmp_path / "x").exists()


def test_truncated_and_oversized_weights_are_refused(tmp_path):
    out, _ = saved_toy(tmp_path)
    blob = (out / "model.safetensors").read_bytes()
    (out / "model.safetensors").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated") as err:
        load_checkpoint(out)
    assert err.value.reason == "corrupt" and clean(err)
    (out / "model.safetensors").write_bytes(blob[:5])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_checkpoint(out)
    (out / "model.safetensors").write_bytes(blob + b"\0" * 2_000_000)
    with pytest.raises(CheckpointError, match="far more than") as err:
        load_checkpoint(out)
    assert err.value.reason == "too_large"


class Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))  # unpickling this creates the marker file


def test_legacy_bin_plain_tensors_load_but_pickled_code_is_refused(tmp_path):
    out, g = saved_toy(tmp_path)
    state = load_file(out / "model.safetensors")
    (out / "model.safetensors").unlink()
    torch.save(state, out / "pytorch_model.bin")
    np.testing.assert_array_equal(load_checkpoint(out).sample(8, seed=0), direct_sample(g, 8, 0))

    live = tmp_path / "live-marker"
    pickle.loads(pickle.dumps(Payload(live))).close()
    assert live.exists()  # the payload really runs when unpickled naively
    marker = tmp_path / "marker"
    torch.save({**state, "generator.net.0.weight": Payload(marker)}, out / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match="refused.*nothing in it was executed") as err:
        load_checkpoint(out)
    assert err.value.reason == "pickle_refused" and clean(err)
    assert not marker.exists()


# ----- sources -------------------------------------------------------------------------------------


def test_source_resolution_and_shipped_names(tmp_path, monkeypatch):
    shipped = tmp_path / "shipped"
    out, g = saved_toy(shipped, name="ring-demo")
    monkeypatch.setenv("GANCORE_CHECKPOINTS", str(shipped))
    assert list_shipped_checkpoints() == ["ring-demo"]
    gan = load_checkpoint("ring-demo")
    assert gan.source == "shipped checkpoint ring-demo"
    np.testing.assert_array_equal(gan.sample(4), direct_sample(g, 4, 0))
    for source, reason in [
        ("not a repo!!", "invalid_repo_id"),
        ("ring-demo2", "invalid_repo_id"),
        (str(tmp_path / "nope"), "not_found"),
        (str(out / "config.json"), "not_found"),
    ]:
        with pytest.raises(CheckpointError) as err:
            load_checkpoint(source)
        assert err.value.reason == reason and clean(err)
    with pytest.raises(CheckpointError, match="Hub repos only"):
        load_checkpoint(out, revision="v1")
    (out / "config.json").unlink()
    with pytest.raises(CheckpointError, match="no config.json"):
        load_checkpoint(out)


# ----- atomic saves ------------------------------------------------------------------------------


def leftovers(parent):
    return [p.name for p in parent.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("exchange", [True, False])
def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(atomic, "_exchange", lambda a, b: False)  # two-rename fallback
    cfg = toy_config()
    g1, d1 = toy_models(cfg, seed=1)
    g2, d2 = toy_models(cfg, seed=2)
    out = save_checkpoint(tmp_path / "c", generator=g1, discriminator=d1, config=cfg)
    before = load_checkpoint(out).sample(16)

    def boom(*a, **k):
        raise OSError("disk full (simulated)")

    with monkeypatch.context() as m:
        m.setattr(ts, "write_training_state", boom)  # after weights, config and card are written
        with pytest.raises(OSError, match="simulated"):
            save_checkpoint(
                out, generator=g2, discriminator=d2, config=cfg, training_state={"a": 1}
            )
    np.testing.assert_array_equal(load_checkpoint(out).sample(16), before)
    assert leftovers(tmp_path) == []

    with monkeypatch.context() as m:
        m.setattr(atomic, "_exchange", lambda a, b: False)
        calls = []
        real_rename = atomic.os.rename

        def flaky(a, b):
            calls.append((a, b))
            if len(calls) == 2:  # old moved aside, new one fails to land
                raise OSError("rename failed (simulated)")
            real_rename(a, b)

        m.setattr(atomic.os, "rename", flaky)
        with pytest.raises(OSError, match="simulated"):
            save_checkpoint(out, generator=g2, discriminator=d2, config=cfg)
    np.testing.assert_array_equal(load_checkpoint(out).sample(16), before)
    assert leftovers(tmp_path) == []

    save_checkpoint(out, generator=g2, discriminator=d2, config=cfg)
    np.testing.assert_array_equal(load_checkpoint(out).sample(16), direct_sample(g2, 16, 0))
    assert leftovers(tmp_path) == [] and (out.stat().st_mode & 0o777) == 0o755


def test_save_refuses_to_replace_a_foreign_folder(tmp_path):
    cfg = toy_config()
    g, d = toy_models(cfg)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    with pytest.raises(CheckpointError, match="refusing to replace") as err:
        save_checkpoint(tmp_path / "mine", generator=g, discriminator=d, config=cfg)
    assert err.value.reason == "unsafe_overwrite"
    assert (tmp_path / "mine" / "notes.txt").read_text() == "precious"


# ----- training state --------------------------------------------------------------------------


def assert_same(a, b, path="state"):
    assert type(a) is type(b) or (isinstance(a, dict) and isinstance(b, dict)), (
        path,
        type(a),
        type(b),
    )
    if isinstance(a, torch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and torch.equal(a, b), path
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), path
    elif isinstance(a, dict):
        assert list(a) == list(b), path
        for k in a:
            assert type(k) is type(next(kk for kk in b if kk == k)), (path, k)
            assert_same(a[k], b[k], f"{path}/{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{path}/{i}")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b and (
            not isinstance(a, float) or math.copysign(1, a) == math.copysign(1, b)
        ), path


def test_training_state_round_trips_exactly(tmp_path):
    state = {
        "rng": torch.Generator().manual_seed(5).get_state(),  # uint8
        "step": torch.tensor(7, dtype=torch.int64),
        "opt": {
            "state": {0: {"step": torch.tensor(3.0), "exp_avg": torch.randn(2, 3)}, 1: {}},
            "param_groups": [
                {
                    "lr": 1e-3,
                    "betas": (0.5, 0.999),
                    "params": [0, 1],
                    "foreach": None,
                    "amsgrad": False,
                }
            ],
        },
        "dtypes": [
            torch.ones(2, dtype=dt)
            for dt in (
                torch.float16,
                torch.bfloat16,
                torch.float64,
                torch.int32,
                torch.int8,
                torch.bool,
            )
        ],
        "empty": torch.zeros(0, 3),
        "view": torch.arange(12.0).reshape(3, 4)[:, 1],  # non-contiguous
        "np": np.arange(6, dtype=np.int16).reshape(2, 3),
        "floats": [float("nan"), float("inf"), float("-inf"), -0.0, 0.1, 1e-310],
        "big": 2**100,
        "text": "ünïcode",
        "__dunder": {"__tensor__": "not a tensor"},
        "mixed": {1: "a", "1": "b", None: True, 2.5: [None, ()]},
    }
    save_training_state(tmp_path / "s", state)
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "training_state.json",
        "training_state.safetensors",
    ]
    json.loads((tmp_path / "s" / "training_state.json").read_text(), parse_constant=pytest.fail)
    assert_same(state, load_training_state(tmp_path / "s"))
    with pytest.raises(TypeError, match="cannot save a set at /bad"):
        save_training_state(tmp_path / "s", {"bad": {1, 2}})
    assert_same(state, load_training_state(tmp_path / "s"))  # the failed save changed nothing
    with pytest.raises(CheckpointError, match="no training state"):
        load_training_state(tmp_path)


def test_trainer_resumes_bit_exactly_from_saved_state(tmp_path):
    from gancore.presets.toy import build_from_preset

    overrides = ["model.g_width=16", "model.d_width=16", "train.batch_size=32"]
    full, _ = build_from_preset("ring8", seed=3, overrides=overrides)
    full.run(steps=6)

    first, _ = build_from_preset("ring8", seed=3, overrides=overrides)
    first.run(steps=3)
    cfg = {
        "kind": "toy",
        "model": first.generator.config.to_dict(),
        "train": first.config.to_dict(),
        "data": {"name": "ring8"},
    }
    out = save_checkpoint(
        tmp_path / "run",
        generator=first.ema_generator,
        discriminator=first.discriminator,
        config=cfg,
        training_state=first.state_dict(),
    )
    save_training_state(out, first.state_dict())  # keeps the checkpoint files beside it
    assert {"config.json", "model.safetensors", "training_state.json"} <= {
        p.name for p in out.iterdir()
    }
    load_checkpoint(out)

    resumed, _ = build_from_preset("ring8", seed=3, overrides=overrides)
    resumed.load_state_dict(load_training_state(out))
    resumed.run(steps=3)
    assert resumed.step_count == full.step_count == 6
    assert_same(full.history, resumed.history)
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert_same(a, b)


def test_orphaned_temporary_folders_of_dead_writers_are_cleaned(tmp_path):
    import os
    import subprocess

    from gancore.io.atomic import atomic_folder_write

    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    orphan = tmp_path / f".run.tmp-{dead.pid}-abc"
    orphan.mkdir()
    (orphan / "config.json").write_text("{}")
    mine = tmp_path / f".run.tmp-{os.getpid()}-live"  # a live writer's (ours): left alone
    mine.mkdir()
    other = tmp_path / ".other.tmp-1-x"  # another folder's: not ours to touch
    other.mkdir()
    atomic_folder_write(tmp_path / "run", lambda d: (d / "a.txt").write_text("x"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name, "run"])
    assert (tmp_path / "run" / "a.txt").read_text() == "x"


def test_the_mixins_own_save_pretrained_writes_the_validated_config(tmp_path):
    # a user calling the Hub mixin directly gets the same config.json as save_checkpoint
    model = GANModel({"format": "gancore/1", "kind": "toy", "model": {"data_dim": 2}})
    model.save_pretrained(tmp_path / "m")
    written = json.loads((tmp_path / "m" / "config.json").read_text())
    assert written == model.config and written["model"] == MLPConfig(data_dim=2).to_dict()
    again = GANModel.from_pretrained(str(tmp_path / "m"))
    assert again.config == model.config
    assert all(
        torch.equal(a, b)
        for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True)
    )
