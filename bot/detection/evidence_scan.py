"""User-outcome talk in messages that mention no benchmark, counted without the spaCy pipeline.

The balance counts every message that cites real users or production. Messages with a benchmark reference are read
in full by the detector; the rest (most of a channel's chatter) only need this phrase scan: the user-evidence terms
as whole words, not counted when a negator comes in the few words before or a pending marker just after.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

WINDOW_WORDS = 4


def _alternation(phrases: Iterable[str]) -> str:
    ordered = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in ordered)


@dataclass(frozen=True, slots=True)
class EvidenceScan:
    evidence: re.Pattern[str]
    negator: re.Pattern[str]
    pending: re.Pattern[str]

    @classmethod
    def build(cls, evidence: Iterable[str], negators: Iterable[str], pending: Iterable[str]) -> EvidenceScan:
        def words(alternation: str, anchor: str) -> re.Pattern[str]:
            return re.compile(anchor.format(alt=alternation), re.IGNORECASE)

        return cls(
            words(_alternation(evidence), r"(?<!\w)(?:{alt})(?!\w)"),
            words(_alternation(negators), r"(?:(?<!\w)|(?<=n))(?:{alt})(?!\w)"),
            words(_alternation(pending), r"(?<!\w)(?:{alt})(?!\w)"),
        )

    def cites(self, text: str) -> bool:
        """True when some user-evidence phrase occurs un-negated and not pending."""
        lowered = text.lower()
        for match in self.evidence.finditer(lowered):
            before = " ".join(lowered[: match.start()].split()[-WINDOW_WORDS:])
            after = " ".join(lowered[match.end() :].split()[:WINDOW_WORDS])
            if self.negator.search(before) or self.pending.search(after):
                continue
            return True
        return False
