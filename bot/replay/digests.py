"""The weekly digests Mirage would have posted for past weeks, rendered from the (replayed) store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Engine

from bot.catalog import Catalog
from bot.digest.build import build_digest
from bot.digest.render import to_dict, to_text
from bot.replay.report import PastDigest
from bot.store.digest_queries import load_digest_input
from bot.store.engine import session_scope
from bot.week import IsoWeek


def past_digests(
    engine: Engine, catalog: Catalog, workspace_id: str, weeks: Sequence[IsoWeek], channel_names: dict[str, str]
) -> list[PastDigest]:
    """One rendered digest per week, as `mirage digest --week W` would show it (channel names from the export)."""
    found: list[PastDigest] = []
    with session_scope(engine) as s:
        for week in weeks:
            data = load_digest_input(s, workspace_id, week)
            data = replace(data, channel_names={**channel_names, **data.channel_names})
            digest = build_digest(data, catalog)
            found.append(PastDigest(str(week), to_text(digest), to_dict(digest)))
    return found
