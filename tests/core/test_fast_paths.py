"""The speed-ups of the scan path change no verdict: each fast path is compared with the plain path it replaces."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
import spacy
from spacy.util import compile_infix_regex

from bot.bench.corpus import channel_mix
from bot.catalog import Catalog
from bot.cli.scan_lines import CHUNK_LINES, parse_line
from bot.detection import Detector
from bot.detection.clean import clean
from bot.detection.pipeline import (
    SPANS_KEY,
    IndexedSpanRuler,
    blank_english,
    cjk_infixes,
    ruler_patterns,
    span_ruler,
)
from bot.detection.prefilter import Prefilter, words_of

DATA = Path(__file__).resolve().parents[1] / "data"


def _texts(path: Path, every: int = 1) -> list[str]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [json.loads(line)["text"] for line in lines[::every]]


@pytest.fixture(scope="module")
def labelled() -> list[str]:
    """A few hundred labelled messages: Slack-style ones and real-derived ones (every fourth of the dev split)."""
    return _texts(DATA / "dev.jsonl") + _texts(DATA / "real" / "dev.jsonl", every=4)


def _plain_detector(catalog: Catalog, fast: Detector) -> Detector:
    """The detector on spaCy's own SpanRuler (every token pattern at every token) and the case-folding evidence
    scan, with the same classifier."""
    nlp = blank_english()  # the same tokenizer: only the ruler differs
    nlp.add_pipe("span_ruler", config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER", "validate": True})
    nlp.get_pipe("span_ruler").add_patterns(ruler_patterns(catalog, nlp))
    plain = Detector(catalog, nlp, fast.classifier)
    plain.evidence_scan = replace(plain.evidence_scan, ascii=None)
    plain.pipeline_filter = _EitherFilter(plain.anchor_filter, plain.gate_filter)  # type: ignore[assignment]
    return plain


def test_the_tokenizer_built_for_cjk_splits_as_a_blank_pipeline_given_the_rules_later(labelled: list[str]) -> None:
    """Building the tokenizer with the CJK infixes (one load of the special cases) splits every message exactly as
    spaCy's blank English does once its infixes are replaced afterwards."""
    later = spacy.blank("en")
    later.tokenizer.infix_finditer = compile_infix_regex(cjk_infixes()).finditer  # type: ignore[attr-defined]
    built = blank_english()
    texts = [*labelled, "MT-BenchとArena Hardで基准测试领先", "在C-Eval上超越GPT-4，벤치마크 1위!", "tops MMLU (+4)"]
    assert [[t.text for t in built(clean(x))] for x in texts] == [[t.text for t in later(clean(x))] for x in texts]


class _EitherFilter:
    """The gate as it was: the anchor filter, then the gate filter."""

    def __init__(self, first: Prefilter, second: Prefilter) -> None:
        self.first, self.second = first, second

    def words(self, text: str) -> set[str]:
        return words_of(text, (*self.first.name_parts, *self.second.name_parts))

    def may_match_words(self, words: set[str]) -> bool:
        return self.first.may_match_words(words) or self.second.may_match_words(words)


def test_fast_detector_gives_the_plain_detectors_verdicts(
    catalog: Catalog, detector: Detector, labelled: list[str]
) -> None:
    """On hundreds of labelled messages and channel chatter, every verdict of the fast detector equals the plain
    detector's, field for field (and some of them fire, so the comparison covers claims too)."""
    plain = _plain_detector(catalog, detector)
    texts = labelled + list(dict.fromkeys(channel_mix(3_000, 0.05)))
    fast_verdicts = list(detector.detect_many(texts))
    assert fast_verdicts == list(plain.detect_many(texts))
    assert sum(d.fired for d in fast_verdicts) > 50
    assert sum(d.cites_user_outcome for d in fast_verdicts) > 50


