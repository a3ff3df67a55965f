"""Errors raised while loading the catalog: each names the file, the key and the problem."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CatalogProblem:
    file: str
    key: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.problem}"


class CatalogError(Exception):
    """One or more catalog files are invalid. `problems` lists every one found, not just the first."""

    def __init__(self, problems: list[CatalogProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
