"""The tables of slack_sdk's SQLAlchemy installation and OAuth state stores, declared by the library itself.

Mirage keeps installations (one row per install, and the bot token per workspace) and OAuth states in its own
database, migrated by Alembic like every other table (migration 0005). The library builds its tables on a MetaData
of its own; this module builds the same tables, with the same names, on one MetaData that the migration environment
and the schema drift test compare with the database, so a slack_sdk upgrade that changes them shows up as drift.
"""

from __future__ import annotations

import functools

from sqlalchemy import MetaData

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
STATES_TABLE = "slack_oauth_states"
OAUTH_TABLES = (INSTALLATIONS_TABLE, BOTS_TABLE, STATES_TABLE)


@functools.cache
def oauth_metadata() -> MetaData:
    """slack_sdk's three tables, as its stores declare them (built on first use, not at import)."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    metadata = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)
    return metadata


def target_metadata() -> list[MetaData]:
    """Everything the migrations create: Mirage's SQLModel tables and slack_sdk's OAuth tables."""
    from sqlmodel import SQLModel

    import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

    return [SQLModel.metadata, oauth_metadata()]
