"""One reading of a message: its labelled hits, sentences, benchmark anchors and user evidence. Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from bot.detection.analysis import Hit, Sentence


@dataclass(frozen=True, slots=True)
class Reading:
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

    def feature_labels(self) -> tuple[str, ...]:
        """The reading as a few label words for the classifier: each hit's label (NOT_ when negated), and whether
        a benchmark sits in a question or a condition."""
        labels = {("NOT_" if h.negated else "") + h.label for h in self.hits}
        anchored = {a.sentence for a in self.anchors}
        if any(self.sentences[i].is_question for i in anchored if 0 <= i < len(self.sentences)):
            labels.add("ASKED")
        if any(self.sentences[i].is_conditional for i in anchored if 0 <= i < len(self.sentences)):
            labels.add("IFFED")
        if self.evidence:
            labels.add("EVIDENCED")
        return tuple(sorted(labels))
