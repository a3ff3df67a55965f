"""Tests that set up Mirage's logging put the process's logging back as it was afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.logs import QUIET_LOGGERS, SILENT_LOGGERS


@contextmanager
def restored_logging(*more_loggers: str) -> Iterator[None]:
    """Restore the root logger's handlers and level, and the levels Mirage sets on its quiet and silent loggers
    (and `more_loggers`), once the block ends."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {name: logging.getLogger(name).level for name in (*QUIET_LOGGERS, *SILENT_LOGGERS, *more_loggers)}
    try:
        yield
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
