"""`mirage bench detect`: detector throughput on a channel mix, next to a plain regex keyword scan."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from bot.bench.corpus import channel_mix
from bot.catalog import load_catalog
from bot.detection import Detector
from bot.settings import Settings


def _keyword_regex(detector: Detector) -> re.Pattern[str]:
    terms = detector.catalog.lexicon("benchmarks").terms + detector.catalog.lexicon("eval_terms").terms
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)


COLD_START_SCRIPT = """
import sys, time
started = time.perf_counter()
from pathlib import Path
from bot.catalog import load_catalog
from bot.detection import Detector
Detector.from_catalog(load_catalog(Path(sys.argv[1]))).detect("warm up on MMLU")
print(time.perf_counter() - started)
"""


def cold_start_in_new_process(rules_dir: Path) -> float:
    """Seconds from a fresh interpreter's first import to a first verdict (imports + rules + pipeline)."""
    out = subprocess.run(
        [sys.executable, "-c", COLD_START_SCRIPT, str(rules_dir)], capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def scan_whole_process(texts: list[str], jobs: int | None = None) -> tuple[float, float]:
    """Wall-clock and CPU seconds (user + system, its workers included) for `mirage scan` in a new process to read
    the texts as JSON lines and write every verdict (interpreter start, rules, pipeline and model load included)."""
    payload = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode("utf-8")
    args = [sys.executable, "-m", "bot", "scan", *(["--jobs", str(jobs)] if jobs is not None else [])]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    out = subprocess.run(args, input=payload, capture_output=True, check=True)
    seconds = time.perf_counter() - started
    if out.stdout.count(b"\n") != len(texts):
        raise RuntimeError("mirage scan did not answer every line")
    return seconds, _children_cpu() - cpu_before


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} msg/s" if seconds > 0 else "n/a"


def run(
    messages: Annotated[int, typer.Option(help="Messages in the mix.")] = 200_000,
    share: Annotated[float, typer.Option(help="Share of benchmark talk in the mix.")] = 0.05,
    rules: Annotated[Path | None, typer.Option(help="Rules directory.")] = None,
) -> None:
    """Print cold start, detector msg/s on the mix (one core), `mirage scan` msg/s as a whole process, a regex
    keyword scan's msg/s, and peak memory. The mix's chatter names users, customers and tickets, as real chatter
    does."""
    rules_dir = rules or Settings().rules_dir
    started = time.perf_counter()
    detector = Detector.from_catalog(load_catalog(rules_dir))
    cold = time.perf_counter() - started

    mix = list(channel_mix(messages, share))
    keyword = _keyword_regex(detector)

    started = time.perf_counter()
    regex_hits = sum(1 for text in mix if keyword.search(text))
    regex_time = time.perf_counter() - started

    started = time.perf_counter()
    fired = sum(1 for text in mix if detector.detect(text).fired)
    detect_time = time.perf_counter() - started

    started = time.perf_counter()
    batch_fired = sum(1 for d in detector.detect_many(mix) if d.fired)
    batch_time = time.perf_counter() - started

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cores = len(os.sched_getaffinity(0))
    scan_time, scan_cpu = scan_whole_process(mix)
    one_time, one_cpu = scan_whole_process(mix, jobs=1)
    typer.echo(f"messages              {messages:,} ({share:.0%} benchmark talk)")
    typer.echo(f"cold start            {cold:.3f} s (rules load + pipeline build)")
    typer.echo(f"cold start, new proc  {cold_start_in_new_process(rules_dir):.3f} s (imports + rules + first verdict)")
    typer.echo(f"detector, one by one  {_rate(messages, detect_time)}  ({fired:,} claims)")
    typer.echo(f"detector, batched     {_rate(messages, batch_time)}  ({batch_fired:,} claims)")
    typer.echo(f"mirage scan, process  {_rate(messages, scan_time)}  (JSON in and out, start-up included; "
               f"default --jobs, one per core up to 4: {cores} cores here; {scan_cpu:.2f} CPU s)")
    typer.echo(f"mirage scan --jobs 1  {_rate(messages, one_time)}  ({one_cpu:.2f} CPU s: "
               f"{_rate(messages, one_cpu)} per CPU second)")
    typer.echo(f"regex keyword scan    {_rate(messages, regex_time)}  ({regex_hits:,} keyword hits)")
    typer.echo(f"peak memory           {peak_mb:.0f} MB")


def register(bench_app: typer.Typer) -> None:
    bench_app.command("detect")(run)
