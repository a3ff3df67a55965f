"""`mirage check`, `mirage scan`, `mirage eval` and `mirage rules lint`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.context import current_settings
from bot.cli.loading import catalog_or_exit, detector_or_exit, fail
from bot.detection import Detector
from bot.detection.evaluate import Labelled, Outcome, Report, Scores, score
from bot.detection.evaluate import by_source as by_source_table
from bot.reply import compose_reply, reply_text

RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Rules directory (default: MIRAGE_RULES_DIR or the shipped rules).")
]
rules_app = typer.Typer(help="Work with the pattern catalog.", no_args_is_help=True)


def _rules_dir(rules: Path | None) -> Path:
    return rules if rules is not None else current_settings().rules_dir


def check(
    text: Annotated[str, typer.Argument(help="The message to check.")],
    context: Annotated[
        list[str] | None, typer.Option("--context", "-c", help="An earlier message of the thread (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    rules: RulesOption = None,
) -> None:
    """Say whether TEXT is a benchmark-only claim, which card it matches, why, and what Mirage would reply."""
    detector = detector_or_exit(_rules_dir(rules))
    detection = detector.detect(text, context or ())
    card = detector.catalog.card(detection.card_id) if detection.card_id else None
    reply = reply_text(compose_reply(card, detection, text)) if card is not None else None
    if as_json:
        record = detection.as_scan_record() | {"reason": detection.reason, "reply": reply}
        typer.echo(json.dumps(record, ensure_ascii=False))
        return
    if card is None or reply is None:
        typer.echo(f"No claim: {detection.reason}.")
        return
    typer.echo(f"Claim: {card.id} {card.name} (confidence {detection.confidence:.2f})")
    typer.echo(f"Triggered by: {' + '.join(detection.triggers)}")
    typer.echo(f"Because: {detection.reason}")
    if card.mode == "shadow":
        typer.echo("This card is in shadow mode: Mirage would log this, not reply.")
    typer.echo("\nMirage would reply in the thread:\n")
    typer.echo(reply)


def scan(
    rules: RulesOption = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", "-j", min=1, help="Worker processes (default: the cores available, at most 4)."),
    ] = None,
) -> None:
    """Read messages from stdin (JSON lines with "text", or plain lines); write one JSON verdict per line, in order."""
    from bot.cli.scan_lines import default_jobs, scan_stream

    detector = detector_or_exit(_rules_dir(rules))
    out = sys.stdout

    def emit(answer: tuple[str, list[str]]) -> None:
        lines, warnings = answer
        for warning in warnings:
            print(warning, file=sys.stderr)
        out.write(lines)

    scan_stream(detector, sys.stdin.buffer, jobs if jobs is not None else default_jobs(), emit)
    out.flush()


def _read_labelled(path: Path) -> list[Labelled]:
    items: list[Labelled] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(f"cannot read {path}: {exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise fail(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise fail(f"{path}:{number}: needs a \"text\" string")
        if row.get("label") not in ("claim", "no_claim"):
            raise fail(f"{path}:{number}: \"label\" must be \"claim\" or \"no_claim\"")
        source = row.get("source") if isinstance(row.get("source"), str) else None
        clarity = row.get("clarity") if isinstance(row.get("clarity"), str) else None
        items.append(Labelled(row["text"], row["label"] == "claim", row.get("pattern"), row.get("kind"),
                              clarity, source))
    return items


def outcomes_of(detector: Detector, items: list[Labelled]) -> list[Outcome]:
    detections = detector.detect_many(item.text for item in items)
    return [Outcome(i, d.fired, d.card_id if d.tier else None, d.confidence, d.tier)
            for i, d in zip(items, detections, strict=True)]


def evaluate(detector: Detector, items: list[Labelled]) -> Report:
    return score(outcomes_of(detector, items))


def _scores_line(label: str, s: Scores) -> str:
    return (f"{label:9} precision {s.precision:.3f}  recall {s.recall:.3f}  f1 {s.f1:.3f}  "
            f"(tp {s.tp}, fp {s.fp}, fn {s.fn}, tn {s.tn})")


def _print_report(report: Report, show_errors: bool) -> None:
    typer.echo(_scores_line("overall", report.overall))
    if report.probable is not None:
        typer.echo(_scores_line("+probable", report.probable) + "  (reply and probable tiers together)")
    for clarity, s in report.per_clarity.items():
        typer.echo(_scores_line(clarity, s))
    typer.echo(f"average precision of the confidence ranking: {report.average_precision:.3f}")
    typer.echo(f"card attribution accuracy on caught claims: {report.attribution_accuracy:.3f}")
    for card, s in report.per_card.items():
        typer.echo(f"{card:9} precision {s.precision:.3f}  recall {s.recall:.3f}  f1 {s.f1:.3f}")
    typer.echo("per kind (share answered right):")
    for kind, (right, total) in report.per_kind.items():
        typer.echo(f"  {kind:15} {right:4}/{total:<4} {right / total:.3f}")
    if show_errors:
        typer.echo("errors:")
        for err in report.errors:
            what = "missed" if err.item.is_claim else f"false alarm ({err.pattern})"
            typer.echo(f"  [{what}; {err.item.kind or '-'}] {err.item.text}")


def _report_json(report: Report, errors: bool) -> dict[str, object]:
    return {
        "overall": report.overall.as_dict(),
        "with_probable": report.probable.as_dict() if report.probable else None,
        "per_clarity": {c: s.as_dict() for c, s in report.per_clarity.items()},
        "average_precision": round(report.average_precision, 4),
        "per_card": {card: s.as_dict() for card, s in report.per_card.items()},
        "per_kind": {k: {"right": r, "total": t} for k, (r, t) in report.per_kind.items()},
        "attribution_accuracy": round(report.attribution_accuracy, 4),
        "errors": [{"text": e.item.text, "label": "claim" if e.item.is_claim else "no_claim",
                    "kind": e.item.kind, "fired": e.fired, "pattern": e.pattern, "tier": e.tier,
                    "source": e.item.source} for e in report.errors]
        if errors else [],
    }


def eval_command(
    files: Annotated[
        list[Path], typer.Argument(help="JSON lines: text, label (claim|no_claim), pattern, kind[, clarity, source].")
    ],
    errors: Annotated[bool, typer.Option("--errors", help="List the misclassified lines.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    by_source: Annotated[
        int, typer.Option("--by-source", help="Also list the N sources with the most errors.", min=0)
    ] = 0,
    min_precision: Annotated[
        float, typer.Option("--min-precision", min=0.0, max=1.0, help="Exit 1 when pooled precision is below this.")
    ] = 0.0,
    min_recall: Annotated[
        float, typer.Option("--min-recall", min=0.0, max=1.0, help="Exit 1 when pooled recall is below this.")
    ] = 0.0,
    rules: RulesOption = None,
) -> None:
    """Measure the detector on labelled files: per set, then pooled (per clarity, average precision of the confidence
    ranking, per card, per kind); exit 1 when pooled scores are below --min-precision or --min-recall."""
    detector = detector_or_exit(_rules_dir(rules))
    per_file = {path: outcomes_of(detector, _read_labelled(path)) for path in files}
    pooled = [o for outcomes in per_file.values() for o in outcomes]
    report = score(pooled)
    if as_json:
        payload = _report_json(report, errors) | {
            "per_set": {str(path): score(outcomes).overall.as_dict() for path, outcomes in per_file.items()},
            "worst_sources": [{"source": s, "errors": e, "items": n} for s, e, n in worst(pooled, by_source)],
        }
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        if len(files) > 1:
            for path, outcomes in per_file.items():
                typer.echo(_scores_line(path.name, score(outcomes).overall))
            typer.echo("pooled:")
        _print_report(report, errors)
        if by_source:
            typer.echo(f"the {by_source} sources with the most errors:")
            for source, wrong, total in worst(pooled, by_source):
                typer.echo(f"  {wrong:3}/{total:<3} {source}")
    if report.overall.precision < min_precision or report.overall.recall < min_recall:
        print(f"mirage eval: below the bar (precision {report.overall.precision:.3f} < {min_precision} or "
              f"recall {report.overall.recall:.3f} < {min_recall})", file=sys.stderr)
        raise typer.Exit(1)


def worst(outcomes: list[Outcome], count: int) -> list[tuple[str, int, int]]:
    return [row for row in by_source_table(outcomes) if row[1] > 0][:count]


@rules_app.command("lint")
def lint(
    directory: Annotated[Path | None, typer.Argument(help="Rules directory to check.")] = None,
) -> None:
    """Validate every card and lexicon, then run each card's own examples; print `file: key: problem`."""
    rules_dir = _rules_dir(directory)
    catalog = catalog_or_exit(rules_dir)
    detector = Detector.from_catalog(catalog)
    problems: list[str] = []
    for card in catalog.cards:
        source = catalog.source(card.id)
        for i, text in enumerate(card.examples.match):
            d = detector.detect(text)
            if not (d.fired and d.card_id == card.id):
                problems.append(f"{source}: examples.match[{i}]: does not fire {card.id} "
                                f"(got {d.card_id or 'nothing'}: {d.reason})")
        for i, text in enumerate(card.examples.no_match):
            d = detector.detect(text)
            if d.fired:
                problems.append(f"{source}: examples.no_match[{i}]: fires {d.card_id} ({d.reason})")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        raise typer.Exit(1)
    examples = sum(len(c.examples.match) + len(c.examples.no_match) for c in catalog.cards)
    typer.echo(f"{rules_dir}: {len(catalog.cards)} cards, {len(catalog.lexicons)} lexicons, "
               f"{examples} examples: all good")


