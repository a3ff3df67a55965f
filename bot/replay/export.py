"""Read a Slack workspace export (a .zip or an unpacked folder) one day file at a time. Pure: no store, no Slack.

An export holds `channels.json` (and `groups.json`, `dms.json`, `mpims.json` where present), `users.json`, and one
folder per conversation with one `YYYY-MM-DD.json` file per day, each a JSON list of messages. Only the list of
member names and one day file are ever in memory at once; `users.json` is read only when asked for.

Human messages come out as `ExportMessage`s, conversation by conversation and in timestamp order within each.
Bot messages and system subtypes (joins, topics, tombstones, ...) are counted and skipped. Whatever cannot be
read (bad JSON, a day file that is not a list, a message without text or timestamp) is reported as a `Problem`
(file and reason) and skipped; reading goes on.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, Literal, NamedTuple, Protocol

from bot.storable import storable_json

ConversationKind = Literal["channel", "group", "dm", "mpim", "unlisted"]
LISTS: tuple[tuple[str, ConversationKind], ...] = (
    ("channels.json", "channel"),
    ("groups.json", "group"),
    ("mpims.json", "mpim"),
    ("dms.json", "dm"),
)
TS = re.compile(r"\d{1,12}(?:\.\d{1,9})?")
DAY_FILE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})\.json$")
KEPT_SUBTYPES = frozenset({"thread_broadcast", "file_share", "me_message"})
BOT_SUBTYPES = frozenset({"bot_message", "bot_add", "bot_remove", "bot_enable", "bot_disable", "slackbot_response"})
BOT_USERS = frozenset({"USLACKBOT"})
MAX_KEPT_PROBLEMS = 1_000
# A UTC day's messages sit in day files at most one day away (time zones span less than ±24 h).
DAY_FILE_SLACK = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = date(1970, 1, 1)


class ExportError(Exception):
    """The path is not a readable Slack export at all (missing, not a zip or folder, no conversations)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in the export that was skipped: the file (inside the export) and why."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Conversation:
    """One channel, private channel, DM or group DM, and the export folder holding its day files."""

    id: str
    name: str
    kind: ConversationKind
    folder: str

    def matches(self, wanted: str) -> bool:
        """True when `wanted` names this conversation: its id, its name, or '#name'."""
        wanted = wanted.strip()
        return wanted in (self.id, self.name, self.folder) or wanted.lstrip("#") == self.name


class ExportMessage(NamedTuple):
    """One human message as the export records it (final text after edits). A NamedTuple: cheap to build by the
    million."""

    channel_id: str
    channel_name: str
    ts: str
    thread_ts: str | None
    user: str
    text: str
    subtype: str | None = None
    bot_id: str | None = None
    files: tuple[str, ...] = ()
    edited: bool = False
    team: str | None = None
    time: datetime = EPOCH  # the message time (UTC), from ts
    day: date = EPOCH_DAY  # its UTC date

    @property
    def is_reply(self) -> bool:
        """True for a message inside a thread (not the thread's parent)."""
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass(frozen=True, slots=True)
class DayFile:
    """The human messages of one day file, in timestamp order."""

    conversation: Conversation
    path: str
    day: date
    messages: tuple[ExportMessage, ...]


@dataclass(frozen=True, slots=True)
class Filters:
    """Which part of the export to read: conversations (id or name) and an inclusive UTC date range."""

    channels: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def wants_day_file(self, day: date) -> bool:
        if self.since is not None and day < self.since - DAY_FILE_SLACK:
            return False
        return not (self.until is not None and day > self.until + DAY_FILE_SLACK)

    def wants_day(self, day: date) -> bool:
        if self.since is not None and day < self.since:
            return False
        return not (self.until is not None and day > self.until)


