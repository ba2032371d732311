"""`python -m gancore`: list presets, train, sample, evaluate and push from the command line.

Every failure the user can cause (a bad preset or override, a missing or hostile checkpoint,
an unreachable Hub, a diverged run) ends with a one-paragraph message and a non-zero exit
code, never a traceback; `--debug` shows the traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import numpy as np

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UserError(Exception):
    """An error caused by the user's input: reported as one paragraph, exit code 1."""


class UsageError(UserError):
    """A bad command-line value (e.g. --set train.r1_gamma=-1): one line, exit code 2."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.func(args, argv) or 0
    except KeyboardInterrupt:
        print("\ngancore: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `... | head`: the reader left; that is not an error
        sys.stderr.close()
        return 0
    except Exception as err:  # noqa: BLE001 - the one place every failure becomes a message
        if args.debug:
            raise
        rank = os.environ.get("RANK", "0") if os.environ.get("WORLD_SIZE", "1") != "1" else "0"
        who = f"gancore {args.command}" + (f" (rank {rank})" if rank != "0" else "")
        message = _message(err)
        if rank != "0" and _peer_failed(err):
            message = "stopped because another rank failed; its message says why."
        print(f"{who}: {message}", file=sys.stderr)
        return EXIT_USAGE if isinstance(err, UsageError) else EXIT_ERROR


def _peer_failed(err: Exception) -> bool:
    """A collective broke because the process at the other end exited (gloo / NCCL wording)."""
    import torch.distributed as dist

    text = str(err).lower()
    return isinstance(err, dist.DistError) or (
        isinstance(err, RuntimeError) and ("closed by peer" in text or "connection reset" in text)
    )


def _message(err: Exception) -> str:
    from gancore.data.images import DatasetUnavailableError
    from gancore.io.format import CheckpointError
    from gancore.train.trainer import DivergedError

    text = " ".join(str(err).split()) or type(err).__name__
    if isinstance(err, (UserError, CheckpointError, ValueError, DatasetUnavailableError)):
        return text
    if isinstance(err, DivergedError):
        return f"{text} Nothing was lost: the last good state was saved. Lower the learning rates or change the loss, then --resume."
    if isinstance(err, (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)):
        return f"{text}."
    return f"unexpected {type(err).__name__}: {text} (run again with --debug for the traceback)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gancore", description=__doc__.splitlines()[0])
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = p.add_subparsers(dest="command")

    s = sub.add_parser("presets", help="list the named presets")
    s.add_argument("--json", action="store_true", help="print every preset in full as JSON")
    s.set_defaults(func=cmd_presets)

    s = sub.add_parser("train", help="train from a preset or a config file")
    s.add_argument("preset", nargs="?", help="a preset name or a JSON config file")
    s.add_argument("--out", type=Path, help="output folder (default: runs/PRESET-TIME)")
    s.add_argument("--max-steps", type=int, help="stop when the run reaches this many steps")
    s.add_argument("--max-seconds", type=float, help="stop after this much wall time")
    s.add_argument("--seed", type=int)
    s.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    s.add_argument("--data-root", type=Path, help="where image datasets live (or GANCORE_DATA)")
    s.add_argument("--resume", type=Path, metavar="DIR", help="continue the run saved in DIR")
    _add_set(s, "override a preset value, e.g. --set train.lr_g=0.001 (repeatable)")
    s.add_argument(
        "--save-every",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="write a checkpoint this often (default 60)",
    )
    s.set_defaults(func=cmd_train)

    s = sub.add_parser(
        "sample", help="draw samples from a checkpoint, a shipped name or a Hub repo"
    )
    s.add_argument("source")
    s.add_argument("-n", type=int, help="how many samples (not with --latents)")
    s.add_argument("--out", type=Path, required=True, help="FILE.npz or FILE.png")
    s.add_argument(
        "--latents",
        type=Path,
        metavar="FILE.npz",
        help="sample these latents (key z, float32, one row per image); --seed seeds noise layers",
    )
    group = s.add_mutually_exclusive_group()
    group.add_argument("--label", type=int, help="one class for every sample")
    group.add_argument("--labels", choices=["all"], help="cycle through every class")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--revision", help="a Hub branch, tag or commit")
    s.add_argument("--truncation", type=float, help="truncate the latent at this many std")
    s.set_defaults(func=cmd_sample)

    s = sub.add_parser("eval", help="print quality metrics of a checkpoint as JSON")
    s.add_argument("source")
    s.add_argument(
        "--n", type=int, help="samples (default 2500; 26000 for Stacked MNIST, as PacGAN counts)"
    )
    s.add_argument("--data-root", type=Path)
    s.add_argument("--revision")
    s.add_argument(
        "--inception",
        action="store_true",
        help="also Inception FID / KID / IS (needs: pip install 'gancore[inception]')",
    )
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("translate", help="translate inputs with a pix2pix checkpoint")
    s.add_argument("source", help="a pix2pix checkpoint folder, shipped name or Hub repo")
    s.add_argument("--input", type=Path, required=True, help="IN.npz (array inputs) or IN.png")
    s.add_argument("--out", type=Path, required=True, help="OUT.npz (array samples) or OUT.png")
    s.add_argument("--revision", help="a Hub branch, tag or commit")
    s.set_defaults(func=cmd_translate)

    s = sub.add_parser("push", help="upload a checkpoint folder to the Hugging Face Hub")
    s.add_argument("folder", type=Path)
    s.add_argument("repo_id", metavar="OWNER/NAME")
    s.add_argument("--private", action="store_true")
    s.set_defaults(func=cmd_push)

    s = sub.add_parser("link", help="print a link that opens the app on a preset and settings")
    s.add_argument("preset", help="a preset name (see `presets`)")
    _add_set(s, "a changed value, as for train (repeatable); also view.layers=... and b.train.*")
    s.add_argument(
        "--page", help="lab-1d, lab-2d, images or image-to-image (default: the preset's own)"
    )
    s.add_argument("--base", default=None, help="the app's address (default http://localhost:8501)")
    s.set_defaults(func=cmd_link)
    return p


def _add_set(parser: argparse.ArgumentParser, help: str) -> None:
    """--set KEY=VALUE (repeatable), into ``args.overrides``: train's and link's."""
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides", help=help
    )


# --- commands ----------------------------------------------------------------------------------


def cmd_presets(args, argv) -> int:
    from gancore.presets.run_config import all_presets, resolve_run

    names = all_presets()
    if args.json:
        print(json.dumps({n: resolve_run(n).to_dict() for n in names}, indent=2))
        return 0
    width = max(map(len, names))
    for name, description in names.items():
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_train(args, argv) -> int:
    from gancore.train import distributed, runs

    if args.max_steps is None and args.max_seconds is None:
        raise UserError(
            "give --max-steps N, --max-seconds S or both, so the run knows when to stop."
        )
    if args.max_steps is not None and args.max_steps < 1:
        raise UserError(f"--max-steps must be at least 1, got {args.max_steps}.")
    if args.max_seconds is not None and not 0 < args.max_seconds <= 30 * 24 * 3600:
        raise UserError(f"--max-seconds must be in (0, 2592000], got {args.max_seconds}.")
    if args.data_root is not None:
        os.environ["GANCORE_DATA"] = str(args.data_root)
    if args.resume and (args.overrides or args.seed is not None):
        raise UserError("--resume continues a run exactly as it was: drop --set and --seed.")
    if not args.resume and not args.preset:
        raise UserError("name a preset (see `python -m gancore presets`) or a JSON config file.")
    preset = None if args.resume else _load_preset_arg(args.preset)
    if preset is not None:
        _check_overrides(preset, args.overrides, args.seed)
    ctx = distributed.init(args.device)  # None unless started by torchrun with 2+ processes
    try:
        device = str(ctx.device) if ctx else _device(args.device)
        command = "python -m gancore " + shlex.join(argv)
        if ctx is not None:
            command = f"torchrun --nproc_per_node={ctx.world_size} -m gancore " + shlex.join(argv)
        if args.resume:
            run = runs.resume(
                args.resume, out=args.out, device=device, data_root=args.data_root, dist=ctx
            )
            if run.is_main:
                print(f"resuming {args.resume} at step {run.trainer.step_count}", file=sys.stderr)
        else:
            name = args.preset if isinstance(preset, str) else Path(args.preset).stem
            out = args.out or Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
            run = runs.start(
                preset,
                out,
                seed=args.seed,
                overrides=args.overrides,
                device=device,
                command=command,
                data_root=args.data_root,
                dist=ctx,
            )
        _torch_threads(run.kind)
        code = _train(run, args)
        distributed.teardown(sync=True)
        return code
    finally:
        distributed.teardown()


def _train(run, args) -> int:
    from gancore.train import distributed, runs

    stop = _stop_on_signals(run)
    bar = _Bar(args.max_steps, run) if run.is_main else None
    try:
        runs.train(
            run,
            max_steps=args.max_steps,
            max_seconds=args.max_seconds,
            save_every=args.save_every,
            on_progress=bar.update_from if bar else None,
        )
    finally:
        if bar:
            bar.close()
    result = {"out": str(run.out), "step": run.trainer.step_count}
    if run.dist is not None:
        ctx, G = run.dist, run.trainer.ema_generator or run.trainer.generator
        drift = distributed.replica_drift([G, run.trainer.discriminator], ctx)
        # one write per line: the ranks share the launcher's stderr
        sys.stderr.write(
            f"gancore train: rank {ctx.rank} of {ctx.world_size}: generator parameters sha256 "
            f"{distributed.parameter_digest(G)}\n"
        )
        if drift != 0:
            raise RuntimeError(f"the ranks' weights drifted apart (max |difference| {drift:.3g})")
        result.update(world_size=ctx.world_size, replica_drift=drift)
    if run.is_main:
        report = run.report if run.kind != "toy" else runs.evaluate(run)
        print(json.dumps({**result, **report}, indent=2))
    if stop.signal:
        if run.is_main:
            print(
                f"gancore train: stopped by {stop.signal}; saved in {run.out}, continue with --resume {run.out}",
                file=sys.stderr,
            )
        return EXIT_INTERRUPTED
    return 0


def cmd_sample(args, argv) -> int:
    from gancore.io.hub import load_checkpoint
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
    _torch_threads(loaded.kind)
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
    elif loaded.kind == "image":
        if labels is not None and args.label is None:  # one row per class
            samples, nrow = _rows_by_label(samples, labels, loaded.num_classes)
        else:
            nrow = None
        render.image_grid(samples, nrow=nrow).save(args.out)
    else:
        render.scatter(samples).save(args.out)
    print(f"wrote {args.n} samples to {args.out}", file=sys.stderr)
    return 0


def cmd_eval(args, argv) -> int:
    from gancore.data.toy import get_toy
    from gancore.io.hub import load_checkpoint
    from gancore.train import runs

    if args.n is not None and not 10 <= args.n <= 100_000:
        raise UserError(f"--n must be between 10 and 100000, got {args.n}.")
    loaded = load_checkpoint(args.source, revision=args.revision)
    _torch_threads(loaded.kind)
    if args.n is None:
        from gancore.eval.stacked import PACGAN_SAMPLES

        stacked = loaded.config.get("data", {}).get("name") == "stacked-mnist"
        args.n = PACGAN_SAMPLES if stacked else 2500
    if loaded.config.get("format") == "community":
        raise UserError(
            f"eval scores gancore checkpoints against their training data with a classifier "
            f"(28x28 MNIST-like); {args.source} is a {loaded.config['description']} community "
            "model, so there is nothing to score it against. Use `sample` to look at it."
        )
    data = {k: v for k, v in loaded.config["data"].items() if k != "class_names"}
    if loaded.kind == "pix2pix":
        from gancore.presets.pix2pix import evaluate_checkpoint

        root = None if args.data_root is None else str(args.data_root)
        print(json.dumps(evaluate_checkpoint(loaded, n=args.n, root=root), indent=2))
        return 0
    if loaded.kind == "image":
        from gancore.presets.image import open_preset_data

        preset = {"data": data, "model": loaded.config["model"], "train": {"seed": 0}}
        source = open_preset_data(preset, root=args.data_root)
        labels = loaded.resolve_labels(args.n)  # conditional: every class in turn
        fakes = loaded.sample(args.n, seed=runs.EVAL_SEED, labels=labels)
        report = {"source": loaded.source, "samples": args.n, **runs.pixel_stats(fakes, source)}
        root = None if args.data_root is None else str(args.data_root)
        report.update(runs.classifier_quality(fakes, labels, source.data.name, root))
        if args.inception:
            from gancore.eval.inception import InceptionUnavailable, inception_metrics

            reals, _ = source.take(list(range(min(args.n, len(source)))))
            try:
                report.update(inception_metrics(fakes, reals.numpy()))
            except InceptionUnavailable as err:
                raise UserError(f"--inception: {err}") from None
        report["training_metrics"] = loaded.config.get("metrics", {})
        print(json.dumps(report, indent=2))
        return 0
    if args.inception:
        raise UserError("--inception applies to image checkpoints; this one draws toy points.")
    dist = get_toy(data.pop("name"), **data)
    fakes = loaded.sample(args.n, seed=runs.EVAL_SEED).astype(np.float64)
    print(json.dumps({"source": loaded.source, **runs.toy_quality(fakes, dist)}, indent=2))
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


# --- helpers ---------------------------------------------------------------------------------


def cmd_link(args, argv) -> int:
    from gancore import links

    known = links.is_image_preset(args.preset) or links.is_pix2pix_preset(args.preset)
    if not known and args.preset not in links.list_presets():
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


def _check_overrides(preset, overrides: list[str], seed: int | None) -> None:
    """Resolve the preset with --set and --seed before anything starts: a bad value is a usage
    error (exit code 2) naming the key and its range."""
    from gancore.presets.run_config import resolve_run

    try:
        resolve_run(preset, seed=seed, overrides=overrides)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _load_preset_arg(text: str):
    from gancore.presets.run_config import all_presets

    if text in all_presets():
        return text
    path = Path(text)
    if path.suffix.lower() == ".json" or path.exists():
        if not path.is_file():
            raise UserError(
                f"no preset named {text!r} and no config file at {path}; see `python -m gancore presets`."
            )
        if path.stat().st_size > 1_000_000:
            raise UserError(f"{path} is larger than 1 MB: not a gancore config.")
        try:
            return json.loads(path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise UserError(f"{path} is not valid JSON ({err}).") from None
    raise UserError(
        f"no preset named {text!r}; choose one of {', '.join(all_presets())} or give a JSON config file."
    )


def _device(choice: str) -> str:
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but PyTorch sees no CUDA device here.")
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return choice


def _torch_threads(kind: str) -> None:
    """Toy models run fastest on one thread, convolutions use every core (torch's default);
    GANCORE_TORCH_THREADS overrides both."""
    import torch

    threads = os.environ.get("GANCORE_TORCH_THREADS")
    if threads:
        try:
            torch.set_num_threads(max(1, int(threads)))
        except ValueError:
            raise UserError(f"GANCORE_TORCH_THREADS must be an integer, got {threads!r}.") from None
    elif kind == "toy":
        torch.set_num_threads(1)


def _rows_by_label(samples: np.ndarray, labels: np.ndarray, classes: int):
    """Reorder samples into one row per class, padding short rows with blank (white) cells."""
    width = max(1, int(np.bincount(labels, minlength=classes).max()))
    rows = []
    for c in range(classes):
        mine = samples[labels == c]
        if len(mine):
            pad = np.ones((width - len(mine), *samples.shape[1:]), dtype=samples.dtype)
            rows.append(np.concatenate([mine, pad]))
    return np.concatenate(rows), width


class _Stop:
    signal: str | None = None


def _stop_on_signals(run) -> _Stop:
    """SIGINT / SIGTERM: finish the current step, save, and exit, rather than die mid-write."""
    stop = _Stop()

    def handler(signum, frame):
        stop.signal = signal.Signals(signum).name
        run.request_stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    return stop


class _Bar:
    """tqdm over steps (toy runs) or images (image runs: the rate reads images/s)."""

    def __init__(self, max_steps: int | None, run) -> None:
        from tqdm import tqdm

        self.per_step = run.images_per_step if run.kind == "image" else 1
        step = run.trainer.step_count
        self.tqdm = tqdm(
            total=None if max_steps is None else max_steps * self.per_step,
            initial=step * self.per_step,
            unit="img" if run.kind == "image" else "step",
            unit_scale=run.kind == "image",
            dynamic_ncols=True,
            disable=None,
            file=sys.stderr,
        )

    def update_from(self, m: dict[str, float]) -> None:
        self.tqdm.update(self.per_step)
        if int(m["step"]) % 25 == 0:
            extra = {"step": int(m["step"])} if self.per_step > 1 else {}
            self.tqdm.set_postfix(
                **extra, d_loss=f"{m['d_loss']:.3f}", g_loss=f"{m['g_loss']:.3f}", refresh=False
            )

    def close(self) -> None:
        self.tqdm.close()
