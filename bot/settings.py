"""Runtime settings, read once from the environment and `.env`, then passed in explicitly."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"


def default_rules_dir() -> Path:
    """The catalog shipped with Mirage: the repository's `rules/` in a checkout, `bot/_rules` in a wheel."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir.parent / "rules", package_dir / "_rules"):
        if candidate.is_dir():
            return candidate
    return package_dir.parent / "rules"


class Settings(BaseSettings):
    """Everything Mirage reads from its environment. Construct once at start-up; never at import time."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: str | None = None
    slack_app_token: str | None = None
    slack_signing_secret: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL

    database_url: str = "sqlite:///mirage.db"
    rules_dir: Path = Field(default_factory=default_rules_dir, validation_alias="MIRAGE_RULES_DIR")

    digest_tz: str = "UTC"
    digest_day_of_week: str = "mon"
    digest_hour: int = Field(default=9, ge=0, le=23)
    digest_minute: int = Field(default=0, ge=0, le=59)
    digest_channels: str = ""  # comma-separated channel ids that always get the digest
    digest_grace_hours: int = Field(default=48, ge=0)

    retention_days: int = Field(default=365, ge=1)
    cooldown_minutes: int = Field(default=30, ge=0)
    user_daily_cap: int = Field(default=3, ge=0)

    http_host: str = "0.0.0.0"
    http_port: int = 3000
    log_level: str = "INFO"

    inbox_workers: int = Field(default=8, ge=1, le=64)  # threads processing stored events (Web API calls overlap)
    inbox_lease_seconds: int = Field(default=300, ge=5)  # a row claimed by a process that died is retried after this
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)  # on SIGTERM, how long rows in hand may take to finish

    @property
    def has_slack_tokens(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def digest_channel_ids(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.digest_channels.split(",") if c.strip())
