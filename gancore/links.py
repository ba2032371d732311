"""Links that reopen a setting: a run's configuration as a URL query with the CLI's keys.

A link names a preset and every value that differs from it, each under the key the CLI's
``--set`` takes (``train.lr_g=0.0005``, ``model.g_width=32``, ``data.std=0.05``), plus a few
keys of the page itself (``view.layers``). Values are written so that they parse back to the
same number: opening a link rebuilds exactly the configuration it was copied from.

    query = link_query("ring8", resolve("ring8", ["train.loss=wgan"]))
    read_link(query, page="lab-2d")  # -> Link("ring8", ["train.loss=wgan"], {})

Pure functions, no Streamlit: the pages (pages/_links.py) and ``python -m gancore link``
share them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from gancore.presets.run_config import all_presets, resolve_run
from gancore.viz.lab import LAYERS_2D

DEFAULT_BASE = "http://localhost:8501"
SECTIONS = ("data", "model", "train")  # in this order in a link
# The app's pages that a link can open (their url paths), and what each trains.
PAGES = {"lab-1d": "toy 1D", "lab-2d": "toy 2D", "images": "image", "image-to-image": "pix2pix"}
# Keys of a page itself, not of the run's configuration: key -> (pages, allowed values).
VIEW_KEYS = {"view.layers": (("lab-2d",), LAYERS_2D)}
# Values a page's pickers offer, where they are fewer than the presets take: page -> key -> values
PAGE_CHOICES = {"image-to-image": {"data.name": ("mnist", "fashion-mnist")}}


class LinkError(ValueError):
    """A link the pages cannot open; the message names the key and what it allows."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


@dataclass
class Link:
    """What a link asks for: a preset, the --set edits on it, and the page's own keys."""

    preset: str
    overrides: list[str] = field(default_factory=list)
    view: dict[str, str] = field(default_factory=dict)
    b: list[str] = field(default_factory=list)  # an A / B comparison: B's train.* edits on A

    def values(self) -> dict[str, str]:
        """The overrides as {"section.key": "text"}."""
        return dict(o.split("=", 1) for o in self.overrides)

    def resolved(self) -> dict[str, Any]:
        return resolve(self.preset, self.overrides)

    def b_changes(self) -> dict[str, Any]:
        """B's training settings that differ from A's, typed (TrainConfig fields)."""
        a = self.resolved()["train"]
        b = resolve(self.preset, [*self.overrides, *self.b])["train"]
        return {k: v for k, v in b.items() if not _same(a.get(k), v)}


def resolve(name: str, overrides: list[str] | None = None) -> dict[str, Any]:
    """A named preset of any kind with ``--set`` edits applied (ValueError says why not)."""
    return resolve_run(name, overrides=overrides).to_dict()


def page_for(preset: dict[str, Any]) -> str:
    """The page that trains this preset."""
    pages = {"image": "images", "pix2pix": "image-to-image"}
    return pages.get(preset["kind"]) or f"lab-{preset['model']['data_dim']}d"


def presets_for_page(page: str) -> list[str]:
    """The preset names a page offers, in the order of the CLI's list."""
    if page not in PAGES:
        raise ValueError(f"unknown page {page!r}; choose one of {', '.join(PAGES)}")
    return [n for n in all_presets() if page_for(resolve(n)) == page]


def format_value(value: Any) -> str:
    """A value as ``--set`` text that parses back to exactly this value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (list, tuple)) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    ):
        return ",".join(format_value(float(v)) for v in value)
    if isinstance(value, str):
        try:  # text that would read as JSON ("1", "true") must stay text
            json.loads(value)
        except json.JSONDecodeError:
            return value
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return (
        a == b
        and type(a) is type(b)
        or (
            isinstance(a, (int, float))
            and isinstance(b, (int, float))
            and not isinstance(a, bool)
            and not isinstance(b, bool)
            and float(a) == float(b)
        )
    )


def overrides_between(base: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The ``--set`` edits that turn preset ``base`` into ``current`` (data, model, train).

    Another dataset is ``data.name=...`` followed by its parameters: applied in that order,
    a new ``data.name`` starts the dataset from its own defaults."""
    out: list[str] = []
    for section in SECTIONS:
        old, new = base.get(section, {}), current.get(section, {})
        keys = list(new)
        if section == "data" and new.get("name") != old.get("name"):
            out.append(f"data.name={format_value(new['name'])}")
            out += [f"data.{k}={format_value(new[k])}" for k in keys if k != "name"]
            continue
        for k in keys:
            if k not in old or not _same(old[k], new[k]):
                out.append(f"{section}.{k}={format_value(new[k])}")
    return out


