"""`mirage bench ...`: benchmarks that print numbers (speed and memory targets live here, not in tests)."""

from __future__ import annotations

import typer

bench_app = typer.Typer(help="Benchmarks that print numbers.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    # Each benchmark module adds its command(s) to bench_app with its own register(bench_app).
    from bot.bench import detect, digest, events, replay

    detect.register(bench_app)
    digest.register(bench_app)
    events.register(bench_app)
    replay.register(bench_app)
    app.add_typer(bench_app, name="bench")
