"""Load the catalog and detector for a command, turning a broken rules directory into a clear exit."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import typer

from bot.catalog import Catalog, CatalogError, load_catalog
from bot.detection import Detector
from bot.logs import mask_urls

EXIT_BAD_INPUT = 2
E = TypeVar("E", bound=StrEnum)


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


def one_of(kind: type[E], value: str, option: str) -> E:
    """`value` as a member of `kind`, or a one-line error naming the choices (`--format takes text, json or
    blocks, not 'xml'`)."""
    try:
        return kind(value.strip().lower())
    except ValueError:
        names = [member.value for member in kind]
        raise fail(f"{option} takes {', '.join(names[:-1])} or {names[-1]}, not {value!r}") from None
