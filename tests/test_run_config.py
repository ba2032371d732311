"""One run configuration for every kind (issue 18): RunConfig, the registry of kinds, the one
checkpoint config, and one set of toy metric names (old checkpoints still read)."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch

from gancore.data.toy import get_toy
from gancore.eval.toy import TOY_METRICS, toy_quality
from gancore.io.format import validate_config
from gancore.io.hub import load_checkpoint
from gancore.io.sources import shipped_checkpoints_dir
from gancore.models.dcgan import DCGANConfig
from gancore.presets.run_config import (
    KINDS,
    RunConfig,
    all_presets,
    from_checkpoint,
    resolve_run,
    run_kind,
)
from gancore.runs import scores
from gancore.train.trainer import TrainConfig


@pytest.mark.parametrize("name", sorted(all_presets()))
def test_every_preset_is_one_validated_run_config_that_round_trips(name):
    cfg = resolve_run(name)
    assert cfg.kind == run_kind(name) and cfg.name == name
    assert isinstance(cfg.model, KINDS[cfg.kind].model) and isinstance(cfg.train, TrainConfig)
    again = RunConfig.from_dict(cfg.to_dict())
    assert again == cfg and again.to_dict() == cfg.to_dict()
    json.dumps(cfg.to_dict())  # JSON all the way


def test_overrides_and_seed_and_bad_values():
    cfg = resolve_run("dcgan-mnist", seed=7, overrides=["train.lr_g=5e-4", "model.g_features=16"])
    assert (cfg.train.seed, cfg.train.lr_g, cfg.model.g_features) == (7, 5e-4, 16)
    assert isinstance(cfg.model, DCGANConfig)
    with pytest.raises(ValueError, match="lr_g"):
        resolve_run("ring8", overrides=["train.lr_g=-1"])
    with pytest.raises(ValueError, match="unknown preset 'nope'; choose one of"):
        resolve_run("nope")
    with pytest.raises(ValueError, match="kind must be one of"):
        RunConfig.from_dict({"kind": "video"})
    assert {run_kind(n) for n in all_presets()} == set(KINDS)


def test_one_checkpoint_config_for_every_kind():
    for name in ("ring8", "cgan-mnist", "pix2pix-edges-mnist"):
        cfg = resolve_run(name)
        out = cfg.checkpoint_config(
            metrics={"step": 3, "grid_kl": 0.5},
            command="python -m gancore train " + name,
            class_names=[str(i) for i in range(10)] if name == "cgan-mnist" else None,
        )
        checked = validate_config({"format": "gancore/1", **out})
        assert checked["kind"] == cfg.kind and checked["model"] == cfg.model.to_dict()
        assert checked["metrics"] == {"step": 3, "grid_kl_data_g": 0.5}  # today's name
        assert from_checkpoint(checked) == cfg  # what resume rebuilds
        assert ("class_names" in checked["data"]) == (name == "cgan-mnist")


def test_a_checkpoint_saved_with_the_old_metric_names_still_loads(tmp_path):
    # the labs' exports before issue 18 wrote grid_kl / grid_kl_rev; the CLI grid_kl_data_g / ..._g_data
    old = tmp_path / "ring8-old"
    shutil.copytree(shipped_checkpoints_dir() / "ring8", old)
    cfg = json.loads((old / "config.json").read_text())
    kl, rev = cfg["metrics"].pop("grid_kl_data_g"), cfg["metrics"].pop("grid_kl_g_data")
    cfg["metrics"].update(grid_kl=kl, grid_kl_rev=rev)
    (old / "config.json").write_text(json.dumps(cfg))
    card = (old / "README.md").read_text()
    (old / "README.md").write_text(
        card.replace("grid_kl_data_g", "grid_kl").replace("grid_kl_g_data", "grid_kl_rev")
    )
    loaded = load_checkpoint(old)
    assert loaded.config["metrics"]["grid_kl_data_g"] == kl
    assert loaded.config["metrics"]["grid_kl_g_data"] == rev
    assert "grid_kl" not in loaded.config["metrics"]
    new = load_checkpoint(shipped_checkpoints_dir() / "ring8")
    assert loaded.config["metrics"] == new.config["metrics"]


def test_the_cli_and_the_labs_report_toy_metrics_under_one_set_of_names():
    from gancore.live.toy_run import ToyRun

    dist = get_toy("ring8")
    fakes = dist.sample(2000, torch.Generator().manual_seed(3)).numpy().astype(np.float64)
    cli = scores.toy_quality(fakes, dist)
    live = ToyRun(resolve_run("ring8").to_dict(), "ring8").metrics_of(fakes)
    assert set(cli) == set(TOY_METRICS) | {"samples"} and set(live) == set(TOY_METRICS)
    real = dist.sample(2000, torch.Generator().manual_seed(4)).numpy()
    direct = toy_quality(fakes, real, dist)
    assert direct["modes_captured"] == 8 and direct["high_quality_share"] > 0.9
    assert 0 <= direct["grid_js"] < 0.1  # real vs real-like fakes
