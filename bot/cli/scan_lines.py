"""`mirage scan`'s engine: JSON lines in, one verdict line out per input line, in order, on one or more cores.

Lines are read in chunks. Each chunk is parsed (a JSON object's "text", a JSON string, or the raw line), run
through `Detector.detect_many` and written out as JSON verdicts. With more than one job and more than one chunk of
input, worker processes forked after the detector is loaded (so they share its memory copy-on-write) do the
chunks, a bounded number at a time, and the parent writes their answers back in input order.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

import orjson

from bot.detection import Detector
from bot.detection.model import Detection

CHUNK_LINES = 2_000
MAX_JOBS = 4
MAX_CACHED_LINES = 4_096
Chunk = tuple[int, list[bytes]]  # the number of its first line, and its raw lines
Answer = tuple[str, list[str]]  # verdict lines (joined), warnings for stderr

_worker_detector: Detector | None = None  # set in the parent before forking; the workers inherit it


def default_jobs() -> int:
    """The cores this process may use, capped at MAX_JOBS."""
    return max(1, min(MAX_JOBS, len(os.sched_getaffinity(0))))


def parse_line(number: int, raw: bytes, warnings: list[str]) -> str:
    """The text one input line carries: a JSON object's "text", a JSON string, or the raw line. Never raises."""
    line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
    if not line.strip():
        return ""
    try:
        value = _loads(line)
    except ValueError:
        return line
    if isinstance(value, dict) and isinstance(value.get("text"), str):
        return str(value["text"])
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        warnings.append(f"mirage scan: line {number}: no \"text\" string; answered fired: false")
        return ""
    return line


def _loads(line: str) -> Any:
    """json.loads, fast: orjson parses standard JSON to the same values; what it refuses (NaN, huge integers, lone
    surrogates) goes to the standard library, which decides as before."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


class Verdicts:
    """Detections as `mirage scan` JSON lines; most chatter shares a handful of verdicts, so lines are cached."""

    def __init__(self) -> None:
        self._lines: dict[Detection, str] = {}

    def line(self, detection: Detection) -> str:
        line = self._lines.get(detection)
        if line is None:
            if len(self._lines) >= MAX_CACHED_LINES:
                self._lines.clear()
            line = self._lines[detection] = json.dumps(detection.as_scan_record(), ensure_ascii=False) + "\n"
        return line


def answer_chunk(detector: Detector, chunk: Chunk, verdicts: Verdicts) -> Answer:
    first, raws = chunk
    warnings: list[str] = []
    texts = [parse_line(first + i, raw, warnings) for i, raw in enumerate(raws)]
    return "".join(map(verdicts.line, detector.detect_many(texts))), warnings


def chunks(stream: Iterable[bytes], size: int = CHUNK_LINES) -> Iterator[Chunk]:
    batch: list[bytes] = []
    first = 1
    for raw in stream:
        batch.append(raw)
        if len(batch) >= size:
            yield first, batch
            first += len(batch)
            batch = []
    if batch:
        yield first, batch


_worker_verdicts = Verdicts()


def _work(chunk: Chunk) -> Answer:
    assert _worker_detector is not None, "scan workers are forked after the detector is set"
    return answer_chunk(_worker_detector, chunk, _worker_verdicts)


def scan_stream(detector: Detector, stream: Iterable[bytes], jobs: int, emit: Callable[[Answer], None]) -> None:
    """Answer every line of `stream` in order through `emit`, with up to `jobs` worker processes."""
    pending = chunks(stream)
    first = next(pending, None)
    if first is None:
        return
    second = next(pending, None)
    verdicts = Verdicts()
    if jobs <= 1 or second is None:  # small input: forking would cost more than it saves
        emit(answer_chunk(detector, first, verdicts))
        if second is not None:
            emit(answer_chunk(detector, second, verdicts))
        for chunk in pending:
            emit(answer_chunk(detector, chunk, verdicts))
        return
    global _worker_detector
    _worker_detector = detector
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            _run_in_order(pool, jobs, [first, second], pending, emit)
    finally:
        _worker_detector = None


def _run_in_order(
    pool: Pool, jobs: int, head: list[Chunk], rest: Iterator[Chunk], emit: Callable[[Answer], None]
) -> None:
    """Keep at most 2 x `jobs` chunks in flight (bounded memory on endless input); emit answers in input order."""
    in_flight: deque[AsyncResult[Answer]] = deque()
    for chunk in itertools.chain(head, rest):
        in_flight.append(pool.apply_async(_work, (chunk,)))
        if len(in_flight) >= 2 * jobs:
            emit(in_flight.popleft().get())
    while in_flight:
        emit(in_flight.popleft().get())

