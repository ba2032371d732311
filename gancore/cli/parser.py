"""The command line's arguments: one subcommand per verb, each bound to its function."""

from __future__ import annotations

import argparse
from pathlib import Path

from gancore.cli.models import cmd_eval, cmd_link, cmd_push, cmd_sample, cmd_translate
from gancore.cli.training import cmd_presets, cmd_train

DESCRIPTION = (
    "list presets, train, sample, evaluate, translate, push and link from the command line"
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m gancore", description=DESCRIPTION)
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
    add_set(s, "override a preset value, e.g. --set train.lr_g=0.001 (repeatable)")
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
        "--dataset",
        help="a community model only: score it as a generator of this set (mnist, fashion-mnist)",
    )
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
    add_set(s, "a changed value, as for train (repeatable); also view.layers=... and b.train.*")
    s.add_argument(
        "--page", help="lab-1d, lab-2d, images or image-to-image (default: the preset's own)"
    )
    s.add_argument("--base", default=None, help="the app's address (default http://localhost:8501)")
    s.set_defaults(func=cmd_link)
    return p


def add_set(parser: argparse.ArgumentParser, help: str) -> None:
    """--set KEY=VALUE (repeatable), into ``args.overrides``: train's and link's."""
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides", help=help
    )
