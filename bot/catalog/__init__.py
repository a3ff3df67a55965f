"""The pattern catalog: cards and shared word lists, loaded from `rules/` and validated."""

from bot.catalog.errors import CatalogError, CatalogProblem
from bot.catalog.loader import load_catalog
from bot.catalog.schema import Card, Catalog, Cue, Lexicon

__all__ = ["Card", "Catalog", "CatalogError", "CatalogProblem", "Cue", "Lexicon", "load_catalog"]
