"""The lock files are pinned, hashed, generated from the current pyproject.toml, and installed by CI and the image."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .scripts import ROOT, load_script

lock = load_script("lock")
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")

# The environment of deploy/Dockerfile's base image (python:3.11-slim-bookworm on x86_64 or arm64).
IMAGE_ENVIRONMENTS = [
    {"python_version": "3.11", "python_full_version": "3.11.11", "sys_platform": "linux", "platform_system": "Linux",
     "os_name": "posix", "implementation_name": "cpython", "platform_python_implementation": "CPython",
     "platform_machine": machine}
    for machine in ("x86_64", "aarch64")
]


def entries(path: Path) -> list[tuple[str, str, str | None, int]]:
    """(canonical name, version, marker or None, number of hashes) for each requirement of a lock file."""
    found: list[tuple[str, str, str | None, int]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("    --hash=sha256:"):
            assert found, f"{path.name}: a hash before any requirement"
            name, version, marker, hashes = found[-1]
            found[-1] = (name, version, marker, hashes + 1)
            continue
        if not line or line.startswith((" ", "#")):
            continue
        match = ENTRY.match(line)
        assert match, f"{path.name}: not a pinned requirement: {line!r}"
        found.append((canonicalize_name(match.group(1)), match.group(2), match.group(3), 0))
    return found


def project() -> dict[str, object]:
    data: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return data


def direct(kind: str) -> list[Requirement]:
    table = project()
    listed = table["dependencies"] if kind == "runtime" else table["optional-dependencies"]["dev"]  # type: ignore[index]
    return [Requirement(text) for text in listed]  # type: ignore[union-attr]


LOCKS = {"runtime": lock.RUNTIME_LOCK, "dev": lock.DEV_LOCK}


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_lock_records_the_current_dependency_digest(kind: str) -> None:
    """Each lock's header holds the digest of pyproject.toml's dependency lists as they are now: a changed
    dependency without `python3 deploy/lock.py` fails CI here."""
    recorded = lock.recorded_digest(LOCKS[kind])
    assert recorded == lock.dependencies_digest(), (
        f"{LOCKS[kind].name} was generated from other dependencies than pyproject.toml's: run {lock.COMMAND}"
    )


def test_digest_moves_with_any_dependency_change(tmp_path: Path) -> None:
    """The digest changes when a dependency, an extra or requires-python changes, and not when their order does."""
    original = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    path = tmp_path / "pyproject.toml"

    def digest_of(text: str) -> str:
        path.write_text(text, encoding="utf-8")
        return str(lock.dependencies_digest(path))

    base = digest_of(original)
    assert base == lock.dependencies_digest()
    assert digest_of(original.replace('"waitress>=3",', '"waitress>=3",\n  "six>=1.16",')) != base
    assert digest_of(original.replace('"ruff>=0.6"', '"ruff>=0.7"')) != base
    assert digest_of(original.replace('requires-python = ">=3.11"', 'requires-python = ">=3.12"')) != base
    reordered = original.replace('  "pyyaml>=6",\n  "waitress>=3",', '  "waitress>=3",\n  "pyyaml>=6",')
    assert reordered != original
    assert digest_of(reordered) == base


def test_a_lock_without_the_digest_line_is_stale(tmp_path: Path) -> None:
    """A hand-written or foreign lock (no digest in its header) never counts as matching."""
    stale = tmp_path / "requirements.lock"
    stale.write_text("# some other tool\nsix==1.16.0 \\\n    --hash=sha256:" + "0" * 64 + "\n", encoding="utf-8")
    assert lock.recorded_digest(stale) is None


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_every_requirement_is_pinned_and_hashed(kind: str) -> None:
    """Every line of a lock is `name==version` with at least one sha256 hash (what --require-hashes demands)."""
    found = entries(LOCKS[kind])
    assert len(found) >= 40
    unhashed = [name for name, _, _, hashes in found if hashes == 0]
    assert not unhashed, f"{LOCKS[kind].name}: no hash for {unhashed}"


@pytest.mark.parametrize("kind", sorted(LOCKS))
def test_every_direct_dependency_resolves_for_this_python_and_the_image(kind: str) -> None:
    """Each dependency pyproject.toml names has a pinned entry, inside its version range, for this machine's Python
    and for the Docker image's (the lock's `# python:` line is the image's minor version)."""
    found = entries(LOCKS[kind])
    wanted = direct("runtime") + (direct("dev") if kind == "dev" else [])
    assert f"{lock.PYTHON_LINE}{lock.LOCK_PYTHON}" in LOCKS[kind].read_text(encoding="utf-8")
    for environment in [None, *IMAGE_ENVIRONMENTS]:  # None: this interpreter (CI installs the dev lock on it)
        for requirement in wanted:
            name = canonicalize_name(requirement.name)
            versions = [v for n, v, m, _ in found if n == name and (m is None or Marker(m).evaluate(environment))]
            assert len(versions) == 1, f"{LOCKS[kind].name}: {name} pinned {len(versions)} times for {environment}"
            assert requirement.specifier.contains(versions[0], prereleases=True), f"{name}=={versions[0]}"


def test_dev_lock_pins_the_runtime_versions() -> None:
    """CI (dev lock) tests exactly the versions the image (runtime lock) ships."""
    runtime = {(n, m): v for n, v, m, _ in entries(lock.RUNTIME_LOCK)}
    dev = {(n, m): v for n, v, m, _ in entries(lock.DEV_LOCK)}
    differing = {key: (version, dev.get(key)) for key, version in runtime.items() if dev.get(key) != version}
    assert not differing, f"runtime vs dev pins: {differing}"
    assert len(dev) > len(runtime)


def test_ci_installs_from_the_lock_with_hashes() -> None:
    """.ci/run installs the dev lock with --require-hashes, then the project with --no-deps (nothing unpinned)."""
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines()]
    commands = [line for line in lines if "pip install" in line and not line.startswith("#")]
    assert any("--require-hashes" in c and "-r requirements-dev.lock" in c for c in commands), commands
    project_installs = [c for c in commands if re.search(r"\s(-e\s+)?['\"]?\.(\[dev\])?['\"]?$", c)]
    assert project_installs and all("--no-deps" in c for c in project_installs), project_installs
