"""On PostgreSQL a row stored for the workers NOTIFYs them: an idle worker in another process wakes at once
instead of at its next poll."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine

from bot.runtime.wakeup import RowListener
from bot.store import inbox
from bot.store.engine import session_scope

from .bot_process import wait_for


def _item(n: int) -> inbox.NewItem:
    return inbox.NewItem(event_id=f"EvWAKE{n}", kind="message", workspace_id="T1", channel_id="C1", payload="{}",
                         message_key=f"T1:C1:{n}.000001")


@pytest.mark.postgres
def test_a_stored_row_wakes_the_listener_and_a_finished_one_does_not(pg_engine: Engine) -> None:
    """A pending row committed by another connection wakes the listener; a row stored done (plain chatter) and a
    duplicate do not."""
    woken = threading.Event()
    listener = RowListener(pg_engine, woken.set).start()
    try:
        wait_for(listener.connected.is_set, 30, "the listener to LISTEN")
        with session_scope(pg_engine) as s:
            assert inbox.accept(s, _item(1), done=True)
        with session_scope(pg_engine) as s:
            assert not inbox.accept(s, _item(1))  # the same event again: not stored, no notification
        assert not woken.wait(1.5), "nothing to work on, yet the listener was woken"
        with session_scope(pg_engine) as s:
            assert inbox.accept(s, _item(2))
        assert woken.wait(10), "a new pending row did not wake the listener"
    finally:
        listener.stop()
    assert not listener.connected.is_set()
