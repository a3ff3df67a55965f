"""bot.mrkdwn owns Slack text: one escape, one unescape, one excerpt, and neutralising of user text."""

from __future__ import annotations

from bot.mrkdwn import EXCERPT_MAX, JOINER, escape, excerpt, neutralise, plain, unescape, user_mrkdwn

from ..live_markup import live_parts


def test_escape_and_unescape_are_inverse_and_single_pass() -> None:
    """`&amp;lt;` unescapes to `&lt;` (one level), and escape/unescape round-trip any text."""
    assert unescape("&amp;lt;3 &lt;b&gt; &amp;") == "&lt;3 <b> &"
    for text in ("<3 & <@U1>", "&amp;", "a > b < c", ""):
        assert unescape(escape(text)) == text


def test_live_slack_text_is_escaped_once_in_the_excerpt() -> None:
    """Slack sends `<3` as `&lt;3`: the excerpt keeps `&lt;3`, never `&amp;lt;3` (the old double escape)."""
    assert excerpt("i &lt;3 MMLU &amp; co") == "i &lt;3 MMLU &amp; co"
    assert "&amp;lt;" not in excerpt("&lt;3")


def test_markup_becomes_words() -> None:
    """Mentions, channels, links and specials become the words a reader sees; labels win over ids."""
    assert plain("<@U1|ann> in <#C1|general>: <https://x.io/a|docs> <https://y.io> <!here>") == (
        "@ann in #general: docs https://y.io @here"
    )
    assert plain("<@U1> <#C2> <!subteam^S1|@ml-team> <!date^1^{date}|today>") == "@U1 #C2 @ml-team today"


def test_neutralise_breaks_broadcasts_and_bare_links_idempotently() -> None:
    """@here/@channel/@everyone and bare links get a word joiner; a second pass changes nothing."""
    text = "best @here score, see https://evil.example/x, www.evil.example and mailto:a@b.c @Channel @everyone"
    once = neutralise(text)
    assert len(live_parts(text)) == 6
    assert live_parts(once) == []
    assert neutralise(once) == once
    assert once.replace(JOINER, "") == text


def test_user_mrkdwn_leaves_no_markup() -> None:
    """User text shown in mrkdwn has no `<`, `>` or live broadcast left."""
    shown = user_mrkdwn("<!channel> hi <https://evil.example|click>")
    assert "<" not in shown and ">" not in shown and "@channel" not in shown


def test_excerpt_is_bounded_and_never_cut_inside_an_entity() -> None:
    """At most EXCERPT_MAX characters with an ellipsis, and no half `&amp;` at the cut."""
    long = excerpt("&amp;" * 400)
    assert len(long) <= EXCERPT_MAX and long.endswith("…")
    assert long.removesuffix("…").endswith("&amp;")
