"""The claim detector: rules read a message, a trained classifier weighs it, and a blend of both sets the tier.

Pure: no Slack, no database. Build once with `Detector.from_catalog(catalog)`, then call `detect` per message.
Only messages with a benchmark or eval reference (found by an exact pre-filter) run the spaCy pipeline and the
model; user-outcome talk in the rest is counted by a cheap phrase scan.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from bot.catalog import Card, Catalog, Cue
from bot.catalog.schema import ABSENT_EVIDENCE
from bot.detection.analysis import NEGATION_WINDOW, Hit, dedupe_overlaps, hits, merged_texts, sentences
from bot.detection.classifier import MODEL_DIR, CardScores, Classifier, Reads, model_words
from bot.detection.clean import clean
from bot.detection.evidence_scan import EvidenceScan
from bot.detection.model import QUIET, Detection, Tier
from bot.detection.pipeline import as_phrases, build_pipeline, name_parts, phrase_tokens
from bot.detection.prefilter import Prefilter
from bot.detection.reading import Reading
from bot.detection.roles import Roles
from bot.detection.vetoes import first_veto, vetoes_for

CONNECTIVE_BONUS = 0.1
STRONG_CUE = 0.2  # the connective bonus needs at least this much cue weight
MAX_CONFIDENCE = 0.98
MAX_CONTEXT_MESSAGES = 20
MAX_CONTEXT_CHARS = 2_000
MAX_CLAIM_SENTENCE_CHARS = 160
# the classifier picks the card over the rules when it gives that card at least this share of its claim probability
# (on the real-derived dev split its card is right more often than the rules' own: 0.89 against 0.84)
CARD_SURE = 0.7
QUIET_CITING = replace(QUIET, cites_user_outcome=True)
PENDING_WINDOW = 4  # "the CSAT survey isn't back yet": a pending marker this close after evidence negates it


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """What the rules alone make of a message with a benchmark reference."""

    card: Card | None
    score: float  # the best card's score (0 when no card cue matched)
    triggers: tuple[str, ...]
    cue_labels: tuple[str, ...]
    veto: str | None  # why the rules say this is not a claim, when something says so

    @property
    def fires(self) -> bool:
        return self.card is not None and self.veto is None and self.score >= self.card.detect.min_confidence

    @property
    def reason(self) -> str:
        if self.veto is not None:
            return self.veto
        if self.card is None:
            return "mentions a benchmark without arguing from it"
        if not self.fires:
            return f"too weak to call a claim ({self.score:.2f})"
        return "benchmark reference + " + " + ".join(c.lower() for c in self.cue_labels) + ", no user evidence"


class Detector:
    """Finds benchmark-only claims and attributes each to the best-fitting card."""

    def __init__(self, catalog: Catalog, nlp: Language, classifier: Classifier | None = None) -> None:
        self.catalog = catalog
        self.nlp = nlp
        self.classifier = classifier
        self.roles = roles = Roles.from_catalog(catalog)
        self.vetoes = vetoes_for(roles)
        anchors = catalog.lexicons_with("anchor", "context_anchor")
        self.anchor_filter = Prefilter.from_phrases(phrase_tokens(nlp, catalog, anchors), name_parts(catalog, anchors))
        # model cards claim the lead with "outperforms" or "state of the art" alone: read those for the classifier
        self.gate_filter = Prefilter.from_phrases(phrase_tokens(nlp, catalog, catalog.lexicons_with("gate")))
        self.evidence_filter = Prefilter.from_phrases(
            phrase_tokens(nlp, catalog, catalog.lexicons_with("evidence"))
        )
        # `_gated` in one look-up: the anchor filter, or either filter when the classifier is loaded
        self.pipeline_filter = self.anchor_filter | self.gate_filter if classifier is not None else self.anchor_filter
        self.evidence_scan = _evidence_scan(nlp, catalog, roles)
        self.question_words = frozenset(
            t.split()[0].lower() for t in catalog.lexicon(roles.question_lexicon).terms
        )

    @classmethod
    def from_catalog(cls, catalog: Catalog, use_model: bool = True, model_dir: Path = MODEL_DIR) -> Detector:
        """The detector for `catalog`; with `use_model` (the default) it loads the shipped classifier too."""
        nlp = build_pipeline(catalog)
        return cls(catalog, nlp, Classifier.load(nlp, model_dir) if use_model else None)

    # ---- public API -------------------------------------------------------------------------------------------

    def detect(self, text: str, context: Sequence[str] = ()) -> Detection:
        """The verdict on `text`; `context` holds earlier messages of the same thread, oldest first."""
        words = self.pipeline_filter.words(text)
        if not self._gated(words):
            return self._unanchored(text, words)
        doc = self._doc(text)
        reading = self._read(doc)
        return self._judge(doc, reading, context, self._model_scores([(doc, reading)])[0])

    def detect_many(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Detection]:
        """`detect` for many messages (no thread context), batching the ones that need the pipeline."""
        pending: list[tuple[int, str]] = []
        results: dict[int, Detection] = {}
        next_out = 0
        for i, text in enumerate(texts):
            words = self.pipeline_filter.words(text)
            if self._gated(words):
                pending.append((i, clean(text)))
            else:
                results[i] = self._unanchored(text, words)
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
        """False when `text` holds no benchmark, lead-claiming or user-evidence word: `detect` says QUIET at once."""
        words = self.pipeline_filter.words(text)
        return self._gated(words) or self.evidence_filter.may_match_words(words)

    def cites_user_outcome(self, text: str) -> bool:
        """True when `text` points at evidence from real users or production (not negated)."""
        if not self.evidence_filter.may_match(text):
            return False
        return bool(self._read(self.nlp(clean(text))).evidence)

    def reading_of(self, text: str) -> Reading:
        """The rules' reading of `text` (for training and `mirage rules stats`)."""
        return self._read(self._doc(text))

    def weigh(self, text: str) -> tuple[RuleVerdict, CardScores | None] | None:
        """The raw signals behind a verdict, before the blend: None when `text` has no benchmark anchor."""
        if not self._gated(self.pipeline_filter.words(text)):
            return None
        doc = self._doc(text)
        reading = self._read(doc)
        if not self._weighable(reading):
            return None
        return self.rule_verdict(doc, reading), self._model_scores([(doc, reading)])[0]

    def model_tokens(self, text: str, reads: Reads | None = None) -> list[str]:
        """What the classifier reads for `text` (training uses the very same tokens; without a classifier,
        `reads` says how the model being trained reads a message)."""
        doc = self._doc(text)
        if reads is None:
            reads = self.classifier.reads if self.classifier is not None else Reads(rule_features=True)
        return self._words(doc, self._read(doc), reads)

    def _words(self, doc: Doc, reading: Reading, reads: Reads) -> list[str]:
        named = self.roles.named_anchors if reads.mask_benchmarks else frozenset()
        spans = [(h.start, h.end) for h in reading.anchors if h.label in named]
        return model_words([t.text for t in doc], reading.feature_labels(), reads, spans)

    # ---- internals --------------------------------------------------------------------------------------------

    def _gated(self, words: set[str]) -> bool:
        """Worth the pipeline: a benchmark reference, or (with the classifier) a word claiming the lead."""
        return self.pipeline_filter.may_match_words(words)

    def _weighable(self, reading: Reading) -> bool:
        """The classifier weighs messages with a benchmark anchor or a lead-claiming word (when it is loaded)."""
        return bool(reading.anchors) or (
            self.classifier is not None and any(h.label in self.roles.gate for h in reading.hits)
        )

    def _unanchored(self, text: str, words: set[str]) -> Detection:
        if self.evidence_filter.may_match_words(words) and self.evidence_scan.cites(text[:MAX_CONTEXT_CHARS]):
            return QUIET_CITING
        return QUIET

    def _doc(self, text: str) -> Doc:
        return self.nlp(clean(text))

    def _flush(self, pending: list[tuple[int, str]], results: dict[int, Detection]) -> None:
        docs = list(self.nlp.pipe(t for _, t in pending))
        read = [(doc, self._read(doc)) for doc in docs]
        for (i, _), (doc, reading), scores in zip(pending, read, self._model_scores(read), strict=True):
            results[i] = self._judge(doc, reading, (), scores)
        pending.clear()

    def _model_scores(self, read: Sequence[tuple[Doc, Reading]]) -> list[CardScores | None]:
        """The classifier's scores for each message that has a benchmark anchor (None where it has none)."""
        if self.classifier is None:
            return [None] * len(read)
        wanted = [i for i, (_, reading) in enumerate(read) if self._weighable(reading)]
        reads = self.classifier.reads
        words = [self._words(read[i][0], read[i][1], reads) for i in wanted]
        out: list[CardScores | None] = [None] * len(read)
        for i, scores in zip(wanted, self.classifier.scores(words), strict=True):
            out[i] = scores
        return out

    def _read(self, doc: Doc) -> Reading:
        roles = self.roles
        sents = sentences(doc, self.question_words)
        found = dedupe_overlaps(doc, hits(doc, sents, roles.negator, roles.negation_windows))
        labels = {h.label for h in found}
        ml_context = bool(labels & roles.context)
        named = bool(labels & roles.named_anchors)
        off_topic = bool(labels & roles.off_topic) and not ml_context and not named
        anchors = tuple(
            h
            for h in found
            if not off_topic
            and h.label in roles.anchors
            and (h.label not in roles.context_anchors or ml_context or named)
        )
        card_ids = {card.id for card in self.catalog.cards}
        claim_spans = [(h.start, h.end) for h in found if h.source in card_ids]
        pending = [h.start for h in found if h.label == roles.pending]
        found = [
            replace(h, negated=True)
            if h.label == roles.evidence and any(0 <= p - h.end <= PENDING_WINDOW for p in pending)
            else h
            for h in found
        ]
        evidence = tuple(
            h
            for h in found
            if h.label == roles.evidence
            and not h.negated
            # "ready for customers" is a claim cue, not evidence that customers were asked
            and not any(s <= h.start and h.end <= e and e - s > h.end - h.start for s, e in claim_spans)
        )
        return Reading(tuple(found), tuple(sents), anchors, evidence)

    def rule_verdict(self, doc: Doc, reading: Reading) -> RuleVerdict:
        """The rules' verdict: the best card and its score, and the first veto that applies."""
        best = self._best_card(doc, reading)
        card, score, triggers, labels = best if best is not None else (None, 0.0, (), ())
        return RuleVerdict(card, score, triggers, labels, first_veto(reading, self.vetoes))

    def _judge(self, doc: Doc, reading: Reading, context: Sequence[str], scores: CardScores | None) -> Detection:
        mentions = bool(reading.anchors)
        cites = bool(reading.evidence)
        if not self._weighable(reading):
            return Detection(False, None, 0.0, (), "no benchmark or eval reference", False, cites)
        rules = self.rule_verdict(doc, reading)
        if scores is None or self.classifier is None:
            tier: Tier | None = "reply" if rules.fires else None
            confidence = rules.score if rules.fires else 0.0
            probability = None
        else:
            probability = scores.claim
            blend, vetoed = self.classifier.blend, rules.veto is not None
            confidence = blend.score(rules.score, scores.claim, vetoed, rules.fires)
            tier = blend.tier(confidence, blend.agrees(rules.score, scores.claim, vetoed, rules.fires))
        if tier is None:
            triggers = rules.triggers if rules.card is not None else ()
            reason = rules.reason if rules.veto or not rules.fires else f"too weak to call a claim ({confidence:.2f})"
            return Detection(False, None, round(confidence, 3), triggers, reason, mentions, cites,
                             probability=probability)
        earlier = self._context_evidence(context)
        if earlier is not None:
            return Detection(False, None, round(confidence, 3), rules.triggers,
                             f"user evidence earlier in the thread ({earlier})", mentions, cites,
                             probability=probability)
        card_id, triggers, reason = self._explain(doc, reading, rules, scores, tier)
        return Detection(tier == "reply", card_id, round(confidence, 3), triggers, reason, mentions, cites,
                         rules.cue_labels, tier, probability)

    def _explain(
        self, doc: Doc, reading: Reading, rules: RuleVerdict, scores: CardScores | None, tier: Tier
    ) -> tuple[str, tuple[str, ...], str]:
        """Which card, which phrases and why: the rules' own cues when they matched, else the benchmark words seen
        and the sentence that reads as a claim."""
        prefix = "" if tier == "reply" else "probable: "
        model_card = scores.best_card if scores is not None else None
        sure = scores is not None and model_card is not None and scores.share(model_card) >= CARD_SURE
        if rules.card is not None and rules.triggers and not (sure and model_card != rules.card.id):
            if rules.fires:
                why = rules.reason
            elif rules.veto is not None:
                why = f"reads as a claim despite: {rules.veto} (trained classifier)"
            else:
                cues = " + ".join(c.lower() for c in rules.cue_labels)
                why = f"benchmark reference + {cues}, no user evidence (with the trained classifier)"
            return rules.card.id, rules.triggers, prefix + why
        card_id = model_card or self.catalog.cards[0].id
        seen = reading.anchors or tuple(h for h in reading.hits if h.label in self.roles.gate)
        anchor = next((a for a in seen if reading.sentences[a.sentence].asserts), seen[0])
        sentence = reading.sentences[anchor.sentence]
        claim = doc[sentence.start : sentence.end].text.strip()
        if len(claim) > MAX_CLAIM_SENTENCE_CHARS:
            claim = claim[: MAX_CLAIM_SENTENCE_CHARS - 1].rstrip() + "…"
        words = tuple(dict.fromkeys(a.text for a in seen))[:4]
        triggers = (*words, claim) if claim and claim not in words else words
        return card_id, triggers, prefix + "reads as a claim from " + ", ".join(words) + " (trained classifier)"

    def _best_card(self, doc: Doc, reading: Reading) -> tuple[Card, float, tuple[str, ...], tuple[str, ...]] | None:
        sents = reading.sentences
        asserting = {i for i, s in enumerate(sents) if s.asserts}
        lead_ins = {i for i, s in enumerate(sents) if s.lead_in and i + 1 in asserting}
        anchors = [a for a in reading.anchors if a.sentence in asserting or a.sentence in lead_ins]
        if not anchors:
            return None
        near = {a.sentence + d for a in anchors for d in (-1, 0, 1)} & asserting
        cues = [h for h in reading.hits if h.sentence in near and not h.negated]
        absent = [h for h in reading.hits if h.label == self.roles.evidence and h.negated and h.sentence in near]
        connective = any(h.label in self.roles.connective for h in cues)
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
            strength = max(self.roles.anchors[a.label] for a in used)
            cue_weight = sum(spec[label].weight for label in labels)
            bonus = CONNECTIVE_BONUS if connective and cue_weight >= STRONG_CUE else 0.0
            score = min(MAX_CONFIDENCE, card.detect.base_confidence + strength + cue_weight + bonus)
            triggers = merged_texts(doc, [(h.start, h.end) for h in [*mine, *used]])
            if best is None or score > best[1]:
                best = (card, round(score, 3), triggers[:6], labels)
        return best

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


def _evidence_scan(nlp: Language, catalog: Catalog, roles: Roles) -> EvidenceScan:
    """The phrase scan for messages without a benchmark: evidence terms and their fixed-word patterns."""
    phrases: list[str] = []
    for name in catalog.lexicons_with("evidence"):
        evidence = catalog.lexicon(name)
        phrases += evidence.terms
        for pattern in evidence.patterns:
            phrases += as_phrases(nlp, pattern) or []
    negators = [t for name in catalog.lexicons_with("negator") for t in catalog.lexicon(name).terms]
    pending = [t for name in catalog.lexicons_with("pending") for t in catalog.lexicon(name).terms]
    return EvidenceScan.build(phrases, negators, pending)


def _one_cue_per_word(found: list[Hit], spec: dict[str, Cue]) -> list[Hit]:
    """Where cues of one card overlap ("top of" is SUPERIORITY, its "top" RANKED), only the heavier one counts."""
    kept: list[Hit] = []
    for hit in sorted(found, key=lambda h: (-spec[h.label].weight, h.start)):
        if all(hit.end <= k.start or k.end <= hit.start or hit.label == k.label for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)
