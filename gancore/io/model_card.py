"""The model card (README.md) saved with every checkpoint.

Hub metadata (library, license, tags, pipeline), then the architecture, parameter counts,
classes, sample image, training command, metrics and a usage snippet, all from config.json.
"""

from __future__ import annotations

import json
from typing import Any

from huggingface_hub import ModelCardData

from gancore.io.format import HUB_LIBRARY, HUB_LICENSE, HUB_TAGS, SAMPLE_NAME
from gancore.models.kinds import MODEL_KINDS, ModelKind
from gancore.tasks import TASKS


def _cell(v: Any) -> str:
    if isinstance(v, list) and all(isinstance(x, float) for x in v):
        return ", ".join(f"{x:.4g}" for x in v)
    return f"{v:.4g}" if isinstance(v, float) else v if isinstance(v, str) else json.dumps(v)


def _front(spec: ModelKind, title: str, cfg: dict, *, conditional: bool = False) -> list[str]:
    """The Hub metadata (library, license, the kind's tags and pipeline), title, description."""
    tags = {*HUB_TAGS, *spec.hub_tags} | ({"conditional-gan"} if conditional else set())
    meta = ModelCardData(
        library_name=HUB_LIBRARY,
        license=HUB_LICENSE,
        tags=sorted(tags),
        pipeline_tag=spec.pipeline,
    )
    parts = [f"---\n{meta.to_yaml()}\n---\n", f"# {title}\n"]
    return parts + ([cfg["description"] + "\n"] if cfg.get("description") else [])


def _record(cfg: dict) -> list[str]:
    """The training command and the metrics table, as every card shows them."""
    parts = [f"## Training command\n\n```bash\n{cfg.get('command') or '(not recorded)'}\n```\n"]
    if cfg["metrics"]:
        rows = "".join(f"| {k} | {_cell(v)} |\n" for k, v in cfg["metrics"].items())
        parts.append(f"## Metrics\n\n| metric | value |\n|---|---|\n{rows}")
    return parts


def _end(parts: list[str], card_extra: str) -> str:
    return "\n".join(parts + ([card_extra.strip() + "\n"] if card_extra else []))


def card_text(cfg: dict, *, has_sample: bool = False, card_extra: str = "") -> str:
    """The README.md text (YAML metadata + markdown) for a validated checkpoint config."""
    model, data, spec = cfg["model"], cfg["data"], MODEL_KINDS[cfg["kind"]]
    if not spec.draws:
        return _translator_card(cfg, has_sample=has_sample, card_extra=card_extra)
    classes = model.get("num_classes", 0)
    arch = spec.arch
    counts = spec.config.from_dict(model).num_parameters()
    shape = spec.output_shape(model)
    shape = "x".join(map(str, shape)) + " images" if spec.images else f"{shape[0]}D points"
    parts = _front(
        spec, f"{arch} on {data.get('name', 'unknown data')}", cfg, conditional=bool(classes)
    )
    parts.append(
        f"A {'class-conditional ' if classes else ''}{arch} trained with gancore: the generator maps "
        f"a {model['latent_dim']}-dimensional latent to {shape}. Parameters: generator "
        f"{counts['generator']:,}, discriminator {counts['discriminator']:,}.\n"
    )
    if classes:
        names = data.get("class_names") or [str(i) for i in range(classes)]
        parts.append("Classes: " + ", ".join(f"`{c}`" for c in names) + "\n")
    if has_sample:
        parts.append(f"## Samples\n\n![Samples from the generator]({SAMPLE_NAME})\n")
    parts += _record(cfg)
    parts.append(
        "## Use\n\n```python\nfrom gancore.io.hub import load_checkpoint\n\n"
        'gan = load_checkpoint("OWNER/NAME")  # a Hub repo id, a folder or a shipped name\n'
        "x = gan.sample(16, seed=0)\n```\n"
    )
    return _end(parts, card_extra)


def _translator_card(cfg: dict, *, has_sample: bool = False, card_extra: str = "") -> str:
    """The card of a pix2pix model: it translates inputs rather than drawing samples."""
    spec = MODEL_KINDS[cfg["kind"]]
    model = spec.config.from_dict(cfg["model"])
    counts = model.num_parameters()
    objective = (
        f"the {cfg['train'].get('loss', 'non_saturating')} conditional GAN loss of a PatchGAN "
        f"plus {model.l1_lambda:g} x L1"
        if model.adversarial
        else f"{model.l1_lambda:g} x L1 only (no GAN term: the baseline)"
    )
    shape = f"{model.channels}x{model.image_size}x{model.image_size}"
    parts = _front(
        spec, f"{spec.arch} ({model.task}) on {cfg['data'].get('name', 'unknown data')}", cfg
    )
    parts.append(
        f"An image-to-image model trained with gancore (Isola et al. 2017): a U-Net generator "
        f"maps a {shape} input in [-1, 1] to a {shape} output. Task `{model.task}`: "
        f"{TASKS[model.task]}. Objective: {objective}. Parameters: generator "
        f"{counts['generator']:,}, discriminator {counts['discriminator']:,}.\n"
    )
    if has_sample:
        parts.append(
            f"## Examples\n\nRows: input, output, target (test images).\n\n"
            f"![Examples]({SAMPLE_NAME})\n"
        )
    parts += _record(cfg)
    parts.append(
        "## Use\n\n```bash\npython -m gancore translate SOURCE --input IN.npz --out OUT.npz\n```\n\n"
        "```python\nfrom gancore import tasks\nfrom gancore.io.hub import load_checkpoint\n"
        "from gancore.train.pix2pix import translate\n\n"
        'gan = load_checkpoint("OWNER/NAME")  # a Hub repo id, a folder or a shipped name\n'
        + (
            "outputs = translate(gan.generator, inputs)  # float32 (N, C, H, W) in [-1, 1]\n```\n"
            if model.task == "paired"
            else f'outputs = translate(gan.generator, tasks.make_input("{model.task}", images))\n```\n'
        )
    )
    return _end(parts, card_extra)