@rules_app.command("stats")
def stats(
    file: Annotated[Path, typer.Argument(help="A labelled JSON-lines file (text, label).")],
    top: Annotated[int, typer.Option(help="How many of the most frequent phrases to list.", min=1)] = 40,
    silent: Annotated[bool, typer.Option("--silent", help="Also list every phrase that never fired.")] = False,
    rules: RulesOption = None,
) -> None:
    """Show which catalog phrases fire on FILE (on claims and on other messages) and how many never fire."""
    from bot.detection.stats import phrase_stats, silent_phrases

    detector = detector_or_exit(_rules_dir(rules))
    items = _read_labelled(file)
    fired = phrase_stats(detector, ((i.text, i.is_claim) for i in items))
    typer.echo(f"{'claims':>6} {'others':>6}  owner / label: phrase")
    for row in fired[:top]:
        typer.echo(f"{row.on_claims:6} {row.on_others:6}  {row.owner} / {row.label}: {row.phrase}")
    never = silent_phrases(detector.catalog, fired)
    typer.echo(f"{len(fired)} distinct phrases fired on {len(items)} messages; {len(never)} literal phrases never did")
    if silent:
        for owner, phrase in never:
            typer.echo(f"  never: {owner}: {phrase}")


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("scan")(scan)
    app.command("eval")(eval_command)
    app.add_typer(rules_app, name="rules")
