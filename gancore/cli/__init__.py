"""`python -m gancore`: list presets, train, sample, evaluate and push from the command line.

Every failure the user can cause (a bad preset or override, a missing or hostile checkpoint,
an unreachable Hub, a diverged run) ends with a one-paragraph message and a non-zero exit
code, never a traceback; `--debug` shows the traceback.
"""

from __future__ import annotations

import os
import sys

from gancore.cli.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, UserError
from gancore.cli.parser import build_parser

__all__ = ["main", "UserError", "UsageError"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
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
