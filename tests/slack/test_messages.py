"""Channel messages through the real Bolt app, signed requests and the Slack double: what gets posted, and where."""

from __future__ import annotations

import json
import time

from sqlmodel import select

from bot.bench.support.slack_double import SlackDouble, api_error, rate_limited
from bot.mrkdwn import JOINER, unescape
from bot.service.deps import Deps
from bot.store.channels import set_channel_mode
from bot.store.engine import session_scope
from bot.store.models import Incident
from bot.store.stats import channel_stats

from .conftest import Driver, new_ts
from .signing import event_body, sign

CLAIM = "It scored highest on MMLU, so it should be the best choice."
EVIDENCE = "We ran a two-week A/B test on real support tickets and customers resolved 20% more tickets with Claude."
THREAD_CLAIM = "Claude beats GPT-4o on SWE-bench Verified, let's switch."


def incidents(deps: Deps) -> list[Incident]:
    with session_scope(deps.engine) as s:
        return list(s.exec(select(Incident).order_by(Incident.id)))  # type: ignore[arg-type]


def test_plain_claim_gets_a_reply_in_its_own_thread(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """A top-level claim: 200, one chat.postMessage in the message's own thread with the reply blocks."""
    response, event = driver.message(CLAIM)
    assert response.status == 200
    assert slack.methods() == ["chat.postMessage"]
    post = slack.of("chat.postMessage")[0].body
    assert post["channel"] == "C0GENERAL"
    assert post["thread_ts"] == event["ts"]
    blocks = post["blocks"]
    assert [b["type"] for b in blocks] == ["section", "section", "section", "context", "actions"]
    why = blocks[3]["elements"][0]["text"]
    assert why.startswith("Why this? It matched: *scored highest") and " + *MMLU*" in why
    assert [e["action_id"] for e in blocks[4]["elements"]] == [
        "mirage_helpful", "mirage_not_relevant", "mirage_has_evidence", "mirage_show_card"]
    [incident] = incidents(deps)
    reply_ts = slack.of("chat.postMessage")[0].answer["ts"]
    assert (incident.card_id, incident.action, incident.reply_ts) == ("FM-16", "reply", reply_ts)
    assert blocks[4]["elements"][0]["value"] == str(incident.id)
    assert incident.permalink == f"https://test.slack.com/archives/C0GENERAL/p{event['ts'].replace('.', '')}"


def test_thread_reply_claim_is_answered_in_that_thread(driver: Driver, slack: SlackDouble) -> None:
    """A claim inside a thread: the thread is read (conversations.replies), then the reply goes to that thread."""
    parent = new_ts()
    slack.thread = [{"type": "message", "user": "U0BOB", "text": "Which model for the assistant?", "ts": parent}]
    driver.message(THREAD_CLAIM, thread_ts=parent)
    assert slack.methods() == ["conversations.replies", "chat.postMessage"]
    assert slack.of("conversations.replies")[0].body["ts"] == parent
    assert slack.of("chat.postMessage")[0].body["thread_ts"] == parent


def test_user_evidence_earlier_in_the_thread_means_no_reply(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """When the thread already cites user evidence, the claim is not answered and no incident is kept."""
    parent = new_ts()
    slack.thread = [{"type": "message", "user": "U0BOB", "text": EVIDENCE, "ts": parent}]
    driver.message(THREAD_CLAIM, thread_ts=parent)
    assert slack.methods() == ["conversations.replies"]
    assert incidents(deps) == []


def test_top_level_messages_never_read_a_thread(driver: Driver, slack: SlackDouble) -> None:
    """conversations.replies is only called for thread replies that look like claims; non-claims cost no call."""
    driver.message("lunch at noon?")
    driver.message("lunch at noon?", thread_ts=new_ts())
    driver.message(CLAIM)
    assert "conversations.replies" not in slack.methods()


def test_non_claim_posts_nothing(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """An ordinary message gets no post, no incident, but is counted in the channel's balance."""
    response, _ = driver.message("MMLU is a benchmark of 57 subjects; here is the paper.")
    assert response.status == 200
    assert slack.methods() == []
    assert incidents(deps) == []
    with session_scope(deps.engine) as s:
        stats = channel_stats(s, "T0TEAM", "C0GENERAL", deps.clock().replace(hour=0, minute=0))
    assert stats.messages == 1


def test_bots_edits_joins_and_itself_are_ignored(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """Bot messages, Mirage's own messages, message_changed and channel joins never get an answer."""
    driver.message(CLAIM, bot_id="B0OTHER")
    driver.message(CLAIM, user="UMIRAGE")
    driver.message(CLAIM, subtype="channel_join")
    driver.message(CLAIM, subtype="bot_message")
    driver.event({"type": "message", "subtype": "message_changed", "channel": "C0GENERAL", "ts": new_ts(),
                  "message": {"type": "message", "user": "U0ALICE", "text": CLAIM, "ts": new_ts()},
                  "previous_message": {"type": "message", "user": "U0ALICE", "text": "hi", "ts": new_ts()}})
    assert slack.methods() == []
    assert incidents(deps) == []


def test_deleted_message_deletes_miriages_reply(driver: Driver, slack: SlackDouble) -> None:
    """When the claim is deleted, Mirage deletes its own reply (chat.delete on the reply's channel and ts)."""
    _, event = driver.message(CLAIM)
    posted_ts = slack.of("chat.postMessage")[0].answer["ts"]
    driver.event({"type": "message", "subtype": "message_deleted", "channel": "C0GENERAL", "hidden": True,
                  "ts": new_ts(), "deleted_ts": event["ts"],
                  "previous_message": {"type": "message", "user": "U0ALICE", "text": CLAIM, "ts": event["ts"]}})
    [delete] = slack.of("chat.delete")
    assert (delete.body["channel"], delete.body["ts"]) == ("C0GENERAL", posted_ts)


def test_slack_retry_gives_no_second_reply(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """A retry of the same event (X-Slack-Retry-Num) is acknowledged but neither posted nor recorded again."""
    ts = new_ts()
    driver.message(CLAIM, ts=ts, event_id="Ev0RETRY")
    response, _ = driver.message(CLAIM, ts=ts, event_id="Ev0RETRY", retry=1)
    assert response.status == 200
    assert len(slack.of("chat.postMessage")) == 1
    assert len(incidents(deps)) == 1


def test_retry_reaching_another_process_is_deduped_by_the_store(
    driver: Driver, slack: SlackDouble, deps: Deps
) -> None:
    """A retry landing on a fresh process (nothing in memory) still finds the event_id in the store: no post."""
    ts = new_ts()
    driver.message(CLAIM, ts=ts, event_id="Ev0OTHER")
    deps.seen = type(deps.seen)()  # as if another worker got the retry
    driver.message(CLAIM, ts=ts, event_id="Ev0OTHER", retry=2)
    assert len(slack.of("chat.postMessage")) == 1
    assert len(incidents(deps)) == 1


def test_bad_or_stale_signature_is_rejected(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """A wrong signature or a timestamp older than five minutes gets 401 and nothing happens."""
    body = event_body({"type": "message", "channel": "C0GENERAL", "user": "U0ALICE", "text": CLAIM,
                       "ts": new_ts()}, "Ev0BAD")
    wrong = sign(body, secret="not-the-secret")
    stale = sign(body, timestamp=int(time.time()) - 600)
    for headers in (wrong, stale, {}):
        response = driver.app.dispatch(
            __import__("slack_bolt").BoltRequest(body=body, headers={"content-type": "application/json", **headers}))
        assert response.status == 401
    assert slack.methods() == []
    assert incidents(deps) == []


def test_channel_mention_in_a_claim_is_never_echoed_live(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """`<!channel>` and `<@U…>` in a claim never come back as live mentions in anything Mirage sends."""
    driver.message("<!channel> <@U0CAROL> it scored highest on MMLU, so let's ship it & celebrate <!here>")
    assert slack.methods() == ["chat.postMessage"]
    sent = "".join(c.raw for c in slack.calls)
    for live in ("<!channel>", "<!here>", "<@U0CAROL>"):
        assert live not in sent
    [incident] = incidents(deps)
    assert "<" not in incident.excerpt and "@channel" not in incident.excerpt and "@here" not in incident.excerpt
    assert unescape(incident.excerpt).replace(JOINER, "").startswith("@channel @U0CAROL it scored highest")
    assert "ship it &amp; celebrate" in incident.excerpt  # Slack's `&amp;` escaped once, not `&amp;amp;`


def test_rate_limited_post_is_retried_after_retry_after(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """A 429 with Retry-After on chat.postMessage is retried by the client; the reply lands once."""
    slack.script("chat.postMessage", rate_limited(1))
    driver.message(CLAIM)
    assert len(slack.of("chat.postMessage")) == 2
    [incident] = incidents(deps)
    assert incident.reply_ts is not None and incident.post_error is None


def test_failed_post_keeps_the_incident_with_the_error(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """When posting fails for good, the incident stays, with the failure recorded."""
    slack.script("chat.postMessage", api_error("not_in_channel"))
    response, _ = driver.message(CLAIM)
    assert response.status == 200
    [incident] = incidents(deps)
    assert incident.reply_ts is None
    assert incident.post_error is not None and "not_in_channel" in incident.post_error


def test_second_claim_in_the_same_thread_is_only_logged(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """At most one reply per thread per card: a second claim in an answered thread is logged, not posted."""
    _, first = driver.message(CLAIM)
    driver.message(CLAIM.replace("MMLU", "GPQA"), thread_ts=first["ts"])
    assert len(slack.of("chat.postMessage")) == 1
    assert [i.action for i in incidents(deps)] == ["reply", "log"]


def test_channel_modes_change_how_mirage_answers(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """ephemeral -> chat.postEphemeral to the author; reaction -> reactions.add; shadow -> nothing posted."""
    with session_scope(deps.engine) as s:
        set_channel_mode(s, "T0TEAM", "C0EPH", "ephemeral")
        set_channel_mode(s, "T0TEAM", "C0REACT", "reaction")
        set_channel_mode(s, "T0TEAM", "C0SHADOW", "shadow")
        set_channel_mode(s, "T0TEAM", "C0OFF", "off")
    driver.message(CLAIM, channel="C0EPH")
    _, reacted = driver.message(CLAIM, channel="C0REACT")
    driver.message(CLAIM, channel="C0SHADOW")
    driver.message(CLAIM, channel="C0OFF")
    [eph] = slack.of("chat.postEphemeral")
    assert (eph.body["channel"], eph.body["user"]) == ("C0EPH", "U0ALICE")
    [reaction] = slack.of("reactions.add")
    assert (reaction.body["channel"], reaction.body["timestamp"], reaction.body["name"]) == (
        "C0REACT", reacted["ts"], "mag")
    assert slack.of("chat.postMessage") == []
    assert {i.channel_id: i.action for i in incidents(deps)} == {
        "C0EPH": "ephemeral", "C0REACT": "reaction", "C0SHADOW": "log"}


def test_muted_author_is_left_alone(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """After /mirage mute, the author's claims get no reply."""
    driver.command("mute 2h", user="U0ALICE")
    driver.message(CLAIM, user="U0ALICE")
    assert "chat.postMessage" not in slack.methods()
    assert incidents(deps) == []


def test_reply_text_is_json_safe_and_has_fallback(driver: Driver, slack: SlackDouble) -> None:
    """The post carries a notification fallback text (the lead) besides the blocks."""
    driver.message(CLAIM)
    post = slack.of("chat.postMessage")[0].body
    assert post["text"].startswith("Before this becomes the decision")
    json.dumps(post)
