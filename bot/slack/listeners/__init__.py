"""One Bolt listener per file; each module's `register(app, deps)` wires it explicitly (see bot/slack/app.py)."""
