"""The image's health check (deploy/healthcheck.py, run by the Dockerfile's HEALTHCHECK and compose's web service)
against the real `mirage run --http` process: it passes while the server answers and fails once it is gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.bench.support.slack_double import SlackDouble
from bot.slack.paths import HEALTHZ_PATH

from .bot_process import BotProcess, bot_env

HEALTHCHECK = Path(__file__).resolve().parents[2] / "deploy" / "healthcheck.py"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def check(*args: str, **env: str) -> int:
    done = subprocess.run([sys.executable, str(HEALTHCHECK), *args], env={**os.environ, **env},
                          capture_output=True, timeout=30, check=False)
    return done.returncode


@pytest.fixture
def bot(slack: SlackDouble, tmp_path: Path) -> Iterator[BotProcess]:
    process = BotProcess(bot_env(slack.api_url, f"sqlite:///{tmp_path / 'mirage.db'}"), tmp_path / "bot.log").start()
    yield process
    process.stop()


def test_image_healthcheck_follows_the_real_server(bot: BotProcess) -> None:
    """With HTTP_PORT pointing at a running `mirage run --http`, the check exits 0 (explicitly, and by the default
    fallback from an empty HEALTH_PORT); after the process is killed it exits 1."""
    ports = {"HTTP_PORT": str(bot.port), "HEALTH_PORT": str(closed_port())}
    assert check(HEALTHZ_PATH, "--port-from", "HTTP_PORT", **ports) == 0
    assert check(**ports) == 0
    assert check(HEALTHZ_PATH, "--port-from", "HEALTH_PORT", **ports) == 1
    bot.stop()
    assert check(HEALTHZ_PATH, "--port-from", "HTTP_PORT", **ports) == 1
