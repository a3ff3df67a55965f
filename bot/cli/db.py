"""`mirage db`: (being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Wire this module's commands into the main app."""
