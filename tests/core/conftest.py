"""Paths the core tests share."""

from __future__ import annotations

from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "rules"
