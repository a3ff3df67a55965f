"""Reading Slack exports: layout, message shapes, filters, problems, and the two real-format sample exports."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.replay.export import ExportError, Filters, SlackExport

from .builder import (
    CLAIM,
    CLAIM_2,
    EVIDENCE,
    HUMAN_MESSAGES,
    TEAM,
    ExportBuilder,
    msg,
    sample_export,
    ts,
)


@pytest.fixture(params=["folder", "zip", "zip-with-top-folder"])
def export_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    builder = sample_export()
    if request.param == "folder":
        return builder.write_folder(tmp_path / "export")
    prefix = "acme Slack export Mar 2024/" if request.param == "zip-with-top-folder" else ""
    return builder.write_zip(tmp_path / "export.zip", prefix=prefix)


def test_reads_every_human_message_from_folder_and_zip(export_path: Path) -> None:
    """Folder, zip, and a zip holding one top folder give the same human messages and the same skip counts."""
    with SlackExport.open(export_path) as export:
        messages = list(export.messages())
        stats = export.stats
    assert len(messages) == HUMAN_MESSAGES
    assert stats.bot_messages == 2
    assert stats.system_messages == 2
    assert stats.day_files == 8
    assert {m.channel_name for m in messages} == {"ml-research", "general", "secret-evals", "D1"}


def test_conversations_cover_channels_groups_and_dms(export_path: Path) -> None:
    """Public channels come first; a private channel is found by name, a DM (no name) by its id folder."""
    with SlackExport.open(export_path) as export:
        conversations = export.conversations()
        team = export.team_id()
    assert [(c.id, c.kind) for c in conversations] == [
        ("C2", "channel"), ("C1", "channel"), ("D1", "dm"), ("G1", "group")
    ]
    assert team == TEAM


def test_message_fields_threads_edits_files_unicode(tmp_path: Path) -> None:
    """Thread ts, edits, file names, kept subtypes (file_share, thread_broadcast) and unicode come through intact."""
    with SlackExport.open(sample_export().write_folder(tmp_path)) as export:
        by_text = {m.text: m for m in export.messages(Filters(channels=("ml-research",)))}
    edited = by_text[CLAIM_2]
    assert edited.edited and edited.thread_ts is None and edited.user == "U1"
    shared = next(m for m in by_text.values() if m.subtype == "file_share")
    assert shared.files == ("results.csv",)
    broadcast = next(m for m in by_text.values() if m.subtype == "thread_broadcast")
    assert broadcast.is_reply and broadcast.thread_ts == ts("2024-03-05", 9)
    parent = by_text[EVIDENCE]
    assert parent.thread_ts == parent.ts and not parent.is_reply
    assert any("Ünïcödé ✓" in text for text in by_text)
    assert all(m.bot_id is None for m in by_text.values())


def test_messages_come_in_timestamp_order_within_a_conversation(tmp_path: Path) -> None:
    """A day file written out of order is read in ts order; days follow each other oldest first."""
    with SlackExport.open(sample_export().write_folder(tmp_path)) as export:
        stamps = [m.ts for m in export.messages(Filters(channels=("#ml-research",)))]
    assert stamps == sorted(stamps, key=float)
    assert len(stamps) == 8


def test_problems_name_the_file_and_reason_and_reading_goes_on(tmp_path: Path) -> None:
    """Broken JSON, a non-list day file, a non-object entry and messages without text are reported; the rest is read."""
    with SlackExport.open(sample_export().write_zip(tmp_path / "e.zip")) as export:
        messages = list(export.messages())
        problems = {(p.file, p.reason.split(" (")[0].split(";")[0]) for p in export.stats.problems}
    assert ("ml-research/2024-03-06.json", "bad JSON, day file skipped") in problems
    assert ("ml-research/2024-03-07.json", "expected a list of messages, found dict") in problems
    assert ("general/2024-04-02.json", "message #2 is not a JSON object") in problems
    reasons = [p.reason for p in export.stats.problems if p.file == "ml-research/2024-03-04.json"]
    assert any("file share without text" in r for r in reasons)
    assert any("a message without text" in r for r in reasons)
    assert export.stats.problem_count == 5
    assert any(m.channel_name == "general" and m.text == CLAIM for m in messages)  # the file after the broken ones


def test_channel_filter_by_name_hash_or_id_and_unknown_names_reported(tmp_path: Path) -> None:
    """--channels matches a name, '#name' or an id; a name that matches nothing is a reported problem."""
    with SlackExport.open(sample_export().write_folder(tmp_path)) as export:
        chosen = export.select(Filters(channels=("#general", "G1", "nope")))
        problems = [str(p) for p in export.stats.problems]
    assert [c.id for c in chosen] == ["C2", "G1"]
    assert any("'nope'" in p for p in problems)


def test_since_until_filter_by_utc_day(tmp_path: Path) -> None:
    """since/until keep messages whose UTC date is inside the inclusive range and skip whole day files far outside."""
    with SlackExport.open(sample_export().write_folder(tmp_path)) as export:
        messages = list(export.messages(Filters(since=date(2024, 3, 5), until=date(2024, 3, 5))))
        stats = export.stats
    assert {m.day for m in messages} == {date(2024, 3, 5)}
    assert len(messages) == 6
    assert stats.out_of_range == 7  # 2024-03-04 and 2024-03-06 files are within a day of the range: read, filtered
    assert stats.day_files == 6  # 2024-04-02 is never opened


def test_unlisted_folder_is_read_and_reported(tmp_path: Path) -> None:
    """A conversation folder missing from channels.json is still read, under its folder name, with a problem noted."""
    builder = ExportBuilder().channel("C1", "a")
    builder.day("a", "2024-01-01", [msg("hello", ts("2024-01-01", 9))])
    builder.day("orphan", "2024-01-01", [msg("hi there", ts("2024-01-01", 10))])
    with SlackExport.open(builder.write_folder(tmp_path)) as export:
        messages = list(export.messages())
        problems = [p.file for p in export.stats.problems]
    assert [m.channel_id for m in messages] == ["C1", "orphan"]
    assert problems == ["orphan"]


def test_not_an_export_is_a_clear_error(tmp_path: Path) -> None:
    """A missing path, a plain file, a corrupt zip and an unrelated folder each raise ExportError saying why."""
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    (tmp_path / "folder" / "sub").mkdir(parents=True)
    (tmp_path / "folder" / "sub" / "readme.md").write_text("x")
    for path, says in [
        (tmp_path / "missing", "no such file"),
        (tmp_path / "notes.txt", "neither a folder nor a .zip"),
        (tmp_path / "broken.zip", "neither a folder nor a .zip"),
        (tmp_path / "folder", "not a Slack export"),
    ]:
        with pytest.raises(ExportError, match=says):
            SlackExport.open(path)


def test_users_map_ids_to_names(tmp_path: Path) -> None:
    """users.json gives display names, falling back to the real name."""
    with SlackExport.open(sample_export().write_folder(tmp_path)) as export:
        assert export.users() == {"U1": "ada", "U2": "Bob"}


def test_real_export_slack_export_viewer_archive(shared_exports: Path) -> None:
    """The 2016 sample archive: 158 entries, 52 human messages, bot and join messages skipped, no problems."""
    with SlackExport.open(shared_exports / "slack-export-viewer-testarchive.zip") as export:
        messages = list(export.messages())
        stats = export.stats
    assert (stats.entries, len(messages), stats.bot_messages, stats.system_messages) == (158, 52, 97, 9)
    assert stats.problem_count == 0
    assert {m.channel_name for m in messages} == {"enrique", "traveling-sailor"}
    assert sum(1 for m in messages if m.subtype == "file_share") == 3


def test_real_export_slackdump_source_export(shared_exports: Path) -> None:
    """The 2025 slackdump export: threads come through, the tombstone is skipped, a text-less file share reported."""
    with SlackExport.open(shared_exports / "slackdump-source_export.zip") as export:
        messages = list(export.messages())
        stats = export.stats
    assert len(messages) == 12
    assert sum(1 for m in messages if m.is_reply) >= 2
    assert stats.problem_count == 1 and "without text" in stats.problems[0].reason
    assert all(m.channel_id == "CO69735E8A" for m in messages)


def test_day_file_json_is_untouched_by_reading(tmp_path: Path) -> None:
    """Reading never writes into the export."""
    root = sample_export().write_folder(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*.json")}
    with SlackExport.open(root) as export:
        list(export.messages())
    assert before == {p: p.read_bytes() for p in root.rglob("*.json")}
    assert json.loads((root / "channels.json").read_text())[0]["id"] == "C1"
