"""Runtime settings, read once from the environment and `.env`, then passed in explicitly."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.logs import LOG_FORMATS

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


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
    slack_client_id: str | None = None  # with SLACK_CLIENT_SECRET and no SLACK_BOT_TOKEN: many workspaces (OAuth)
    slack_client_secret: str | None = Field(default=None, validate_default=True)

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
    http_port: int = Field(default=3000, ge=1, le=65535)
    log_level: str = "INFO"
    log_format: str = "auto"  # json | text | auto (json unless stderr is a terminal)

    inbox_workers: int = Field(default=8, ge=1, le=64)  # threads processing stored events (Web API calls overlap)
    inbox_lease_seconds: int = Field(default=300, ge=5)  # a row claimed by a process that died is retried after this
    shutdown_grace_seconds: float = Field(default=20.0, ge=0)  # on SIGTERM, how long rows in hand may take to finish
    health_port: int = Field(default=3001, ge=0, le=65535)  # /healthz /readyz when not serving HTTP events; 0: none
    inbox_ready_limit: int = Field(default=10_000, ge=1)  # /readyz fails when more rows than this are pending
    channel_post_interval_seconds: float = Field(default=1.0, ge=0)  # Slack: ~1 message per second per channel
    @field_validator("digest_tz")
    @classmethod
    def _real_time_zone(cls, value: str) -> str:
        name = value.strip()
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a time zone (use an IANA name such as Europe/Berlin or UTC)") from None
        return name

    @field_validator("digest_day_of_week")
    @classmethod
    def _weekday(cls, value: str) -> str:
        text = value.strip().lower()
        if text.isdigit() and 0 <= int(text) <= 6:
            return WEEKDAYS[int(text)]
        for short, full in zip(WEEKDAYS, FULL_WEEKDAYS, strict=True):
            if text in (short, full):
                return short
        raise ValueError("not a weekday (use mon, tue, ... sun)")

    @field_validator("slack_client_secret")
    @classmethod
    def _oauth_pair(cls, value: str | None, info: ValidationInfo) -> str | None:
        if bool(info.data.get("slack_client_id")) != bool(value):
            raise ValueError("set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET together (OAuth, many workspaces)")
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"not a log level (use {', '.join(LOG_LEVELS)})")
        return level

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        fmt = value.strip().lower()
        if fmt not in LOG_FORMATS:
            raise ValueError(f"not a log format (use {', '.join(LOG_FORMATS)})")
        return fmt

    @field_validator("database_url", "slack_api_url")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @property
    def has_slack_tokens(self) -> bool:
        return bool(self.slack_bot_token)

    @property
    def uses_oauth(self) -> bool:
        """Many workspaces: installs through OAuth, each workspace's token from the installation store. Only
        without SLACK_BOT_TOKEN (with it, Mirage serves that one workspace, exactly as before)."""
        return bool(self.slack_client_id and self.slack_client_secret) and not self.slack_bot_token

    @property
    def digest_channel_ids(self) -> tuple[str, ...]:
        return tuple(c.strip() for c in self.digest_channels.split(",") if c.strip())


def env_name(field: str) -> str:
    """The environment variable that sets `field` (MIRAGE_RULES_DIR for rules_dir, DIGEST_HOUR for digest_hour)."""
    info = Settings.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    return alias if isinstance(alias, str) else field.upper()


def settings_problem(exc: ValidationError) -> str:
    """One line for a settings error, naming the variable and the value: `DIGEST_HOUR=99: must be 0 to 23`."""
    parts: list[str] = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        value = error.get("input")
        secret = "token" in field or "secret" in field
        shown = f"={value}" if isinstance(value, str | int | float) and not secret else ""
        parts.append(f"{env_name(field)}{shown}: {message}")
    return "; ".join(parts)
