"""The deploy scripts (deploy/lock.py, deploy/healthcheck.py) are standalone files, not package modules: load them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def load_script(name: str) -> ModuleType:
    """deploy/<name>.py as a module (cached in sys.modules under `mirage_deploy_<name>`)."""
    key = f"mirage_deploy_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, DEPLOY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module
