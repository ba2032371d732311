"""What the presets of every kind share: building a full preset, looking one up, resolving it
(named or given, overrides, seed), the top-level shape check and ``section.key=value``
overrides.

The overrides are the CLI's ``--set`` and the links' query keys: ``train.lr_g=0.001``,
``model.g_width=64``, ``data.std=0.05``; values are parsed by the config field's type and
checked by the kind's validator, so a bad one raises a ValueError that names the key.
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def check_sections(preset: Any, kind: str) -> None:
    """Raise ValueError unless ``preset`` is a dict of kind ``kind`` with data, model and
    train sections (each kind's validator starts here, then checks its own sections)."""
    if not isinstance(preset, dict):
        raise ValueError(f"a preset must be a dict, got {type(preset).__name__}")
    if preset.get("kind") != kind:
        raise ValueError(f"expected a kind {kind!r} preset, got kind {preset.get('kind')!r}")
    for section in ("data", "model", "train"):
        if not isinstance(preset.get(section), dict):
            raise ValueError(f"preset is missing its {section!r} section")


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def _parse_typed(text: str, hint: Any) -> Any:
    if hint is bool:
        return _parse_bool(text)
    try:
        if hint is int:
            return int(text)
        if hint is float:
            return float(text)
        if typing.get_origin(hint) is tuple:
            parts = json.loads(text) if text.strip().startswith("[") else text.split(",")
            return tuple(float(p) for p in parts)
    except (ValueError, TypeError):
        kind = {int: "an integer", float: "a number"}.get(hint, "numbers like 0.5,0.999")
        raise ValueError(f"expected {kind}, got {text!r}") from None
    if hint is str:
        return text
    raise ValueError(f"cannot parse a value of type {hint}")


def _parse_json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(
    preset: dict[str, Any],
    overrides: list[str],
    *,
    sections: dict[str, type],
    validate: Callable[[dict[str, Any]], None],
    data_keys: set[str] | None = None,
    text_keys: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Return a copy of `preset` with "section.key=value" edits applied and validated.

    Sections are `model`, `train` (dataclass fields, values parsed by the field's type; betas
    as "0.5,0.999") and `data` (`name` or the dataset's parameters, values parsed as JSON,
    else kept as text; keys in `text_keys`, such as paths, always stay text). A `data.name`
    that names another dataset is applied first and starts it from its own defaults. Each kind
    passes its `sections` (model config class, TrainConfig), `validate` and `data_keys`.
    """
    out = copy.deepcopy(preset)
    # Another dataset starts from its own defaults: data.name goes first and, when it names
    # another dataset, drops the old one's parameters (later data.* keys set the new one's).
    names = [o for o in overrides if o.partition("=")[0].strip() == "data.name"]
    if names and isinstance(out.get("data"), dict):
        new_name = names[-1].partition("=")[2]
        if str(out["data"].get("name")) != new_name:
            out["data"] = {"name": out["data"].get("name")}
        overrides = names + [o for o in overrides if o not in names]
    for item in overrides:
        key, sep, text = item.partition("=")
        section, dot, field = key.strip().partition(".")
        if not sep or not dot or not field:
            raise ValueError(
                f"override {item!r} must look like section.key=value, e.g. train.lr_g=0.001"
            )
        if section in sections:
            hints = typing.get_type_hints(sections[section])
            if field not in hints:
                raise ValueError(
                    f"override {item!r}: unknown {section} key {field!r}; allowed: {sorted(hints)}"
                )
            try:
                value = _parse_typed(text, hints[field])
            except ValueError as err:
                raise ValueError(
                    f"override {item!r}: bad value for {section}.{field}: {err}"
                ) from None
        elif section == "data":
            if data_keys is not None and field not in data_keys:
                raise ValueError(
                    f"override {item!r}: unknown data key {field!r}; allowed: {sorted(data_keys)}"
                )
            value = text if field in text_keys else _parse_json_or_text(text)
        else:
            raise ValueError(
                f"override {item!r}: unknown section {section!r}; use data, model or train"
            )
        out[section][field] = list(value) if isinstance(value, tuple) else value  # as JSON
    validate(out)
    return out


def full_preset(
    kind: str, model_config: type, description: str, data: dict, model: dict, train: dict
) -> dict[str, Any]:
    """A preset with every model and train field filled in, so a preset file shows the whole
    configuration, not just the deltas from the defaults."""
    from gancore.train.config import TrainConfig

    return {
        "kind": kind,
        "description": description,
        "data": data,
        "model": model_config(**model).to_dict(),
        "train": TrainConfig(**train).to_dict(),
    }


def check_data_keys(data: dict[str, Any], allowed: set[str]) -> None:
    if unknown := sorted(set(data) - allowed):
        raise ValueError(f"unknown data key(s) {unknown}; allowed: {sorted(allowed)}")


def check_image_data(data: dict[str, Any], name: str, *, own: str, own_what: str) -> None:
    """The data section of an image-like preset: ``data.path`` exactly when the set is the
    user's own (``own``: folder, pairs), and a positive ``max_images``."""
    if name == own and not isinstance(data.get("path"), str):
        raise ValueError(f"data.name={own} needs data.path=DIR ({own_what})")
    if name != own and "path" in data:
        raise ValueError(f"data.path applies to data.name={own} only, not {name!r}")
    max_images = data.get("max_images", 10_000)
    if isinstance(max_images, bool) or not isinstance(max_images, int) or max_images < 1:
        raise ValueError(f"data.max_images must be a positive int, got {max_images!r}")


def canonical_data_name(preset: dict[str, Any], keep: tuple[str, ...] = ()) -> None:
    """Give a resolved preset its dataset's canonical name ("FashionMNIST" -> "fashion-mnist"),
    as the saved config shows it; names in ``keep`` (a family's own sets) stay."""
    from gancore.data.images import dataset_name

    if preset["data"]["name"] not in keep:
        preset["data"]["name"] = dataset_name(preset["data"]["name"])


@dataclass(frozen=True)
class PresetFamily:
    """The named presets of one kind and the four things done with them: list, get, apply
    ``section.key=value`` overrides, resolve (named or given, overrides, seed, validated).

    ``model``: the kind's model config class; ``validate`` raises ValueError naming the problem;
    ``data_keys`` / ``text_keys``: see ``apply_overrides``; ``canonical`` edits a resolved
    preset in place (a dataset's canonical name in the saved config); ``what``: the family in
    messages ("image " in "unknown image preset")."""

    presets: dict[str, dict[str, Any]]
    model: type
    validate: Callable[[dict[str, Any]], None]
    what: str = ""
    data_keys: set[str] | None = None
    text_keys: frozenset[str] = frozenset({"path"})  # paths stay text, whatever they look like
    canonical: Callable[[dict[str, Any]], None] | None = None

    def describe(self) -> dict[str, str]:
        """Preset names and their one-line descriptions."""
        return {name: p["description"] for name, p in self.presets.items()}

    def get(self, name: str) -> dict[str, Any]:
        """A deep copy of a named preset (safe to edit); ValueError naming the choices."""
        if name not in self.presets:
            raise ValueError(
                f"unknown {self.what}preset {name!r}; choose one of {sorted(self.presets)}"
            )
        return copy.deepcopy(self.presets[name])

    def apply(self, preset: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
        """A copy of ``preset`` with "section.key=value" edits applied, then validated."""
        from gancore.train.config import TrainConfig

        return apply_overrides(
            preset,
            overrides,
            sections={"model": self.model, "train": TrainConfig},
            validate=self.validate,
            data_keys=self.data_keys,
            text_keys=self.text_keys,
        )

    def resolve(
        self,
        name_or_dict: str | dict[str, Any],
        seed: int | None = None,
        overrides: list[str] | None = None,
    ) -> dict[str, Any]:
        """The final, validated preset: named or given, plus overrides, plus the seed."""
        preset = self.get(name_or_dict) if isinstance(name_or_dict, str) else name_or_dict
        preset = copy.deepcopy(preset)
        self.validate(preset)
        if overrides:
            preset = self.apply(preset, overrides)
        if seed is not None:
            preset["train"]["seed"] = seed
            self.validate(preset)
        if self.canonical is not None:
            self.canonical(preset)
        return preset
