"""`mirage bench replay`: (being built)."""

from __future__ import annotations

import typer


def register(bench_app: typer.Typer) -> None:
    """Wire this benchmark into `mirage bench`."""
