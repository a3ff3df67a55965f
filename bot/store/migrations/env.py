"""Alembic environment: configured from code (bot.store.engine.upgrade_database passes the connection in)."""

from __future__ import annotations

from alembic import context

from bot.store.oauth_tables import target_metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run Mirage's migrations with `mirage db upgrade` (bot.store.engine.upgrade_database)")

context.configure(
    connection=connection,
    target_metadata=target_metadata(),  # Mirage's tables and slack_sdk's OAuth tables
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