def test_indexed_ruler_finds_the_spans_spacy_finds(detector: Detector, labelled: list[str]) -> None:
    """The indexed span ruler's spans equal the plain SpanRuler's on every labelled message, while it runs the
    token Matcher on few patterns per message."""
    ruler = span_ruler(detector.nlp)
    assert isinstance(ruler, IndexedSpanRuler)
    docs = [detector.nlp.make_doc(clean(text)) for text in labelled]
    for doc in docs:
        fast = [(s.start, s.end, s.label_, s.id_) for s in ruler.match(doc)]
        assert fast == [(s.start, s.end, s.label_, s.id_) for s in ruler.match_plain(doc)], doc.text
    run = sum(len(ruler.candidates(doc)) for doc in docs)
    assert run < len(docs) * len(ruler._token_patterns) / 5


def test_a_pattern_without_its_words_is_not_run(detector: Detector) -> None:
    """A doc without any spelling of a pattern's required token does not run that pattern; a doc with them does."""
    ruler = span_ruler(detector.nlp)
    numbers = {i for i, (_, pattern) in enumerate(ruler._token_patterns)
               if any(t.get("LOWER") == "top" for t in pattern)}
    assert numbers
    assert numbers.isdisjoint(ruler.candidates(detector.nlp.make_doc("lunch at noon?")))
    assert numbers & set(ruler.candidates(detector.nlp.make_doc("it is top 3 on the leaderboard")))


@pytest.mark.parametrize(
    "text",
    ["ſtatistically ſignificant lift", "CUSTOMERS said they like it", "users report ☃ it is faster",
     "no customers have tried it yet", "İstanbul users loved it", "the A/B test readout"],
)
def test_ascii_evidence_scan_agrees_with_case_folding(detector: Detector, text: str) -> None:
    """The case-sensitive scan used on ASCII text answers as the case-folding scan, ASCII or not."""
    scan = detector.evidence_scan
    assert scan.ascii is not None
    assert scan.cites(text) == replace(scan, ascii=None).cites(text)


def test_evidence_scan_agrees_with_case_folding_on_labelled_messages(detector: Detector, labelled: list[str]) -> None:
    """On every labelled message, the fast evidence scan says what the case-folding scan says."""
    scan = detector.evidence_scan
    plain = replace(scan, ascii=None)
    answers = [scan.cites(text) for text in labelled]
    assert answers == [plain.cites(text) for text in labelled]
    assert any(answers) and not all(answers)


def test_joined_prefilter_passes_what_either_passes(detector: Detector, labelled: list[str]) -> None:
    """`a | b` passes a message exactly when `a` or `b` does."""
    joined = detector.anchor_filter | detector.gate_filter
    for text in [*labelled, "outperforms everything", "lunch?"]:
        words = words_of(text)
        either = detector.anchor_filter.may_match_words(words) or detector.gate_filter.may_match_words(words)
        assert joined.may_match_words(words) == either, text


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "MMLU", "x": NaN}', b'{"text": "a", "text": "b"}', b'{"text": "\\ud800 lone"}', b'"just a string"',
     b'{"text": "big", "n": 123456789012345678901234567890}', b"[1, 2]", b"{oops", b"  ", b'{"n": 1}'],
)
def test_line_parsing_matches_the_standard_library(raw: bytes) -> None:
    """orjson and the json fallback read each line as json.loads alone would."""
    warnings: list[str] = []
    text = parse_line(7, raw, warnings)
    line = raw.decode()
    try:
        value = json.loads(line)
    except ValueError:
        value = None
        expected = line if line.strip() else ""
    else:
        if isinstance(value, dict):
            expected = value["text"] if isinstance(value.get("text"), str) else ""
        else:
            expected = value if isinstance(value, str) else line
    assert text == expected
    assert bool(warnings) == (isinstance(value, dict) and "text" not in value)


def test_scan_with_workers_answers_as_one_process(labelled: list[str]) -> None:
    """`mirage scan --jobs 2` on input of several chunks writes byte for byte what `--jobs 1` writes, in order."""
    texts = (labelled * (2 * CHUNK_LINES // len(labelled) + 2))[: 2 * CHUNK_LINES + 17]
    payload = "".join(json.dumps({"text": t}) + "\n" for t in texts).encode()

    def scan(jobs: str) -> bytes:
        result = subprocess.run([sys.executable, "-m", "bot", "scan", "--jobs", jobs], input=payload,
                                capture_output=True, timeout=170, check=True)
        return result.stdout

    one = scan("1")
    assert one.count(b"\n") == len(texts)
    assert scan("2") == one
