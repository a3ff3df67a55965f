"""What Mirage says when a claim is detected: pure composition, rendered by Slack blocks or as plain text."""

from bot.mrkdwn import escape
from bot.reply.compose import Reply, compose_reply, reply_text

__all__ = ["Reply", "compose_reply", "escape", "reply_text"]
