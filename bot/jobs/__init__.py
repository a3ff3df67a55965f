"""The scheduled jobs (the `scheduler` role): the weekly digest post and the retention purge, and the
APScheduler that runs them."""
