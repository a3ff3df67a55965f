"""Replay a Slack workspace export through the detector: the report, and optionally a backfilled store."""
