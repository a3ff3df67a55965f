"""Console mode: a terminal chat with Mirage, same services and store, no Slack."""