@dataclass(slots=True)
class ReadStats:
    """What the reader saw. `problems` keeps the first MAX_KEPT_PROBLEMS; `problem_count` counts them all."""

    day_files: int = 0
    entries: int = 0
    messages: int = 0
    bot_messages: int = 0
    system_messages: int = 0
    out_of_range: int = 0
    replaced_characters: int = 0  # NULs and lone surrogates, read as U+FFFD
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)

    def problem(self, file: str, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_KEPT_PROBLEMS:
            self.problems.append(Problem(file, reason))


def ts_time(ts: str) -> datetime:
    """A Slack timestamp ("1736478514.897649") as an aware UTC datetime."""
    return datetime.fromtimestamp(float(ts), UTC)


def _ts_key(message: ExportMessage) -> tuple[int, int]:
    seconds, _, fraction = message.ts.partition(".")
    return int(seconds), int(fraction.ljust(6, "0")[:6] or 0)


def _valid_ts(value: object) -> str | None:
    if type(value) is str and TS.fullmatch(value):
        return value
    return None


# ---- where the files come from ---------------------------------------------------------------------------------


class _Source(Protocol):
    def names(self) -> Sequence[str]: ...

    def read(self, name: str) -> bytes: ...

    def close(self) -> None: ...


class _FolderSource:
    def __init__(self, root: Path) -> None:
        self.root = root

    def names(self) -> Sequence[str]:
        found: list[str] = []
        for entry in sorted(self.root.iterdir()):
            if entry.is_file():
                found.append(entry.name)
            elif entry.is_dir():
                found += [f"{entry.name}/{f.name}" for f in sorted(entry.iterdir()) if f.is_file()]
        return found

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def close(self) -> None:
        return None


class _ZipSource:
    def __init__(self, path: Path) -> None:
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ExportError(f"{path} is not a readable zip file ({exc})") from None
        members = [i.filename for i in self.zip.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
        self.prefix = _common_root(members)
        self.members = {m[len(self.prefix) :]: m for m in members if m.startswith(self.prefix)}

    def names(self) -> Sequence[str]:
        return sorted(self.members)

    def read(self, name: str) -> bytes:
        return self.zip.read(self.members[name])

    def close(self) -> None:
        self.zip.close()


def _common_root(members: Sequence[str]) -> str:
    """'export/' when the whole export sits in one top folder of the zip (as when a folder was zipped)."""
    if any(PurePosixPath(m).name in dict(LISTS) and "/" not in m for m in members):
        return ""
    for member in members:
        path = PurePosixPath(member)
        if path.name == "channels.json" and len(path.parts) == 2:
            return f"{path.parts[0]}/"
    return ""


# ---- the export ------------------------------------------------------------------------------------------------


class SlackExport:
    """An open export. Use as a context manager: `with SlackExport.open(path) as export: ...`."""

    def __init__(self, source: _Source, label: str) -> None:
        self.source = source
        self.label = label
        self.stats = ReadStats()
        self._names = list(source.names())
        self._conversations: list[Conversation] | None = None
        self._day_files: dict[str, list[str]] = {}
        for name in self._names:
            folder, _, file = name.rpartition("/")
            if folder and "/" not in folder:
                self._day_files.setdefault(folder, []).append(file)
        has_days = any(DAY_FILE.match(f) for files in self._day_files.values() for f in files)
        if not any(name in self._names for name, _ in LISTS) and not has_days:
            raise ExportError(
                f"{label} is not a Slack export: no channels.json and no conversation folders of YYYY-MM-DD.json files"
            )

    @classmethod
    def open(cls, path: Path) -> SlackExport:
        if not path.exists():
            raise ExportError(f"no such file or folder: {path}")
        if path.is_dir():
            return cls(_FolderSource(path), str(path))
        if not zipfile.is_zipfile(path):
            raise ExportError(f"{path} is neither a folder nor a .zip file")
        return cls(_ZipSource(path), str(path))

    def __enter__(self) -> SlackExport:
        return self

    def __exit__(self, *_: object) -> None:
        self.source.close()

    # ---- metadata ----------------------------------------------------------------------------------------------

    def _load_list(self, name: str) -> list[Any]:
        if name not in self._names:
            return []
        try:
            raw = self.source.read(name)
            value, _ = storable_json(raw, json.loads(raw))
        except ValueError as exc:
            self.stats.problem(name, f"bad JSON ({exc})")
            return []
        if not isinstance(value, list):
            self.stats.problem(name, f"expected a list, found {type(value).__name__}")
            return []
        return value

    def conversations(self) -> list[Conversation]:
        """Every conversation with a folder, listed ones first (channels, groups, mpims, dms), in name order."""
        if self._conversations is not None:
            return self._conversations
        found: list[Conversation] = []
        used: set[str] = set()
        for list_name, kind in LISTS:
            for entry in self._load_list(list_name):
                conversation = self._conversation(list_name, kind, entry)
                if conversation is not None and conversation.folder not in used:
                    used.add(conversation.folder)
                    found.append(conversation)
        for folder in sorted(set(self._day_files) - used):
            if any(DAY_FILE.match(f) for f in self._day_files[folder]):
                self.stats.problem(folder, "folder not listed in channels.json; its name is used as the channel id")
                found.append(Conversation(folder, folder, "unlisted", folder))
        self._conversations = sorted(found, key=lambda c: (c.kind != "channel", c.name.lower(), c.id))
        return self._conversations

    def _conversation(self, list_name: str, kind: ConversationKind, entry: object) -> Conversation | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            self.stats.problem(list_name, "an entry without an id")
            return None
        cid: str = entry["id"]
        name = entry.get("name") if isinstance(entry.get("name"), str) else None
        for folder in (name, cid):
            if folder and folder in self._day_files:
                return Conversation(cid, name or cid, kind, folder)
        return None  # listed but never exported (no messages): nothing to read

    def users(self) -> dict[str, str]:
        """User id -> display name (falls back to real name, then the handle), read from users.json on demand."""
        names: dict[str, str] = {}
        for entry in self._load_list("users.json"):
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                profile = entry.get("profile") if isinstance(entry.get("profile"), dict) else {}
                assert isinstance(profile, dict)
                for candidate in (profile.get("display_name"), entry.get("real_name"), entry.get("name")):
                    if isinstance(candidate, str) and candidate:
                        names[entry["id"]] = candidate
                        break
        return names

    def team_id(self) -> str | None:
        """The workspace id recorded in users.json (the first user's team_id), if any."""
        for entry in self._load_list("users.json"):
            if isinstance(entry, dict) and isinstance(entry.get("team_id"), str) and entry["team_id"]:
                return str(entry["team_id"])
        return None

    def team_name(self) -> str | None:
        """The workspace name Slack puts in an export's file name ("Acme Slack export Jan 1 2024 - Mar 1 2024.zip"),
        or None when the name does not say."""
        stem = Path(self.label.rstrip("/")).name.removesuffix(".zip")
        name, found, _ = stem.partition(" Slack export")
        return name.strip() or None if found else None

    def select(self, filters: Filters) -> list[Conversation]:
        """The conversations `filters` asks for; names that match nothing are reported as problems."""
        conversations = self.conversations()
        if not filters.channels:
            return conversations
        chosen = [c for c in conversations if any(c.matches(w) for w in filters.channels)]
        for wanted in filters.channels:
            if not any(c.matches(wanted) for c in conversations):
                self.stats.problem("channels.json", f"no conversation named {wanted!r} in this export")
        return chosen

    def day_file_names(self, conversation: Conversation, filters: Filters) -> list[tuple[str, date]]:
        """(path, day) of each day file of `conversation` the date filters may need, oldest first."""
        chosen: list[tuple[str, date]] = []
        for file in sorted(self._day_files.get(conversation.folder, [])):
            found = DAY_FILE.match(file)
            path = f"{conversation.folder}/{file}"
            if not found:
                if file.endswith(".json"):
                    self.stats.problem(path, "not a day file (expected YYYY-MM-DD.json); skipped")
                continue
            try:
                day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
            except ValueError:
                self.stats.problem(path, "not a valid date; skipped")
                continue
            if filters.wants_day_file(day):
                chosen.append((path, day))
        return chosen

    # ---- messages ----------------------------------------------------------------------------------------------

    def days(self, filters: Filters = Filters()) -> Iterator[DayFile]:
        """Each wanted day file's human messages, conversation by conversation, oldest day first."""
        for conversation in self.select(filters):
            for path, day in self.day_file_names(conversation, filters):
                yield self.read_day(conversation, path, day, filters)

    def messages(self, filters: Filters = Filters()) -> Iterator[ExportMessage]:
        for day_file in self.days(filters):
            yield from day_file.messages

    def read_day(self, conversation: Conversation, path: str, day: date, filters: Filters = Filters()) -> DayFile:
        """One day file's human messages; a file that cannot be read is reported and comes back empty."""
        self.stats.day_files += 1
        try:
            raw = self.source.read(path)
            # NULs and lone surrogates ("\u0000", "\ud800") survive neither the detector nor the store
            value, replaced = storable_json(raw, json.loads(raw))
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            self.stats.problem(path, f"bad JSON, day file skipped ({_short(exc)})")
            return DayFile(conversation, path, day, ())
        self.stats.replaced_characters += replaced
        if not isinstance(value, list):
            self.stats.problem(path, f"expected a list of messages, found {type(value).__name__}; day file skipped")
            return DayFile(conversation, path, day, ())
        kept: list[ExportMessage] = []
        self.stats.entries += len(value)
        for index, entry in enumerate(value):
            message = self._message(conversation, path, index, entry)
            if message is None:
                continue
            if (filters.since is not None or filters.until is not None) and not filters.wants_day(message.day):
                self.stats.out_of_range += 1
                continue
            kept.append(message)
        kept.sort(key=_ts_key)
        self.stats.messages += len(kept)
        return DayFile(conversation, path, day, tuple(kept))

    def _message(self, conversation: Conversation, path: str, index: int, entry: object) -> ExportMessage | None:
        if type(entry) is not dict:
            self.stats.problem(path, f"message #{index + 1} is not a JSON object")
            return None
        get = entry.get
        subtype = get("subtype")
        if subtype in BOT_SUBTYPES or get("bot_id") or get("user") in BOT_USERS:
            self.stats.bot_messages += 1
            return None
        if (subtype is not None and subtype not in KEPT_SUBTYPES) or get("type", "message") != "message":
            self.stats.system_messages += 1
            return None
        ts = _valid_ts(get("ts"))
        if ts is None:
            self.stats.problem(path, f"message #{index + 1} has no valid ts; skipped")
            return None
        text = get("text")
        if type(text) is not str or not text.strip():
            what = "a file share without text" if _file_names(get("files")) else "a message without text"
            self.stats.problem(path, f"message ts={ts} is {what}; skipped")
            return None
        user = get("user")
        team = get("team")
        moment = datetime.fromtimestamp(float(ts), UTC)
        return ExportMessage(
            conversation.id,
            conversation.name,
            ts,
            _valid_ts(get("thread_ts")),
            user if type(user) is str else "",
            text,
            subtype,
            None,
            _file_names(get("files")),
            type(get("edited")) is dict,
            team if type(team) is str else None,
            moment,
            moment.date(),
        )


def _file_names(value: object) -> tuple[str, ...]:
    if not value or not isinstance(value, list):
        return ()
    names: list[str] = []
    for item in value:
        if isinstance(item, dict):
            name = item.get("name") or item.get("title") or item.get("id")
            if isinstance(name, str):
                names.append(name)
    return tuple(names)


def _short(exc: BaseException, limit: int = 160) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"
