"""The model card (README.md) of a pix2pix checkpoint: task, architecture, numbers, usage."""

from __future__ import annotations

import json
from typing import Any

from huggingface_hub import ModelCardData

from gancore.io.format import HUB_LIBRARY, HUB_LICENSE, SAMPLE_NAME, count_parameters
from gancore.models.pix2pix import Pix2PixConfig
from gancore.tasks import TASKS


def _cell(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else v if isinstance(v, str) else json.dumps(v)


def pix2pix_card_text(cfg: dict, *, has_sample: bool = False, card_extra: str = "") -> str:
    model = Pix2PixConfig.from_dict(cfg["model"])
    counts = count_parameters("pix2pix", model)
    meta = ModelCardData(
        library_name=HUB_LIBRARY,
        license=HUB_LICENSE,
        tags=["gan", "gancore", "pix2pix", "pytorch", "image-to-image"],
        pipeline_tag="image-to-image",
    )
    objective = (
        f"the {cfg['train'].get('loss', 'non_saturating')} conditional GAN loss of a PatchGAN "
        f"plus {model.l1_lambda:g} x L1"
        if model.adversarial
        else f"{model.l1_lambda:g} x L1 only (no GAN term: the baseline)"
    )
    shape = f"{model.channels}x{model.image_size}x{model.image_size}"
    parts = [
        f"---\n{meta.to_yaml()}\n---\n",
        f"# pix2pix ({model.task}) on {cfg['data'].get('name', 'unknown data')}\n",
    ]
    parts += [cfg["description"] + "\n"] if cfg.get("description") else []
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
    parts.append(f"## Training command\n\n```bash\n{cfg.get('command') or '(not recorded)'}\n```\n")
    if cfg["metrics"]:
        rows = "".join(f"| {k} | {_cell(v)} |\n" for k, v in cfg["metrics"].items())
        parts.append(f"## Metrics\n\n| metric | value |\n|---|---|\n{rows}")
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
    return "\n".join(parts + ([card_extra.strip() + "\n"] if card_extra else []))
