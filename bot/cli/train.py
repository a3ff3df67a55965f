"""`mirage train` (the claim classifier) and `mirage corpus split` (the real-derived corpus)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import current_settings
from bot.cli.loading import catalog_or_exit

corpus_app = typer.Typer(help="Work with the labelled corpus.", no_args_is_help=True)
REPO_ROOT = Path(__file__).resolve().parents[2]


def train_command(
    root: Annotated[Path, typer.Option(help="Repository root holding tests/data.")] = REPO_ROOT,
    out: Annotated[Path | None, typer.Option(help="Where to write the model (default: the shipped one).")] = None,
    config: Annotated[Path | None, typer.Option(help="Training config (default: bot/detection/textcat.cfg).")] = None,
) -> None:
    """Train the claim classifier from the config and the repository's data (fixed seed), choose the blend and the
    tier cut-offs on the real-derived dev split, and write the model with its manifest."""
    from bot.detection.classifier import MODEL_DIR
    from bot.detection.train import CONFIG_PATH, train

    catalog = catalog_or_exit(current_settings().rules_dir)
    manifest = train(root, catalog, out or MODEL_DIR, config or CONFIG_PATH)
    typer.echo(json.dumps({k: manifest[k] for k in ("training_lines", "blend", "dev_metrics", "data_hash")}, indent=2))


@corpus_app.command("split")
def split_command(
    parts: Annotated[Path, typer.Argument(help="Folder of writers' *_test.jsonl and *_train.jsonl parts.")],
    out: Annotated[Path, typer.Argument(help="Folder to write train.jsonl, dev.jsonl and test.jsonl to.")],
) -> None:
    """Split the real-derived corpus by source: test parts as written, the rest by a stable hash of the source."""
    from bot.detection.corpus import split_parts, write_split

    counts = write_split(split_parts(parts), out)
    typer.echo(", ".join(f"{name} {count}" for name, count in counts.items()))


def register(app: typer.Typer) -> None:
    app.command("train")(train_command)
    app.add_typer(corpus_app, name="corpus")
