"""The pure layers (detection, reply, policy, digest building) import nothing from Slack or the database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parent.parent / "bot"
PURE = [
    "detection",
    "reply",
    "policy",
    "catalog",
    "digest/model.py",
    "digest/build.py",
    "digest/week.py",
    "replay/export.py",
    "replay/report.py",
]
FORBIDDEN = ("slack_sdk", "slack_bolt", "sqlmodel", "sqlalchemy", "bot.store", "bot.slack")


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
    """A pure module never imports slack_sdk, slack_bolt, sqlmodel, sqlalchemy or Mirage's store/slack code."""
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
