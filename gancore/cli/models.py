"""`sample`, `eval`, `translate`, `push` and `link`: what a trained model or a preset is used for."""

from __future__ import annotations

import json
import sys

import numpy as np

from gancore.cli.errors import EXIT_USAGE, UsageError, UserError
from gancore.cli.training import set_torch_threads
from gancore.community.display import opaque


def cmd_sample(args, argv) -> int:
    from gancore.io.hub import load_checkpoint
    from gancore.models.kinds import MODEL_KINDS
    from gancore.viz import render

    latents = None
    if args.latents is not None:
        from gancore.community.latents import read_latents

        try:
            latents = read_latents(args.latents)
        except ValueError as err:  # a bad latents file is a usage error: exit 2
            print(f"gancore sample: {err}", file=sys.stderr)
            return EXIT_USAGE
        if args.n is not None or args.truncation is not None:
            raise UserError("--latents gives the samples: drop -n and --truncation.")
        args.n = len(latents)
    if args.n is None:
        raise UserError("give -n N (how many samples) or --latents FILE.npz.")
    if not 1 <= args.n <= 100_000:
        raise UserError(f"-n must be between 1 and 100000, got {args.n}.")
    suffix = args.out.suffix.lower()
    if suffix not in (".npz", ".png"):
        raise UserError(f"--out must end in .npz or .png, got {args.out.name!r}.")
    loaded = load_checkpoint(args.source, revision=args.revision)
    set_torch_threads(loaded.kind)
    if (args.label is not None or args.labels) and not loaded.num_classes:
        raise UserError(f"{args.source} is unconditional: it takes no --label/--labels.")
    labels = args.label if args.label is not None else None
    labels = loaded.resolve_labels(args.n, labels)
    if latents is not None:
        from gancore.community.latents import sample_latents

        try:
            samples = sample_latents(loaded, latents, seed=args.seed, labels=labels)
        except ValueError as err:  # z does not fit this model: also a usage error
            print(f"gancore sample: {err}", file=sys.stderr)
            return EXIT_USAGE
    else:
        samples = loaded.sample(args.n, seed=args.seed, labels=labels, truncation=args.truncation)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".npz":
        arrays = {"samples": samples.astype(np.float32)}
        if labels is not None:
            arrays["labels"] = labels.astype(np.int64)
        np.savez(args.out, **arrays)
    elif MODEL_KINDS[loaded.kind].images:
        if labels is not None and args.label is None:  # one row per class
            samples, nrow = rows_by_label(samples, labels, loaded.num_classes)
        else:
            nrow = None
        # a transparent (RGBA) community model is shown over white, as on the Generate page
        render.image_grid(opaque(samples), nrow=nrow).save(args.out)
    else:
        render.scatter(samples).save(args.out)
    print(f"wrote {args.n} samples to {args.out}", file=sys.stderr)
    return 0


def cmd_eval(args, argv) -> int:
    from gancore.io.hub import load_checkpoint
    from gancore.runs import scores

    if args.n is not None and not 10 <= args.n <= 100_000:
        raise UserError(f"--n must be between 10 and 100000, got {args.n}.")
    loaded = load_checkpoint(args.source, revision=args.revision)
    set_torch_threads(loaded.kind)
    if args.n is None:
        from gancore.eval.stacked import PACGAN_SAMPLES

        stacked = loaded.config.get("data", {}).get("name") == "stacked-mnist"
        args.n = PACGAN_SAMPLES if stacked else 2500
    root = None if args.data_root is None else str(args.data_root)
    if loaded.config.get("format") == "community":
        if args.dataset is None or args.inception:
            raise UserError(
                f"{args.source} is a {loaded.config['description']} community model: it names no "
                "dataset to score it against. Pass --dataset mnist or --dataset fashion-mnist to "
                "score it as a generator of that set (its images made grey 28x28 for the shipped "
                "classifier; no --inception), or use `sample` to look at it."
            )
        report = scores.score_community(loaded, args.dataset, n=args.n, data_root=root)
        print(json.dumps(report, indent=2))
        return 0
    if args.dataset is not None:
        raise UserError(
            f"--dataset is for community models; {args.source} names its own dataset "
            f"({loaded.config['data'].get('name')})."
        )
    from gancore.eval.inception import InceptionUnavailable

    try:
        report = scores.score_checkpoint(loaded, n=args.n, data_root=root, inception=args.inception)
    except InceptionUnavailable as err:
        raise UserError(f"--inception: {err}") from None
    print(json.dumps(report, indent=2))
    return 0


def cmd_translate(args, argv) -> int:
    from gancore.io.hub import load_checkpoint
    from gancore.io.translate_files import TranslateInputError, read_inputs, write_outputs
    from gancore.train.pix2pix import translate

    if args.out.suffix.lower() not in (".npz", ".png"):
        raise UsageError(f"--out must end in .npz or .png, got {args.out.name!r}.")
    loaded = load_checkpoint(args.source, revision=args.revision)
    if loaded.kind != "pix2pix":
        raise UserError(
            f"{args.source} is a {loaded.kind} checkpoint: it draws samples (use `sample`); "
            "translate needs a pix2pix checkpoint (e.g. one trained from pix2pix-edges-mnist)."
        )
    m = loaded.config["model"]
    try:
        x = read_inputs(args.input, channels=m["channels"], image_size=m["image_size"])
    except TranslateInputError as err:
        raise UsageError(f"{err}.") from None
    y = translate(loaded.generator, x)
    write_outputs(args.out, x, y)
    print(f"translated {len(x)} input(s) ({m['task']}) to {args.out}", file=sys.stderr)
    return 0


def cmd_push(args, argv) -> int:
    from gancore.io.hub import push_checkpoint

    url = push_checkpoint(args.folder, args.repo_id, private=args.private)
    print(f"pushed {args.folder} to {url}")
    return 0


def cmd_link(args, argv) -> int:
    from gancore import links

    if args.preset not in links.all_presets():
        raise UserError(f"no preset named {args.preset!r}; see `python -m gancore presets`.")
    page = args.page or links.page_for(links.resolve(args.preset))
    query = {"preset": args.preset}
    for item in args.overrides:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--set {item!r} must look like section.key=value")
        query[key.strip()] = value
    try:
        link = links.read_link(query, page=page)
    except ValueError as err:  # LinkError names the key; a bad --page says which pages exist
        raise UsageError(str(err)) from None
    current = link.resolved()
    b_train = {**current["train"], **link.b_changes()} if link.b else None
    print(
        links.link_url(
            links.link_query(link.preset, current, view=link.view, b_train=b_train),
            page=page,
            base=args.base or links.DEFAULT_BASE,
        )
    )
    return 0


def rows_by_label(samples: np.ndarray, labels: np.ndarray, classes: int):
    """Reorder samples into one row per class, padding short rows with blank (white) cells."""
    width = max(1, int(np.bincount(labels, minlength=classes).max()))
    rows = []
    for c in range(classes):
        mine = samples[labels == c]
        if len(mine):
            pad = np.ones((width - len(mine), *samples.shape[1:]), dtype=samples.dtype)
            rows.append(np.concatenate([mine, pad]))
    return np.concatenate(rows), width
