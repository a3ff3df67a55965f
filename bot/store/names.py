"""Names of workspaces and channels, remembered so digests and messages can say `#general`, not `C0123`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.store.models import ChannelName, WorkspaceName

MAX_NAME = 255


def _clean(name: str) -> str:
    return " ".join(name.split()).lstrip("#")[:MAX_NAME]


def _upsert(s: Session, table: Any, keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE name, updated_at: safe when two processes (two schedulers) remember
    the same name at once, where a read-then-insert would hit the primary key."""
    if not rows:
        return
    insert = postgresql.insert(table) if s.get_bind().dialect.name == "postgresql" else sqlite.insert(table)
    statement = insert.values(rows)
    s.execute(statement.on_conflict_do_update(
        index_elements=list(keys), set_={"name": statement.excluded.name, "updated_at": statement.excluded.updated_at}))


def set_workspace_name(s: Session, workspace_id: str, name: str) -> None:
    """Remember (or rename) one workspace; a blank name is ignored."""
    if _clean(name):
        _upsert(s, WorkspaceName.__table__, ("workspace_id",),  # type: ignore[attr-defined]
                [{"workspace_id": workspace_id, "name": _clean(name), "updated_at": datetime.now(UTC)}])


def set_channel_names(s: Session, workspace_id: str, names: Mapping[str, str]) -> None:
    """Remember (or rename) channels of one workspace: channel id -> name; blank names are ignored."""
    now = datetime.now(UTC)
    rows = [{"workspace_id": workspace_id, "channel_id": channel_id, "name": _clean(name), "updated_at": now}
            for channel_id, name in names.items() if channel_id and _clean(name)]
    _upsert(s, ChannelName.__table__, ("workspace_id", "channel_id"), rows)  # type: ignore[attr-defined]


def workspace_names(s: Session) -> dict[str, str]:
    """Every remembered workspace: id -> name."""
    return {row.workspace_id: row.name for row in s.exec(select(WorkspaceName))}


def channel_names(s: Session, workspace_id: str) -> dict[str, str]:
    """The remembered channels of one workspace: id -> name (without the #)."""
    rows = s.exec(select(ChannelName).where(col(ChannelName.workspace_id) == workspace_id))
    return {row.channel_id: row.name for row in rows}


def workspace_label(workspace_id: str, names: Mapping[str, str]) -> str:
    """"Acme (T0123)" when the name is known, else the id."""
    name = names.get(workspace_id)
    return f"{name} ({workspace_id})" if name and name != workspace_id else workspace_id
