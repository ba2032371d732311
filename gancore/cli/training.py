"""`presets` and `train`: resolving a preset, the training loop's progress bar, signals."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sys
import time
from pathlib import Path

from gancore.cli.errors import EXIT_INTERRUPTED, UsageError, UserError


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
    from gancore import runs
    from gancore.train import distributed

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
    preset = None if args.resume else load_preset_arg(args.preset)
    if preset is not None:
        check_overrides(preset, args.overrides, args.seed)
    ctx = distributed.init(args.device)  # None unless started by torchrun with 2+ processes
    try:
        device = str(ctx.device) if ctx else pick_device(args.device)
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
        set_torch_threads(run.kind)
        code = train_and_report(run, args)
        distributed.teardown(sync=True)
        return code
    finally:
        distributed.teardown()


def train_and_report(run, args) -> int:
    from gancore import runs
    from gancore.train import distributed

    stop = stop_on_signals(run)
    bar = ProgressBar(args.max_steps, run) if run.is_main else None
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
        report = run.report  # written by the last save, which train() always makes
        print(json.dumps({**result, **report}, indent=2))
    if stop.signal:
        if run.is_main:
            print(
                f"gancore train: stopped by {stop.signal}; saved in {run.out}, continue with --resume {run.out}",
                file=sys.stderr,
            )
        return EXIT_INTERRUPTED
    return 0


def check_overrides(preset, overrides: list[str], seed: int | None) -> None:
    """Resolve the preset with --set and --seed before anything starts: a bad value is a usage
    error (exit code 2) naming the key and its range."""
    from gancore.presets.run_config import resolve_run

    try:
        resolve_run(preset, seed=seed, overrides=overrides)
    except ValueError as err:
        raise UsageError(str(err)) from None


def load_preset_arg(text: str):
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


def pick_device(choice: str) -> str:
    import torch

    if choice == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for, but PyTorch sees no CUDA device here.")
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return choice


def set_torch_threads(kind: str) -> None:
    """Toy models run fastest on one thread, convolutions use every core (torch's default);
    GANCORE_TORCH_THREADS overrides both."""
    import torch

    from gancore.models.kinds import MODEL_KINDS

    threads = os.environ.get("GANCORE_TORCH_THREADS")
    if threads:
        try:
            torch.set_num_threads(max(1, int(threads)))
        except ValueError:
            raise UserError(f"GANCORE_TORCH_THREADS must be an integer, got {threads!r}.") from None
    elif not MODEL_KINDS[kind].images:  # a small MLP: one thread is fastest
        torch.set_num_threads(1)


class Stop:
    signal: str | None = None


def stop_on_signals(run) -> Stop:
    """SIGINT / SIGTERM: finish the current step, save, and exit, rather than die mid-write."""
    stop = Stop()

    def handler(signum, frame):
        stop.signal = signal.Signals(signum).name
        run.request_stop()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    return stop


class ProgressBar:
    """tqdm over steps (toy runs) or images (image runs: the rate reads images/s)."""

    def __init__(self, max_steps: int | None, run) -> None:
        from tqdm import tqdm

        from gancore.models.kinds import MODEL_KINDS

        images = MODEL_KINDS[run.kind].images
        self.per_step = run.images_per_step if images else 1
        step = run.trainer.step_count
        self.tqdm = tqdm(
            total=None if max_steps is None else max_steps * self.per_step,
            initial=step * self.per_step,
            unit="img" if images else "step",
            unit_scale=images,
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