def link_query(
    name: str,
    current: dict[str, Any],
    *,
    view: Mapping[str, str] | None = None,
    b_train: dict[str, Any] | None = None,
) -> dict[str, str]:
    """The query of a link to preset ``name`` edited into ``current``; with ``b_train`` (B's
    training settings in an A / B comparison), B's differences as ``b.train.*`` keys."""
    query = {"preset": name}
    query.update(o.split("=", 1) for o in overrides_between(resolve(name), current))
    if b_train is not None:
        b_edits = overrides_between({"train": current["train"]}, {"train": b_train})
        query.update(("b." + k, v) for k, v in (o.split("=", 1) for o in b_edits))
    query.update(view or {})
    return query


def link_url(query: Mapping[str, str], *, page: str, base: str = DEFAULT_BASE) -> str:
    """``base/page?query``, with the ``.`` and ``,`` of the keys and values left readable."""
    return f"{base.rstrip('/')}/{page}?{urlencode(dict(query), safe='.,:')}"


def read_link(query: Mapping[str, str], *, page: str) -> Link:
    """The setting a page's query asks for; LinkError names the first key it cannot take."""
    if page not in PAGES:
        raise ValueError(f"unknown page {page!r}; choose one of {', '.join(PAGES)}")
    offered = presets_for_page(page)
    name = query.get("preset")
    if name is None:
        name = offered[0] if page != "lab-1d" else "1d-classic"
    if name not in offered:
        raise LinkError(
            "preset", f"preset={name!r} is not a preset of this page; choose one of {offered}"
        )
    link = Link(name)
    # B's keys last: they are edits on top of A's whole setting
    for key, text in sorted(query.items(), key=lambda kv: kv[0].startswith("b.")):
        if key == "preset":
            continue
        if key in VIEW_KEYS:
            pages, allowed = VIEW_KEYS[key]
            picked = [v for v in text.split(",") if v]
            bad = [v for v in picked if v not in allowed]
            if page not in pages:
                raise LinkError(key, f"{key} belongs to {', '.join(pages)}, not to {page}")
            if bad:
                raise LinkError(key, f"{key}={text!r}: allowed are {list(allowed)}")
            link.view[key] = ",".join(picked)
            continue
        if key.startswith("b."):  # B of an A / B comparison: train settings only
            if not key.startswith("b.train.") or key == "b.train.seed":
                raise LinkError(
                    key, f"{key}: B shares A's seed and differs in b.train.* settings only"
                )
            item = f"{key[2:]}={text}"
            try:
                resolve(name, [*link.overrides, *link.b, item])
            except ValueError as err:
                raise LinkError(key, f"{key}={text!r}: {err}") from None
            link.b.append(item)
            continue
        if key.partition(".")[0] not in SECTIONS:
            raise LinkError(
                key,
                f"unknown key {key!r}: a link takes preset, the CLI's --set keys "
                f"(data.*, model.*, train.*) and {sorted(VIEW_KEYS)}",
            )
        offered_values = PAGE_CHOICES.get(page, {}).get(key)
        if offered_values is not None and text not in offered_values:
            raise LinkError(key, f"{key}={text!r}: this page offers {list(offered_values)}")
        item = f"{key}={text}"
        try:  # one key at a time, so the message names the key at fault
            resolve(name, [*link.overrides, item])
        except ValueError as err:
            said = str(err)
            if not said.startswith("override"):  # the validators name the field, not the key
                said = f"{key}={text!r}: {said}"
            raise LinkError(key, said) from None
        link.overrides.append(item)
    return link


# short names for the difference line of an A / B comparison
SHORT = {"d_steps": "k", "g_steps": "G steps", "batch_size": "batch"}


def difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    """What B's training settings change from A's, e.g. ``loss = hinge, k = 5``."""
    edits = overrides_between({"train": a}, {"train": b})
    parts = []
    for item in edits:
        key, _, value = item.partition("=")
        field_name = key.partition(".")[2]
        parts.append(f"{SHORT.get(field_name, field_name)} = {value}")
    return ", ".join(parts) or "nothing yet (same settings)"
