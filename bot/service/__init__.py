"""Mirage's services: what happens for a message, a command, a button or the home tab, whoever talks to Slack."""
