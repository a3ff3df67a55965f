from __future__ import annotations

from pathlib import Path

import pytest

from bot.catalog import Catalog, load_catalog
from bot.detection import Detector

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(RULES)


@pytest.fixture(scope="session")
def detector(catalog: Catalog) -> Detector:
    return Detector.from_catalog(catalog)
