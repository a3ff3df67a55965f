"""Mirage's layers: the full order (each module imports only from its own layer or below), no import cycles, and
the pure layers (detection, reply, policy, digest building and rendering) import nothing from Slack or the database.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
PURE = [
    "mrkdwn.py",
    "domain.py",
    "storable.py",
    "detection",
    "reply",
    "policy",
    "catalog",
    "digest/model.py",
    "digest/build.py",
    "week.py",
    "digest/render.py",
    "replay/export.py",
    "replay/report.py",
]
FORBIDDEN = ("slack_sdk", "slack_bolt", "sqlmodel", "sqlalchemy", "bot.store", "bot.slack", "prometheus_client",
             "bot.metrics")


def _modules() -> list[Path]:
    found: list[Path] = []
    for entry in PURE:
        path = BOT / entry
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path] if path.exists() else []
    return found


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_pure_layers_exist() -> None:
    """The layering rule has something to check: the detection and reply packages are there."""
    assert any(p.parent.name == "detection" for p in _modules())
    assert any(p.parent.name == "reply" for p in _modules())


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(BOT)))
def test_pure_module_imports_no_slack_or_database(path: Path) -> None:
    """A pure module never imports slack_sdk, slack_bolt, sqlmodel, sqlalchemy, prometheus_client or Mirage's
    store, slack or metrics code (the services and the Slack layer count; detection and policy stay pure)."""
    bad = {name for name in _imports(path) if name.split(".")[0] in FORBIDDEN or name.startswith(FORBIDDEN)}
    assert not bad, f"{path} imports {sorted(bad)}"


LISTENERS = sorted((BOT / "slack" / "listeners").glob("*.py"))
LISTENER_FORBIDDEN = ("sqlmodel", "sqlalchemy", "bot.store", "bot.detection", "bot.policy")


@pytest.mark.parametrize("path", LISTENERS, ids=lambda p: p.name)
def test_listeners_are_thin(path: Path) -> None:
    """A Slack listener parses, calls a service and sends: it never reaches the store, detector or policy itself."""
    bad = {name for name in _imports(path) if name.startswith(LISTENER_FORBIDDEN)}
    assert not bad, f"{path.name} imports {sorted(bad)}"


def test_listeners_have_no_catch_all_excepts() -> None:
    """Errors go to the app's one error handler: no listener swallows `Exception`."""
    assert len(LISTENERS) >= 5
    for path in LISTENERS:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler):
                caught = ast.unparse(node.type) if node.type else "everything"
                assert caught not in ("Exception", "BaseException", "everything"), f"{path.name} catches {caught}"


# Lowest first. A module belongs to the most specific entry naming it (a module, or a package prefix); it may import
# from its own layer and the layers before it, never from a later one.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("foundations", ("bot.mrkdwn", "bot.domain", "bot.storable", "bot.settings", "bot.logs", "bot.week",
                     "bot.metrics")),
    ("catalog", ("bot.catalog",)),
    ("detection", ("bot.detection",)),
    ("reply and policy", ("bot.reply", "bot.policy")),
    ("digest (pure)", ("bot.digest", "bot.digest.model", "bot.digest.build", "bot.digest.render")),
    ("export reading (pure)", ("bot.replay.export", "bot.replay.report")),
    ("store", ("bot.store",)),
    ("services", ("bot.service",)),
    ("slack", ("bot.slack",)),
    ("jobs", ("bot.jobs",)),
    ("runtime (the parts `mirage run --role` starts)", ("bot.runtime",)),
    ("console and replay", ("bot.console", "bot.replay")),
    ("bench", ("bot.bench",)),
    ("cli", ("bot.cli", "bot.__main__", "bot")),
]


def _module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(BOT.rglob("*.py"))}


def _unit(module: str) -> tuple[int, str]:
    """(layer index, the entry) of `module`: the longest matching entry wins."""
    found: tuple[int, str] | None = None
    for index, (_, entries) in enumerate(LAYERS):
        for entry in entries:
            inside = module == entry or (entry != "bot" and module.startswith(entry + "."))  # "bot": the package only
            if inside and (found is None or len(entry) > len(found[1])):
                found = (index, entry)
    assert found is not None, f"{module} is in no layer: add it to LAYERS"
    return found


def _targets(module: str) -> set[str]:
    """The Mirage modules `module` imports (anywhere in the file), as module names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        found.update(name for name in names if name in MODULES and name != module)
    return found


GRAPH = {module: _targets(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (or a self-loop): every import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_module_has_a_layer() -> None:
    """Each module of bot/ is placed in exactly one layer of LAYERS (a new module must be placed)."""
    assert len(MODULES) > 50
    for module in MODULES:
        _unit(module)


def test_imports_only_go_down_the_layers() -> None:
    """No module imports from a layer above its own (services never import Slack; the store never imports services)."""
    upward = [
        f"{module} ({LAYERS[_unit(module)[0]][0]}) imports {target} ({LAYERS[_unit(target)[0]][0]})"
        for module, targets in GRAPH.items()
        for target in sorted(targets)
        if _unit(target)[0] > _unit(module)[0]
    ]
    assert upward == []


def test_no_import_cycles_between_modules() -> None:
    """No two modules import each other, directly or through others."""
    assert _cycles(GRAPH) == []


def test_no_import_cycles_between_packages() -> None:
    """Nor do the layer entries (packages such as bot.service and bot.slack) import each other in a ring."""
    units: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        unit = _unit(module)[1]
        units.setdefault(unit, set()).update(_unit(t)[1] for t in targets if _unit(t)[1] != unit)
    assert _cycles(units) == []


def test_cycle_finder_finds_a_cycle() -> None:
    """The checker itself works: a ring of three and a self-import are reported, a chain is not."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_top_level_packages() -> None:
    """Nor do Mirage's top-level packages (bot.store, bot.digest, bot.jobs...) import each other, even through
    modules of different layers: the store never reaches the digest scheduling, the digest never the store."""
    packages: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        top = ".".join(module.split(".")[:2])
        packages.setdefault(top, set()).update(".".join(t.split(".")[:2]) for t in targets)
    for top, targets in packages.items():
        targets.discard(top)
    assert "bot.store" not in packages["bot.digest"]
    assert _cycles(packages) == []
