"""Load the catalog and detector for a command, turning a broken rules directory into a clear exit."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from bot.catalog import Catalog, CatalogError, load_catalog
from bot.detection import Detector
from bot.logs import mask_urls

EXIT_BAD_INPUT = 2


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print `message` (database passwords masked) to stderr and return the Exit to raise (`raise fail(...)`)."""
    print(f"mirage: {mask_urls(message)}", file=sys.stderr)
    return typer.Exit(code)


def catalog_or_exit(rules_dir: Path) -> Catalog:
    try:
        return load_catalog(rules_dir)
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        raise typer.Exit(EXIT_BAD_INPUT) from None


def detector_or_exit(rules_dir: Path) -> Detector:
    return Detector.from_catalog(catalog_or_exit(rules_dir))
