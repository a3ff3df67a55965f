"""Helpers shared by the tests and `mirage bench`, kept out of the runtime packages: a throwaway PostgreSQL server
(`pgserver`) and the one local double of the Slack Web API (`slack_double`). Nothing in bot/ outside bot/bench
imports them."""
