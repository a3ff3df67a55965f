"""The weekly digest: built as data from store aggregates (pure), then rendered to text, JSON and Block Kit."""
