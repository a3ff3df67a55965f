"""One channel message, end to end: detect, read the thread only if needed, apply the policy, record the incident.

The caller (a Bolt listener or the console) posts what the returned Outcome says, then reports back with
`record_post` so a failed post is kept on the incident.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.domain import POSTING_ACTIONS, Source
from bot.mrkdwn import excerpt
from bot.policy import Decision, HistoryFacts, MessageFacts, decide, ignored
from bot.reply import Reply, compose_reply
from bot.service.deps import Deps
from bot.service.model import Answer, Outcome
from bot.service.texts import reply_fallback
from bot.store import inbox
from bot.store.balance import add_daily_balance
from bot.store.engine import session_scope
from bot.store.history import last_reply_at, replied_in_thread, replies_by_user_since
from bot.store.incidents import NewIncident, incidents_for_message, record_incident, set_incident_outcome
from bot.store.models import Incident
from bot.store.mutes import is_muted

REACTION = "mag"  # :mag: the one reaction Mirage adds in 'reaction' channels


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    workspace_id: str
    channel_id: str
    event_id: str
    text: str
    facts: MessageFacts
    private: bool = False  # a private channel, DM or group DM: its text is never stored (no excerpt)

    @property
    def created_at(self) -> datetime:
        """The message's own time, from its Slack ts (seconds since the epoch)."""
        try:
            return datetime.fromtimestamp(float(self.facts.ts), UTC)
        except ValueError:
            return datetime.now(UTC)


def handle_message(
    deps: Deps,
    message: IncomingMessage,
    fetch_thread: Callable[[], Sequence[str]] = lambda: (),
    permalink: Callable[[], str | None] = lambda: None,
    source: Source = "live",
    inbox_id: int | None = None,
) -> Outcome:
    """Decide and record what Mirage does with one message.

    `fetch_thread` returns the earlier messages of the thread (oldest first); it is called only when the message
    is a thread reply that looks like a claim. `permalink` is called before the write transaction, and only for a
    claim. With `inbox_id` (the message's inbox row) the effect is stored at most once: the transaction that adds
    to the balance and records the incident also marks the row applied; a later attempt finds it marked, stores
    nothing and resumes an unconfirmed post instead (see `_resume`).
    """
    skip = ignored(message.facts)
    if skip is not None:
        return Outcome(skip)
    if inbox_id is None and not deps.seen.first_time(message.event_id):
        return Outcome(Decision("none", "event already handled (Slack retry)"), duplicate=True)
    facts = message.facts
    ws, ch = message.workspace_id, message.channel_id
    channel = deps.channel_facts(ws, ch)
    if channel.mode == "off":
        return Outcome(Decision("none", "Mirage is off in this channel"))

    detection = deps.detector.detect(message.text)
    if detection.tier is not None and facts.in_thread:
        context = list(fetch_thread())
        if context:
            detection = deps.detector.detect(message.text, context)
    now = deps.clock()
    balance = {"messages": 1, "benchmark": int(detection.mentions_benchmark),
               "user_outcome": int(detection.cites_user_outcome)}
    # a probable-tier claim takes the same path: the policy logs it as a shadow incident, never posts it
    card = deps.catalog.card(detection.card_id) if detection.tier is not None and detection.card_id else None
    if card is None:
        with deps.writing() as s:
            if inbox_id is not None and not inbox.mark_applied(s, inbox_id):
                return Outcome(Decision("none", "message already handled"), duplicate=True)
            add_daily_balance(s, ws, ch, message.created_at.date(), **balance)
        return Outcome(decide(detection, "live", facts, channel, HistoryFacts(), deps.caps, now))

    midnight = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    link = permalink() if source == "live" else None  # never a Web API call inside the write transaction
    # One write transaction reads what Mirage already said and records the incident, so two claims arriving at
    # once in the same thread cannot both be answered (on SQLite writers queue; on PostgreSQL the window is tiny).
    with deps.writing() as s:
        if inbox_id is not None and not inbox.mark_applied(s, inbox_id):
            stored = [i for i in incidents_for_message(s, ws, ch, facts.ts) if i.card_id == card.id]
            return _resume(message, stored[0] if stored else None, compose_reply(card, detection, message.text))
        add_daily_balance(s, ws, ch, message.created_at.date(), **balance)
        history = HistoryFacts(
            replied_in_thread=replied_in_thread(s, ws, ch, facts.thread_key, card.id),
            last_reply_at=last_reply_at(s, ws, ch),
            user_replies_today=replies_by_user_since(s, ws, facts.user or "", midnight),
            user_muted=is_muted(s, ws, facts.user or "", now),
        )
        decision = decide(detection, card.mode, facts, channel, history, deps.caps, now)
        if not decision.records:
            return Outcome(decision)
        new = NewIncident(
            workspace_id=ws, channel_id=ch, user_id=facts.user or "", message_ts=facts.ts,
            thread_ts=facts.thread_key, event_id=message.event_id, card_id=card.id, card_mode=card.mode,
            confidence=detection.confidence, triggers=list(detection.triggers),
            excerpt="" if message.private else excerpt(message.text),
            permalink=link, action=decision.action,
            action_reason=decision.reason, source=source, created_at=message.created_at,
        )
        incident, created = record_incident(s, new)
        incident_id = incident.id
    if not created:
        return Outcome(Decision(decision.action, "event already handled (Slack retry)", decision.thread_ts),
                       incident_id=incident_id, duplicate=True, fired=True)
    reply = compose_reply(card, detection, message.text)
    answer = Answer(text=reply_fallback(reply), reply=reply, incident_id=incident_id) if decision.posts else None
    return Outcome(decision, incident_id=incident_id, reply=reply, answer=answer, fired=True)


