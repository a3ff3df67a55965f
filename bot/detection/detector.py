"""The claim detector: a benchmark reference plus an argument (superiority, decision, sufficiency), no user evidence.

Pure: no Slack, no database. Build once with `Detector.from_catalog(catalog)`, then call `detect` per message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from spacy.language import Language
from spacy.tokens import Doc

from bot.catalog import Card, Catalog, Cue
from bot.detection.analysis import NEGATION_WINDOW, Hit, Sentence, dedupe_overlaps, hits, merged_texts, sentences
from bot.detection.clean import clean
from bot.detection.model import QUIET, Detection
from bot.detection.pipeline import ANCHOR_LEXICONS, build_pipeline, phrase_tokens
from bot.detection.prefilter import Prefilter, words_of

ANCHOR_STRENGTH = {"BENCHMARKS": 0.15, "EVAL_TERMS": 0.05, "SCORE_TERMS": 0.05}
CONNECTIVE_BONUS = 0.1
STRONG_CUE = 0.2  # the connective bonus needs at least this much cue weight
MAX_CONFIDENCE = 0.98
MAX_CONTEXT_MESSAGES = 20
MAX_CONTEXT_CHARS = 2_000
ABSENT_EVIDENCE = "EVIDENCE_ABSENT"
SILENCERS = (
    ("SKEPTIC", "skeptical of the benchmark"),
    ("CAUTION", "wants to wait for more evidence"),
    ("REPORTED", "reports or jokes about a claim"),
)
PENDING_WINDOW = 4  # "the CSAT survey isn't back yet": a pending marker this close after evidence negates it
GENERIC_BENCH = ("bench",)  # systems talk silences only the generic word ("benchmark"), not ML eval words


@dataclass(frozen=True, slots=True)
class _Reading:
    """What one message says, before any card is chosen."""

    hits: tuple[Hit, ...]
    sentences: tuple[Sentence, ...]
    anchors: tuple[Hit, ...]
    evidence: tuple[Hit, ...]

    def labels(self) -> set[str]:
        return {h.label for h in self.hits}

    def first(self, label: str, negated: bool | None = None) -> Hit | None:
        """The first hit of `label` (only un-negated or only negated ones when `negated` is given)."""
        return next((h for h in self.hits if h.label == label and negated in (None, h.negated)), None)


class Detector:
    """Finds benchmark-only claims and attributes each to the best-fitting card."""

    def __init__(self, catalog: Catalog, nlp: Language) -> None:
        self.catalog = catalog
        self.nlp = nlp
        self.anchor_filter = Prefilter.from_phrases(phrase_tokens(nlp, catalog, ANCHOR_LEXICONS))
        self.evidence_filter = Prefilter.from_phrases(phrase_tokens(nlp, catalog, ("user_evidence",)))
        self.question_words = frozenset(
            t.split()[0].lower() for t in catalog.lexicon("question_words").terms
        )

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Detector:
        return cls(catalog, build_pipeline(catalog))

    # ---- public API -------------------------------------------------------------------------------------------

    def detect(self, text: str, context: Sequence[str] = ()) -> Detection:
        """The verdict on `text`; `context` holds earlier messages of the same thread, oldest first."""
        if not self._worth_reading(text):
            return QUIET
        return self._judge(self._doc(text), context)

    def detect_many(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Detection]:
        """`detect` for many messages (no thread context), batching the ones that need the pipeline."""
        pending: list[tuple[int, str]] = []
        results: dict[int, Detection] = {}
        next_out = 0
        for i, text in enumerate(texts):
            if self._worth_reading(text):
                pending.append((i, clean(text)))
            else:
                results[i] = QUIET
            if len(pending) >= batch_size:
                self._flush(pending, results)
            while next_out in results:
                yield results.pop(next_out)
                next_out += 1
        self._flush(pending, results)
        while next_out in results:
            yield results.pop(next_out)
            next_out += 1

    def needs_reading(self, text: str) -> bool:
        """False when `text` holds no benchmark or user-evidence word at all: `detect` would say QUIET at once."""
        return self._worth_reading(text)

    def cites_user_outcome(self, text: str) -> bool:
        """True when `text` points at evidence from real users or production (not negated)."""
        if not self.evidence_filter.may_match(text):
            return False
        return bool(self._read(self.nlp(clean(text))).evidence)

    # ---- internals --------------------------------------------------------------------------------------------

    def _worth_reading(self, text: str) -> bool:
        words = words_of(text)
        return self.anchor_filter.may_match_words(words) or self.evidence_filter.may_match_words(words)

    def _doc(self, text: str) -> Doc:
        return self.nlp(clean(text))

    def _flush(self, pending: list[tuple[int, str]], results: dict[int, Detection]) -> None:
        for (i, _), doc in zip(pending, self.nlp.pipe(t for _, t in pending), strict=True):
            results[i] = self._judge(doc, ())
        pending.clear()

    def _read(self, doc: Doc) -> _Reading:
        sents = sentences(doc, self.question_words)
        found = dedupe_overlaps(doc, hits(doc, sents))
        labels = {h.label for h in found}
        ml_context = "ML_CONTEXT" in labels
        named = "BENCHMARKS" in labels
        off_topic = "NON_ML" in labels and not ml_context and not named
        anchors = tuple(
            h
            for h in found
            if not off_topic
            and (
                h.label in ("BENCHMARKS", "EVAL_TERMS")
                or (h.label == "SCORE_TERMS" and (ml_context or named))
            )
        )
        card_ids = {card.id for card in self.catalog.cards}
        claim_spans = [(h.start, h.end) for h in found if h.source in card_ids]
        pending = [h.start for h in found if h.label == "PENDING"]
        found = [
            replace(h, negated=True)
            if h.label == "USER_EVIDENCE" and any(0 <= p - h.end <= PENDING_WINDOW for p in pending)
            else h
            for h in found
        ]
        evidence = tuple(
            h
            for h in found
            if h.label == "USER_EVIDENCE"
            and not h.negated
            # "ready for customers" is a claim cue, not evidence that customers were asked
            and not any(s <= h.start and h.end <= e and e - s > h.end - h.start for s, e in claim_spans)
        )
        return _Reading(tuple(found), tuple(sents), anchors, evidence)

    def _judge(self, doc: Doc, context: Sequence[str]) -> Detection:
        reading = self._read(doc)
        mentions = bool(reading.anchors)
        cites = bool(reading.evidence)

        def quiet(reason: str, triggers: tuple[str, ...] = ()) -> Detection:
            return Detection(False, None, 0.0, triggers, reason, mentions, cites)

        if not reading.anchors:
            return quiet("no benchmark or eval reference")
        if cites:
            return quiet(f"cites user evidence ({reading.evidence[0].text})")
        for label, why in SILENCERS:
            # "don't need to wait for the user study" is not caution; "doesn't tell you much" is still doubt
            hit = reading.first(label, negated=False if label == "CAUTION" else None)
            if hit is not None:
                return quiet(f"{why} ({hit.text})")
        systems = reading.first("SYSTEMS")
        if systems is not None and self._about_systems(reading):
            return quiet(f"a systems or performance benchmark ({systems.text})")

        best = self._best_card(doc, reading)
        if best is None:
            return quiet("mentions a benchmark without arguing from it")
        card, confidence, triggers, cue_labels = best
        if confidence < card.detect.min_confidence:
            return quiet(f"too weak to call a claim ({confidence:.2f})")
        context_evidence = self._context_evidence(context)
        if context_evidence is not None:
            return quiet(f"user evidence earlier in the thread ({context_evidence})")
        reason = "benchmark reference + " + " + ".join(label.lower() for label in cue_labels) + ", no user evidence"
        return Detection(True, card.id, confidence, triggers, reason, mentions, cites, cue_labels)

    def _best_card(self, doc: Doc, reading: _Reading) -> tuple[Card, float, tuple[str, ...], tuple[str, ...]] | None:
        sents = reading.sentences
        asserting = {i for i, s in enumerate(sents) if s.asserts}
        lead_ins = {i for i, s in enumerate(sents) if s.lead_in and i + 1 in asserting}
        anchors = [a for a in reading.anchors if a.sentence in asserting or a.sentence in lead_ins]
        if not anchors:
            return None
        near = {a.sentence + d for a in anchors for d in (-1, 0, 1)} & asserting
        cues = [h for h in reading.hits if h.sentence in near and not h.negated]
        absent = [h for h in reading.hits if h.label == "USER_EVIDENCE" and h.negated and h.sentence in near]
        connective = any(h.label == "CONNECTIVE" for h in cues)
        best: tuple[Card, float, tuple[str, ...], tuple[str, ...]] | None = None
        present = {h.label for h in cues} | ({ABSENT_EVIDENCE} if absent else set())
        for card in self.catalog.cards:
            spec = {cue.label: cue for cue in card.detect.cues}
            mine = [
                h for h in cues if h.source == card.id and h.label in spec and self._cue_holds(doc, h, spec, anchors)
            ]
            if ABSENT_EVIDENCE in spec and absent:
                mine += [
                    Hit(ABSENT_EVIDENCE, card.id, h.negator_start, h.end, h.sentence, h.text) for h in absent
                ]
            mine = [h for h in mine if not spec[h.label].needs or present & set(spec[h.label].needs)]
            mine = _one_cue_per_word(mine, spec)
            if not mine:
                continue
            labels = tuple(dict.fromkeys(h.label for h in sorted(mine, key=lambda h: h.start)))
            used = [a for a in anchors if any(abs(a.sentence - h.sentence) <= 1 for h in mine)]
            if not used:
                continue
            strength = max(ANCHOR_STRENGTH[a.label] for a in used)
            cue_weight = sum(spec[label].weight for label in labels)
            bonus = CONNECTIVE_BONUS if connective and cue_weight >= STRONG_CUE else 0.0
            score = min(MAX_CONFIDENCE, card.detect.base_confidence + strength + cue_weight + bonus)
            triggers = merged_texts(doc, [(h.start, h.end) for h in [*mine, *used]])
            if best is None or score > best[1]:
                best = (card, round(score, 3), triggers[:6], labels)
        return best

    @staticmethod
    def _about_systems(reading: _Reading) -> bool:
        """Systems talk wins over generic eval words: always for "benchmark", for "eval" with two systems terms.

        A named model benchmark (MMLU) keeps the message about models; "evals +4, latency same" stays an ML claim.
        """
        if any(a.label == "BENCHMARKS" for a in reading.anchors):
            return False
        generic = all(
            a.label == "SCORE_TERMS" or any(g in a.text.lower() for g in GENERIC_BENCH) for a in reading.anchors
        )
        systems_terms = {h.text.lower() for h in reading.hits if h.label == "SYSTEMS"}
        return generic or len(systems_terms) >= 2

    @staticmethod
    def _cue_holds(doc: Doc, hit: Hit, spec: dict[str, Cue], anchors: Sequence[Hit]) -> bool:
        """False when a `not_after` word comes just before the cue ("need to beat"), or when a `before_anchor`
        cue ("best", "highest") is not followed closely by the benchmark it ranks on ("best MMLU score")."""
        cue = spec[hit.label]
        if cue.before_anchor and not any(0 <= a.start - hit.end <= cue.before_anchor for a in anchors):
            return False
        if not cue.not_after:
            return True
        before = {t.lower_ for t in doc[max(0, hit.start - NEGATION_WINDOW) : hit.start]}
        return before.isdisjoint(cue.not_after)

    def _context_evidence(self, context: Sequence[str]) -> str | None:
        for earlier in list(context)[-MAX_CONTEXT_MESSAGES:]:
            if not self.evidence_filter.may_match(earlier):
                continue
            evidence = self._read(self.nlp(clean(earlier[:MAX_CONTEXT_CHARS]))).evidence
            if evidence:
                return evidence[0].text
        return None


def _one_cue_per_word(found: list[Hit], spec: dict[str, Cue]) -> list[Hit]:
    """Where cues of one card overlap ("top of" is SUPERIORITY, its "top" RANKED), only the heavier one counts."""
    kept: list[Hit] = []
    for hit in sorted(found, key=lambda h: (-spec[h.label].weight, h.start)):
        if all(hit.end <= k.start or k.end <= hit.start or hit.label == k.label for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)
