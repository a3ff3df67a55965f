"""What to tell people when a digest cannot be shown or posted as they expected. Pure."""

from __future__ import annotations


def digest_failure_hint(channel_id: str, error: str) -> str | None:
    """What to do about a failed digest post, when Slack's error says: the bot is not a member of the channel.

    Mirage never joins a channel on its own and does not ask for `chat:write.public`: it posts only where people
    invited it. So a DIGEST_CHANNELS entry it is not in needs an `/invite @Mirage` there (or leaving the list)."""
    if "not_in_channel" in error:
        return (f"Mirage is not a member of {channel_id}, so it cannot post the digest there: "
                "`/invite @Mirage` in that channel, or take it out of DIGEST_CHANNELS")
    return None
