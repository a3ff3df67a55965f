"""Authorization: a signed button click acts only on an incident of its own workspace and channel."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.bench.support.slack_double import SlackDouble
from bot.service.deps import Deps
from bot.store.engine import session_scope
from bot.store.models import Feedback

from .conftest import Driver

CLAIM = "It scored highest on MMLU, so it should be the best choice."


def _reply(driver: Driver, slack: SlackDouble) -> tuple[str, str]:
    """Post a claim in T0TEAM/C0GENERAL; the incident id on its 'Not relevant' button and the reply's ts."""
    driver.message(CLAIM)
    post = slack.of("chat.postMessage")[0]
    return str(post.body["blocks"][4]["elements"][1]["value"]), str(post.answer["ts"])


def _feedback(deps: Deps) -> list[Feedback]:
    with session_scope(deps.engine) as s:
        return list(s.exec(select(Feedback)).all())


@pytest.mark.parametrize(("where", "elsewhere"), [
    ("another channel", {"channel": "C0OTHER"}),
    ("another workspace", {"team": "T0OTHER"}),
    ("another workspace and channel", {"team": "T0OTHER", "channel": "C0OTHER"}),
])
def test_click_carrying_a_foreign_incident_id_stores_nothing(
    driver: Driver, slack: SlackDouble, deps: Deps, where: str, elsewhere: dict[str, str]
) -> None:
    """A signed click from {where} naming this channel's incident stores no feedback and collapses nothing."""
    incident_id, reply_ts = _reply(driver, slack)
    response = driver.click("mirage_not_relevant", incident_id, reply_ts, **elsewhere)
    assert response.status == 200
    assert _feedback(deps) == []
    assert slack.of("chat.update") == []
    [note] = [c.body for c in slack.of("response_url")]
    assert "could not find" in str(note["text"])


def test_click_in_the_incidents_own_channel_still_counts(driver: Driver, slack: SlackDouble, deps: Deps) -> None:
    """The same click from the incident's own workspace and channel is stored (the check is not a blanket no)."""
    incident_id, reply_ts = _reply(driver, slack)
    driver.click("mirage_not_relevant", incident_id, reply_ts, channel="C0OTHER")
    driver.click("mirage_not_relevant", incident_id, reply_ts)
    assert [(f.incident_id, f.verdict) for f in _feedback(deps)] == [(int(incident_id), "not_relevant")]
    assert len(slack.of("chat.update")) == 1
