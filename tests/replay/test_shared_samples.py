"""The shared real-format samples: a fresh clone without them skips those tests with a reason; CI requires them."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import shared_exports_or_skip


def test_missing_samples_skip_with_the_reason_outside_ci(tmp_path: Path) -> None:
    """Without ../shared (a fresh clone) the sample tests skip and say where the samples were looked for."""
    with pytest.raises(pytest.skip.Exception, match=r"sample exports are not at .*absent"):
        shared_exports_or_skip(tmp_path / "absent", ci=False)


def test_missing_samples_fail_in_ci(tmp_path: Path) -> None:
    """With CI=true a missing samples folder is a failure, so CI can never pass by skipping them."""
    with pytest.raises(pytest.fail.Exception, match="CI=true requires them"):
        shared_exports_or_skip(tmp_path / "absent", ci=True)


def test_ci_is_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CI=true in the environment (as CI runs .ci/run) turns the skip into a failure."""
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        shared_exports_or_skip(tmp_path / "absent")


def test_present_samples_are_returned(tmp_path: Path) -> None:
    """A folder holding at least one export zip is used as is."""
    (tmp_path / "a.zip").write_bytes(b"")
    assert shared_exports_or_skip(tmp_path, ci=True) == tmp_path
