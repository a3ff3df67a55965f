"""Mirage: a Slack bot that asks for user evidence when a team leans on benchmark scores alone."""

__version__ = "0.1.0"
