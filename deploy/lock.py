"""Regenerate the lock files from pyproject.toml: `python3 deploy/lock.py` (needs `uv`, from the dev extras).

requirements.lock      the runtime dependencies, pinned and hashed (what the Docker image installs)
requirements-dev.lock  runtime + the `dev` extra, at the same versions (what CI installs)

Both are installed with `pip install --require-hashes -r ...`, then the project itself with `--no-deps`. Each file's
header records a digest of pyproject.toml's dependency lists (DIGEST_LINE); tests/deploy/test_lock.py recomputes it,
so CI fails when the dependencies change and the lock is not regenerated. `--check` does the same comparison here.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements.lock"
DEV_LOCK = ROOT / "requirements-dev.lock"
LOCK_PYTHON = "3.11"  # the minor version the locks are resolved for: deploy/Dockerfile's base image and CI's Python
DIGEST_LINE = "# pyproject-dependencies-sha256: "
PYTHON_LINE = "# python: "
COMMAND = "python3 deploy/lock.py"


def dependencies_digest(pyproject: Path = PYPROJECT) -> str:
    """sha256 of what the lock is resolved from: requires-python, dependencies and every optional extra."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    inputs = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(project.get("dependencies", [])),
        "optional-dependencies": {k: sorted(v) for k, v in project.get("optional-dependencies", {}).items()},
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode("utf-8")).hexdigest()


def recorded_digest(lock: Path) -> str | None:
    """The digest written in a lock file's header, or None when the header has none."""
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(DIGEST_LINE):
            return line.removeprefix(DIGEST_LINE).strip()
        if line and not line.startswith("#"):
            break
    return None


def header(what: str, digest: str) -> str:
    return (
        f"# {what} of mirage-bot, pinned and hashed, generated from pyproject.toml: do not edit by hand.\n"
        f"# Regenerate after changing pyproject.toml's dependencies: {COMMAND}\n"
        f"# Install: pip install --require-hashes -r {{this file}}, then pip install --no-deps .\n"
        f"{DIGEST_LINE}{digest}\n"
        f"{PYTHON_LINE}{LOCK_PYTHON}\n"
    )


def _uv() -> list[str]:
    beside = Path(sys.executable).parent / "uv"
    found = str(beside) if beside.exists() else shutil.which("uv")
    if found is None:
        raise SystemExit("lock.py: uv not found: install the dev extras (pip install -e '.[dev]') or uv itself")
    return [found]


def _compile(output: Path, *extra: str) -> str:
    command = [*_uv(), "pip", "compile", str(PYPROJECT), "--generate-hashes", "--universal",
               "--python-version", LOCK_PYTHON, "--no-header", "--quiet", *extra]
    result = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return result.stdout.replace(str(ROOT) + "/", "")


def main(argv: list[str]) -> int:
    digest = dependencies_digest()
    if "--check" in argv:
        stale = [lock.name for lock in (RUNTIME_LOCK, DEV_LOCK) if not lock.exists() or recorded_digest(lock) != digest]
        if stale:
            print(f"lock.py: {', '.join(stale)} out of date with pyproject.toml: run {COMMAND}", file=sys.stderr)
            return 1
        print("lock.py: lock files match pyproject.toml")
        return 0
    runtime = _compile(RUNTIME_LOCK)
    RUNTIME_LOCK.write_text(header("Runtime requirements", digest) + runtime, encoding="utf-8")
    # The dev lock is constrained to the runtime pins, so CI tests exactly the versions the image ships.
    dev = _compile(DEV_LOCK, "--extra", "dev", "--constraint", str(RUNTIME_LOCK))
    DEV_LOCK.write_text(header("Development requirements (runtime + dev)", digest) + dev, encoding="utf-8")
    print(f"lock.py: wrote {RUNTIME_LOCK.name} and {DEV_LOCK.name} for Python {LOCK_PYTHON}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