def _resume(message: IncomingMessage, incident: Incident | None, reply: Reply) -> Outcome:
    """A message whose effect an earlier attempt stored: post only if that attempt's post was never confirmed."""
    if incident is None or incident.id is None:
        return Outcome(Decision("none", "message already handled"), duplicate=True, fired=True)
    unconfirmed = incident.action in POSTING_ACTIONS and incident.reply_channel is None and not incident.post_error
    facts = message.facts
    thread_ts = facts.thread_key if incident.action == "reply" else facts.thread_ts
    decision = Decision(incident.action, incident.action_reason, thread_ts)  # type: ignore[arg-type]
    if not unconfirmed:
        return Outcome(decision, incident_id=incident.id, duplicate=True, fired=True)
    answer = Answer(text=reply_fallback(reply), reply=reply, incident_id=incident.id)
    return Outcome(decision, incident_id=incident.id, reply=reply, answer=answer, fired=True, resume=True)


def is_plain_chatter(deps: Deps, message: IncomingMessage) -> bool:
    """True when a message can be handled in full at intake: no benchmark or user-evidence word (the detector's
    exact pre-filter), so its only effect is one more message in the channel's counters."""
    return not deps.detector.needs_reading(message.text)


def count_chatter(deps: Deps, s: Session, message: IncomingMessage) -> None:
    """`handle_message`'s whole effect for plain chatter, inside the caller's transaction."""
    if deps.channel_facts(message.workspace_id, message.channel_id).mode != "off":
        add_daily_balance(s, message.workspace_id, message.channel_id, message.created_at.date(), messages=1)


def record_post(
    deps: Deps, outcome: Outcome, reply_channel: str | None, reply_ts: str | None, error: str | None = None
) -> None:
    """Keep on the incident where its reply went, or why posting failed (the incident is never dropped)."""
    if outcome.incident_id is None:
        return
    with deps.writing() as s:
        set_incident_outcome(s, outcome.incident_id, outcome.decision.action, outcome.decision.reason,
                               reply_channel=reply_channel, reply_ts=reply_ts, post_error=error)


def replies_to_delete(deps: Deps, workspace_id: str, channel_id: str, message_ts: str) -> list[tuple[str, str]]:
    """(channel, ts) of every reply Mirage posted to a message that has just been deleted."""
    with session_scope(deps.engine) as s:
        incidents = incidents_for_message(s, workspace_id, channel_id, message_ts)
        return [(i.reply_channel, i.reply_ts) for i in incidents
                if i.action == "reply" and i.reply_channel and i.reply_ts]


def since_days(deps: Deps, days: int) -> datetime:
    return deps.clock() - timedelta(days=days)
