"""What `mirage run --role ...` starts: one small module per role part (web, worker, scheduler), the probe routes
and their side server, and the role plan that puts them together."""
