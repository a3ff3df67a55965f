"""Recording incidents and the policy queries built on them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from bot.store.engine import session_scope
from bot.store.history import last_reply_at, replied_in_thread, replies_by_user_since
from bot.store.incidents import incidents_for_message, record_incident, set_incident_outcome

from .factory import BASE, MONDAY, at, incident


def test_record_incident_dedupes_on_event_id(engine: Engine) -> None:
    """Recording the same Slack event twice stores it once; the second call returns the stored row and False."""
    new = incident(event_id="EvSAME")
    with session_scope(engine) as s:
        first, created = record_incident(s, new)
    with session_scope(engine) as s:
        again, created_again = record_incident(s, incident(event_id="EvSAME", card_id="RF-39"))
        assert incidents_for_message(s, "T1", "C1", new.message_ts)[0].id == first.id
    assert created is True
    assert created_again is False
    assert again.id == first.id
    assert again.card_id == "FM-16"


def test_record_incident_dedupes_within_one_session(engine: Engine) -> None:
    """A duplicate in the same unit of work also returns the first row, and the session stays usable."""
    with session_scope(engine) as s:
        first, _ = record_incident(s, incident(event_id="EvX"))
        second, created = record_incident(s, incident(event_id="EvX"))
        other, other_created = record_incident(s, incident(event_id="EvY"))
    assert (second.id, created) == (first.id, False)
    assert other_created is True and other.id != first.id


def test_incident_fields_round_trip(engine: Engine) -> None:
    """Every field of NewIncident is stored as given; the excerpt is capped at 300 characters."""
    new = incident(excerpt="x" * 400, thread_ts="1699999999.000001", permalink="https://example.slack.com/p1",
                   triggers=["scored highest", "MMLU"], source="replay", card_mode="shadow", action="log")
    with session_scope(engine) as s:
        row, _ = record_incident(s, new)
        row_id = row.id
    with session_scope(engine) as s:
        (stored,) = incidents_for_message(s, "T1", "C1", new.message_ts)
    assert stored.id == row_id
    assert stored.excerpt == "x" * 300
    assert stored.triggers == ["scored highest", "MMLU"]
    assert (stored.thread_ts, stored.permalink, stored.source) == (new.thread_ts, new.permalink, "replay")
    assert (stored.card_mode, stored.action) == ("shadow", "log")
    assert stored.confidence == pytest.approx(0.8)
    assert stored.created_at == MONDAY


@pytest.mark.parametrize(
    ("field", "value"), [("action", "shout"), ("card_mode", "loud"), ("source", "email"), ("event_id", "")]
)
def test_new_incident_rejects_bad_values(field: str, value: str) -> None:
    """A NewIncident with an unknown action, card mode or source (or no event id) is refused with a clear error."""
    with pytest.raises(ValueError, match=field):
        incident(**{field: value})


def test_set_incident_outcome_updates_the_row(engine: Engine) -> None:
    """The outcome (action, reason, where Mirage replied, or the posting error) is saved on the incident."""
    with session_scope(engine) as s:
        row, _ = record_incident(s, incident(action="reply"))
        set_incident_outcome(s, row.id or 0, "reply", "posted", reply_channel="C1", reply_ts="1700000001.1")
    with session_scope(engine) as s:
        (stored,) = incidents_for_message(s, "T1", "C1", row.message_ts)
        assert (stored.reply_channel, stored.reply_ts, stored.action_reason) == ("C1", "1700000001.1", "posted")
        with pytest.raises(LookupError):
            set_incident_outcome(s, 999_999, "none", "gone")
        with pytest.raises(ValueError, match="action"):
            set_incident_outcome(s, row.id or 0, "shout", "bad")


def test_incidents_for_message_returns_all_cards_in_order(engine: Engine) -> None:
    """Two cards on one message both come back, oldest first; other messages and channels do not."""
    with session_scope(engine) as s:
        a, _ = record_incident(s, incident(message_ts="1.1", card_id="FM-16"))
        b, _ = record_incident(s, incident(message_ts="1.1", card_id="RF-39"))
        record_incident(s, incident(message_ts="1.2"))
        record_incident(s, incident(message_ts="1.1", channel_id="C2"))
    with session_scope(engine) as s:
        found = incidents_for_message(s, "T1", "C1", "1.1")
    assert [i.id for i in found] == [a.id, b.id]


def test_replied_in_thread_per_card(engine: Engine) -> None:
    """Mirage knows it already replied in a thread for a card; a failed post or a log-only incident doesn't count."""
    with session_scope(engine) as s:
        record_incident(s, incident(message_ts="5.0", thread_ts=None, card_id="FM-16", action="reply"))
        record_incident(s, incident(message_ts="6.1", thread_ts="6.0", card_id="FM-16", action="reply",
                                    post_error="channel_not_found"))
        record_incident(s, incident(message_ts="7.1", thread_ts="7.0", card_id="FM-16", action="log"))
    with session_scope(engine) as s:
        assert replied_in_thread(s, "T1", "C1", "5.0", "FM-16") is True
        assert replied_in_thread(s, "T1", "C1", "5.0", "RF-39") is False
        assert replied_in_thread(s, "T1", "C2", "5.0", "FM-16") is False
        assert replied_in_thread(s, "T1", "C1", "6.0", "FM-16") is False
        assert replied_in_thread(s, "T1", "C1", "7.0", "FM-16") is False


def test_last_reply_at_and_replies_by_user_since(engine: Engine) -> None:
    """The latest nudge per channel and the count of nudges per person ignore logs, replays and failed posts."""
    with session_scope(engine) as s:
        assert last_reply_at(s, "T1", "C1") is None
        record_incident(s, incident(created_at=at(hours=1), action="reply"))
        record_incident(s, incident(created_at=at(hours=2), action="ephemeral"))
        record_incident(s, incident(created_at=at(hours=3), action="log"))
        record_incident(s, incident(created_at=at(hours=4), action="reply", source="replay"))
        record_incident(s, incident(created_at=at(hours=5), action="reply", post_error="rate_limited"))
        record_incident(s, incident(created_at=at(hours=6), action="reply", user_id="U2", channel_id="C2"))
    with session_scope(engine) as s:
        assert last_reply_at(s, "T1", "C1") == at(hours=2)
        assert last_reply_at(s, "T1", "C2") == at(hours=6)
        assert replies_by_user_since(s, "T1", "U1", at()) == 2
        assert replies_by_user_since(s, "T1", "U1", at(hours=1, days=0) + timedelta(minutes=1)) == 1
        assert replies_by_user_since(s, "T1", "U2", at()) == 1
        assert replies_by_user_since(s, "T2", "U1", at()) == 0


def test_base_incident_is_valid() -> None:
    """The factory's base incident passes validation (guards the other tests' defaults)."""
    assert BASE.action == "reply" and BASE.created_at.tzinfo is not None
