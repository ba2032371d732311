"""The package's imports, walked from the source (issue 18): no module reaches for another's
private names, and the import graph has no circle, lazy imports inside functions included
(imports under ``if TYPE_CHECKING:`` are for annotations only and never run)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, Path]:
    out = {}
    for p in sorted((ROOT / "gancore").rglob("*.py")):
        if "__pycache__" in p.parts:
            continue
        rel = p.relative_to(ROOT).with_suffix("")
        out[".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)] = p
    return out


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for b in node.body for n in ast.walk(b))
    return out


def _imports_from(name: str, path: Path) -> list[tuple[str, str]]:
    """(module imported from, name) for every ``from gancore... import name`` in a module,
    at any depth (lazy imports in functions too), and ``(module, "")`` for ``import gancore.x``;
    not those under ``if TYPE_CHECKING:``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names if a.name.startswith("gancore")]
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        target = node.module or ""
        if node.level:
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = f"{base}.{target}" if node.module else base
        if target.startswith("gancore"):
            found += [(target, a.name) for a in node.names]
    return found


def test_no_module_imports_another_modules_private_names():
    bad = [
        f"{name} imports {target}.{imported}"
        for name, path in _modules().items()
        for target, imported in _imports_from(name, path)
        if imported.startswith("_") and not imported.startswith("__") and target != name
    ]
    assert not bad, bad


def test_the_walk_sees_every_module_and_its_imports():
    modules = _modules()
    assert {"gancore.links", "gancore.live.ab", "gancore.live.replay"} <= set(modules)
    assert ("gancore.live.replay", "Replay") in _imports_from(
        "gancore.live.runs", modules["gancore.live.runs"]
    )


def _graph() -> dict[str, set[str]]:
    """module -> the gancore modules it imports (a name that is a submodule counts as it)."""
    modules = _modules()

    def owner(target: str) -> str:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        return target

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        for target, imported in _imports_from(name, path):
            full = f"{target}.{imported}" if imported else target
            dep = full if full in modules else owner(target)
            if dep and dep not in (name, "gancore"):
                graph[name].add(dep)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_in_the_package():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
    graph = _graph()
    # the I/O layer's order: format is the leaf, hub the top
    assert "gancore.io.format" in graph["gancore.io.checkpoint"]
    assert "gancore.io.checkpoint" in graph["gancore.io.hub"]
    assert not graph["gancore.io.format"] & {m for m in graph if m.startswith("gancore.io.")}


# The layers, lowest first: a module imports from its own layer or a lower one, never a higher
# one (community GANs load through the I/O layer's format and sources, and io.hub offers them:
# the two packages are one layer). The README's library map draws the same list.
LAYERS = [
    ["checks", "seeding"],
    ["theory", "dynamics"],
    ["models"],
    ["tasks", "data"],
    ["train"],
    ["viz"],
    ["io", "community"],
    ["eval"],
    ["explore"],
    ["presets"],
    ["runs"],
    ["live", "limits", "links"],
    ["cli", "__main__"],
]


def _layer(module: str) -> int:
    top = module.split(".")[1]
    return next(i for i, names in enumerate(LAYERS) if top in names)


def test_every_import_goes_down_the_layers():
    graph = _graph()
    assert {m.split(".")[1] for m in graph if "." in m} == {n for ns in LAYERS for n in ns}
    upward = [
        f"{m} (layer {_layer(m)}) imports {dep} (layer {_layer(dep)})"
        for m in sorted(graph)
        if m != "gancore"
        for dep in sorted(graph[m])
        if _layer(dep) > _layer(m)
    ]
    assert upward == []


def test_the_public_names_resolve_with_docstrings_and_import_gancore_stays_light():
    import subprocess
    import sys

    import gancore

    for name in gancore.__all__[1:]:
        value = getattr(gancore, name)
        assert (value.__doc__ or "").strip(), f"gancore.{name} has no docstring"
    assert gancore.load_checkpoint.__module__ == "gancore.io.hub"
    assert gancore.resolve_run("ring8").kind == "toy"
    code = "import sys, gancore; from gancore import theory; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
