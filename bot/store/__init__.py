"""Mirage's database: SQLModel tables, engines and migrations, and the queries the bot runs."""

from bot.store.digest_queries import load_digest_input
from bot.store.engine import make_engine, session_scope, upgrade_database
from bot.store.incidents import NewIncident, record_incident
from bot.store.models import ChannelSetting, DailyBalance, DigestRun, Feedback, Incident, UserMute
from bot.store.stats import ChannelStats

__all__ = [
    "ChannelSetting",
    "ChannelStats",
    "DailyBalance",
    "DigestRun",
    "Feedback",
    "Incident",
    "NewIncident",
    "UserMute",
    "load_digest_input",
    "make_engine",
    "record_incident",
    "session_scope",
    "upgrade_database",
]
