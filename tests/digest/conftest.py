"""Shared inputs for the digest tests: the real catalog and small hand-built weeks."""

from __future__ import annotations

import pytest

from bot.catalog import Catalog, load_catalog
from bot.settings import default_rules_dir


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(default_rules_dir())
