"""Build small Slack exports in the real layout (folder or zip) for the replay tests."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TEAM = "T0TEST"
SHARED_EXPORTS = Path(__file__).resolve().parents[3] / "shared" / "slack-exports"


def ts(day: str, hh: int, mm: int = 0, seq: int = 0) -> str:
    """A Slack ts for `day` (YYYY-MM-DD) at hh:mm UTC; `seq` makes it unique within the minute."""
    moment = datetime.fromisoformat(f"{day}T{hh:02d}:{mm:02d}:00+00:00").astimezone(UTC)
    return f"{int(moment.timestamp())}.{seq:06d}"


def msg(text: str | None, at: str, user: str = "U1", **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"type": "message", "user": user, "ts": at, "team": TEAM}
    if text is not None:
        entry["text"] = text
    entry.update(extra)
    return entry


@dataclass
class ExportBuilder:
    """Conversations and their day files; `write_folder` / `write_zip` lay them out as Slack does."""

    channels: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    dms: list[dict[str, Any]] = field(default_factory=list)
    days: dict[str, dict[str, Any]] = field(default_factory=dict)  # folder -> day -> list or raw text
    users: list[dict[str, Any]] = field(default_factory=list)

    def channel(self, cid: str, name: str) -> ExportBuilder:
        self.channels.append({"id": cid, "name": name, "created": 1_600_000_000, "members": ["U1", "U2"]})
        return self

    def group(self, cid: str, name: str) -> ExportBuilder:
        self.groups.append({"id": cid, "name": name, "created": 1_600_000_000, "members": ["U1"]})
        return self

    def dm(self, cid: str) -> ExportBuilder:
        self.dms.append({"id": cid, "created": 1_600_000_000, "members": ["U1", "U2"]})
        return self

    def day(self, folder: str, day: str, messages: list[dict[str, Any]] | str) -> ExportBuilder:
        """Add a day file; a str is written as-is (to build broken files)."""
        self.days.setdefault(folder, {})[day] = messages
        return self

    def files(self) -> dict[str, bytes]:
        users = self.users or [
            {"id": "U1", "team_id": TEAM, "name": "ada", "real_name": "Ada L", "profile": {"display_name": "ada"}},
            {"id": "U2", "team_id": TEAM, "name": "bob", "real_name": "Bob", "profile": {"display_name": ""}},
        ]
        out: dict[str, bytes] = {
            "channels.json": json.dumps(self.channels).encode(),
            "users.json": json.dumps(users).encode(),
        }
        if self.groups:
            out["groups.json"] = json.dumps(self.groups).encode()
        if self.dms:
            out["dms.json"] = json.dumps(self.dms).encode()
        for folder, days in self.days.items():
            for day, content in days.items():
                data = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False, indent=1)
                out[f"{folder}/{day}.json"] = data.encode("utf-8")
        return out

    def write_folder(self, root: Path) -> Path:
        for name, data in self.files().items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return root

    def write_zip(self, path: Path, prefix: str = "") -> Path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in self.files().items():
                archive.writestr(prefix + name, data)
        return path


CLAIM = "It scored highest on MMLU, so it should be the best choice."
CLAIM_2 = "Our new model tops the leaderboard on GSM8K, ship it 🚀"
CLAIM_3 = "The ckpt is SOTA on HumanEval — ship it to everyone. Ünïcödé ✓"
EVIDENCE = "we ran an A/B test with real users last week: retention went up"
QUESTION = "Which model scored highest on MMLU?"
CHATTER = "lunch? thinking tacos :taco:"


def sample_export() -> ExportBuilder:
    """Two channels, a private channel and a DM, over three days, with every shape the reader must handle.

    Human messages: 14 (of which claims: 6, one of them silenced by evidence earlier in its thread).
    """
    b = ExportBuilder()
    b.channel("C1", "ml-research").channel("C2", "general").group("G1", "secret-evals").dm("D1")
    parent = ts("2024-03-04", 9)
    b.day("ml-research", "2024-03-04", [
        msg(CHATTER, ts("2024-03-04", 8)),
        msg(EVIDENCE, parent, thread_ts=parent, reply_count=2),
        # a claim inside a thread whose parent cites user evidence: silenced by the thread context
        msg(CLAIM, ts("2024-03-04", 9, 5), user="U2", thread_ts=parent, parent_user_id="U1"),
        msg(CLAIM_2, ts("2024-03-04", 10), edited={"user": "U1", "ts": ts("2024-03-04", 10, 1)}),
        msg("deploy bot says hi", ts("2024-03-04", 10, 2), subtype="bot_message", bot_id="B1", username="deploy"),
        msg("<@U2> has joined the channel", ts("2024-03-04", 7), user="U2", subtype="channel_join"),
        msg("set the topic: evals", ts("2024-03-04", 7, 30), subtype="channel_topic", topic="evals"),
        msg("Uploaded <@U2> results &amp; notes: " + CLAIM, ts("2024-03-04", 11), subtype="file_share",
            files=[{"id": "F1", "name": "results.csv"}]),
        msg(None, ts("2024-03-04", 11, 30), subtype="file_share", files=[{"id": "F2", "name": "plot.png"}]),
        msg("", ts("2024-03-04", 11, 45)),
    ])
    other = ts("2024-03-05", 9)
    b.day("ml-research", "2024-03-05", [
        msg(CLAIM_3, ts("2024-03-05", 12), user="U2"),  # out of order in the file on purpose
        msg(QUESTION, other, thread_ts=other),
        msg(CLAIM, ts("2024-03-05", 9, 10), user="U2", thread_ts=other, subtype="thread_broadcast"),
        msg("from the app", ts("2024-03-05", 9, 20), bot_id="B2"),
    ])
    b.day("ml-research", "2024-03-06", '[{"type": "message", "text": "cut off')  # broken JSON
    b.day("ml-research", "2024-03-07", '{"not": "a list"}')
    b.day("general", "2024-03-05", [msg(CHATTER, ts("2024-03-05", 10)), msg("ok sounds good", ts("2024-03-05", 11))])
    b.day("general", "2024-04-02", [msg(CLAIM, ts("2024-04-02", 15)), "not an object"])  # type: ignore[list-item]
    b.day("secret-evals", "2024-03-05",
          [msg("the new ckpt is +3 on GSM8K :tada: we're clearly better now", ts("2024-03-05", 13))])
    b.day("D1", "2024-03-06", [msg(EVIDENCE, ts("2024-03-06", 8)), msg(CHATTER, ts("2024-03-06", 9))])
    return b


HUMAN_MESSAGES = 14
CLAIMS = 6  # CLAIM_2, file share, CLAIM_3, broadcast CLAIM, general CLAIM, secret-evals +3 on GSM8K
