"""The `mirage` command line."""
