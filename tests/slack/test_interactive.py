"""/mirage, the reply's buttons, App Home and mentions through the real app: what is stored and what is sent."""

from __future__ import annotations

from sqlmodel import select

from bot.bench.support.slack_double import SlackDouble
from bot.service.deps import Deps
from bot.store.channels import channel_setting, set_channel_mode
from bot.store.engine import session_scope
from bot.store.models import Feedback

from .conftest import Driver, new_ts

CLAIM = "It scored highest on MMLU, so it should be the best choice."


def answered(slack: SlackDouble) -> list[dict[str, object]]:
    return [c.body for c in slack.of("response_url")]


def test_slash_command_is_acknowledged_and_answered_ephemeral(driver: Driver, slack: SlackDouble) -> None:
    """`/mirage help` from a form body: 200 with an empty ack, then an ephemeral answer on the response_url."""
    response = driver.command("help")
    assert response.status == 200
    [answer] = answered(slack)
    assert answer["response_type"] == "ephemeral"
    assert "/mirage search" in str(answer["text"])


def test_each_subcommand_answers(driver: Driver, slack: SlackDouble) -> None:
    """list, a card by id and by name, search, check and stats all answer ephemeral with their content."""
    for text in ("list", "FM-16", "the benchmark mirage", "search scoring", "check it scored highest on MMLU, "
                 "let's ship it", "stats", "mode"):
        driver.command(text)
    texts = [str(a["text"]) for a in answered(slack)]
    assert all(a["response_type"] == "ephemeral" for a in answered(slack))
    assert "FM-16" in texts[0] and "RF-39" in texts[0]
    assert texts[1].startswith("*FM-16 The Benchmark Mirage*") and "*Questions to ask*" in texts[1]
    assert texts[2] == texts[1]
    assert "FM-16" in texts[3]
    assert texts[4].startswith("*Claim:* FM-16")
    assert "Last 4 weeks" in texts[5]
    assert "This channel's mode is *reply*" in texts[6]


def test_unknown_command_gets_help_not_an_error(driver: Driver, slack: SlackDouble) -> None:
    """Unknown input is answered with the help, quoting the input escaped."""
    driver.command("<!channel> frobnicate")
    [answer] = answered(slack)
    assert "I don't know `&lt;!channel&gt; frobnicate`" in str(answer["text"])
    assert "<!channel>" not in str(answer)


def test_mode_command_is_announced_in_channel_and_stored(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """`/mirage mode shadow` changes the channel's mode and says so in the channel (in_channel)."""
    driver.command("mode shadow")
    [answer] = answered(slack)
    assert answer["response_type"] == "in_channel"
    with session_scope(deps.engine) as s:
        assert channel_setting(s, "T0TEAM", "C0GENERAL").mode == "shadow"


def test_not_relevant_stores_feedback_and_collapses_the_reply(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """'Not relevant' stores the verdict and replaces the reply with a one-line thank-you via chat.update."""
    driver.message(CLAIM)
    post = slack.of("chat.postMessage")[0]
    incident_id = post.body["blocks"][4]["elements"][1]["value"]
    response = driver.click("mirage_not_relevant", incident_id, post.answer["ts"])
    assert response.status == 200
    [update] = slack.of("chat.update")
    assert (update.body["channel"], update.body["ts"]) == ("C0GENERAL", post.answer["ts"])
    assert [b["type"] for b in update.body["blocks"]] == ["context"]
    assert "not relevant" in update.body["text"]
    with session_scope(deps.engine) as s:
        [feedback] = s.exec(select(Feedback)).all()
    assert (feedback.incident_id, feedback.user_id, feedback.verdict) == (int(incident_id), "U0BOB", "not_relevant")


def test_helpful_is_stored_without_collapsing(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """'Helpful' stores the verdict, leaves the reply alone and thanks the clicker privately."""
    driver.message(CLAIM)
    post = slack.of("chat.postMessage")[0]
    driver.click("mirage_helpful", post.body["blocks"][4]["elements"][0]["value"], post.answer["ts"])
    driver.click("mirage_has_evidence", post.body["blocks"][4]["elements"][2]["value"], post.answer["ts"],
                 user="U0DAN")
    assert len(slack.of("chat.update")) == 1
    assert answered(slack)[0]["replace_original"] is False
    with session_scope(deps.engine) as s:
        verdicts = sorted((f.user_id, f.verdict) for f in s.exec(select(Feedback)).all())
    assert verdicts == [("U0BOB", "helpful"), ("U0DAN", "has_evidence")]


def test_show_the_card_answers_ephemeral_with_the_whole_card(driver: Driver, slack: SlackDouble) -> None:
    """'Show the card' posts the card's blocks to the clicker only, without touching the reply."""
    driver.click("mirage_show_card", "FM-16", new_ts())
    [answer] = answered(slack)
    assert answer["response_type"] == "ephemeral" and answer["replace_original"] is False
    header = answer["blocks"][0]
    assert (header["type"], header["text"]["text"]) == ("header", "FM-16 The Benchmark Mirage")


def test_feedback_on_a_vanished_incident_is_answered_gently(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """A click whose incident is gone stores nothing, updates nothing and tells the clicker."""
    driver.click("mirage_not_relevant", "999", new_ts())
    assert slack.of("chat.update") == []
    assert "could not find" in str(answered(slack)[0]["text"])


def test_app_home_is_published(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """app_home_opened publishes the home view: catalog, last 4 weeks, watched channels with their modes."""
    with session_scope(deps.engine) as s:
        set_channel_mode(s, "T0TEAM", "C0ML", "ephemeral")
    driver.event({"type": "app_home_opened", "user": "U0ALICE", "channel": "D0HOME", "tab": "home",
                  "event_ts": new_ts()})
    [publish] = slack.of("views.publish")
    assert publish.body["user_id"] == "U0ALICE"
    view = publish.body["view"]
    assert view["type"] == "home"
    text = str(view["blocks"])
    assert "FM-16" in text and "Last 4 weeks" in text and "<#C0ML>: ephemeral" in text


def test_mention_without_a_claim_gets_a_hello_in_thread(driver: Driver, slack: SlackDouble) -> None:
    """@Mirage with no claim gets a short hello in the thread; a mention that is a claim gets the claim's reply,
    once: its `message` event (same message, another event id) and a redelivery of the mention add nothing."""
    ts = new_ts()
    driver.event({"type": "app_mention", "user": "U0ALICE", "channel": "C0GENERAL", "text": "<@UMIRAGE> hi",
                  "ts": ts, "event_ts": ts})
    [hello] = slack.of("chat.postMessage")
    assert hello.body["thread_ts"] == ts and "/mirage help" in hello.body["text"]
    claim_ts = new_ts()
    mention = {"type": "app_mention", "user": "U0ALICE", "channel": "C0GENERAL", "text": f"<@UMIRAGE> {CLAIM}",
               "ts": claim_ts, "event_ts": claim_ts}
    for _ in range(4):
        driver.event(mention, event_id="Ev0MENTION")
    driver.event({**mention, "type": "message", "channel_type": "channel"}, event_id="Ev0MESSAGE")
    posts = slack.of("chat.postMessage")
    assert len(posts) == 2, [p.body.get("text") for p in posts]
    assert posts[1].body["thread_ts"] == claim_ts and "/mirage help" not in posts[1].body["text"]
    assert posts[1].body["metadata"]["event_type"] == "mirage_reply"
