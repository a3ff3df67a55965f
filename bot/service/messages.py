"""One channel message, end to end: detect, read the thread only if needed, apply the policy, record the incident.

The caller (a Bolt listener or the console) posts what the returned Outcome says, then reports back with
`record_post` so a failed post is kept on the incident.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain import Source
from bot.mrkdwn import excerpt
from bot.policy import Decision, HistoryFacts, MessageFacts, decide, ignored
from bot.reply import compose_reply
from bot.service.deps import Deps
from bot.service.model import Answer, Outcome
from bot.service.texts import reply_fallback
from bot.store import queries as q
from bot.store.engine import session_scope

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
) -> Outcome:
    """Decide and record what Mirage does with one message.

    `fetch_thread` returns the earlier messages of the thread (oldest first); it is called only when the message
    is a thread reply that looks like a claim. `permalink` is called only when an incident is recorded.
    """
    skip = ignored(message.facts)
    if skip is not None:
        return Outcome(skip)
    if not deps.seen.first_time(message.event_id):
        return Outcome(Decision("none", "event already handled (Slack retry)"), duplicate=True)
    facts = message.facts
    ws, ch = message.workspace_id, message.channel_id
    channel = deps.channel_facts(ws, ch)
    if channel.mode == "off":
        return Outcome(Decision("none", "Mirage is off in this channel"))

    detection = deps.detector.detect(message.text)
    if detection.fired and facts.in_thread:
        context = list(fetch_thread())
        if context:
            detection = deps.detector.detect(message.text, context)
    now = deps.clock()
    balance = {"messages": 1, "benchmark": int(detection.mentions_benchmark),
               "user_outcome": int(detection.cites_user_outcome)}
    card = deps.catalog.card(detection.card_id) if detection.fired and detection.card_id else None
    if card is None:
        with deps.writing() as s:
            q.add_daily_balance(s, ws, ch, message.created_at.date(), **balance)
        return Outcome(decide(detection, "live", facts, channel, HistoryFacts(), deps.caps, now))

    midnight = datetime.combine(now.astimezone(UTC).date(), datetime.min.time(), tzinfo=UTC)
    # One write transaction reads what Mirage already said and records the incident, so two claims arriving at
    # once in the same thread cannot both be answered (on SQLite writers queue; on PostgreSQL the window is tiny).
    with deps.writing() as s:
        q.add_daily_balance(s, ws, ch, message.created_at.date(), **balance)
        history = HistoryFacts(
            replied_in_thread=q.replied_in_thread(s, ws, ch, facts.thread_key, card.id),
            last_reply_at=q.last_reply_at(s, ws, ch),
            user_replies_today=q.replies_by_user_since(s, ws, facts.user or "", midnight),
            user_muted=q.is_muted(s, ws, facts.user or "", now),
        )
        decision = decide(detection, card.mode, facts, channel, history, deps.caps, now)
        if not decision.records:
            return Outcome(decision)
        new = q.NewIncident(
            workspace_id=ws, channel_id=ch, user_id=facts.user or "", message_ts=facts.ts,
            thread_ts=facts.thread_key, event_id=message.event_id, card_id=card.id, card_mode=card.mode,
            confidence=detection.confidence, triggers=list(detection.triggers),
            excerpt="" if message.private else excerpt(message.text),
            permalink=permalink() if source == "live" else None, action=decision.action,
            action_reason=decision.reason, source=source, created_at=message.created_at,
        )
        incident, created = q.record_incident(s, new)
        incident_id = incident.id
    if not created:
        return Outcome(Decision(decision.action, "event already handled (Slack retry)", decision.thread_ts),
                       incident_id=incident_id, duplicate=True)
    reply = compose_reply(card, detection, message.text)
    answer = Answer(text=reply_fallback(reply), reply=reply, incident_id=incident_id) if decision.posts else None
    return Outcome(decision, incident_id=incident_id, reply=reply, answer=answer)


def record_post(
    deps: Deps, outcome: Outcome, reply_channel: str | None, reply_ts: str | None, error: str | None = None
) -> None:
    """Keep on the incident where its reply went, or why posting failed (the incident is never dropped)."""
    if outcome.incident_id is None:
        return
    with deps.writing() as s:
        q.set_incident_outcome(s, outcome.incident_id, outcome.decision.action, outcome.decision.reason,
                               reply_channel=reply_channel, reply_ts=reply_ts, post_error=error)


def replies_to_delete(deps: Deps, workspace_id: str, channel_id: str, message_ts: str) -> list[tuple[str, str]]:
    """(channel, ts) of every reply Mirage posted to a message that has just been deleted."""
    with session_scope(deps.engine) as s:
        incidents = q.incidents_for_message(s, workspace_id, channel_id, message_ts)
        return [(i.reply_channel, i.reply_ts) for i in incidents
                if i.action == "reply" and i.reply_channel and i.reply_ts]


def since_days(deps: Deps, days: int) -> datetime:
    return deps.clock() - timedelta(days=days)
