"""User-outcome talk in messages that mention no benchmark, counted without the spaCy pipeline.

The balance counts every message that cites real users or production. Messages with a benchmark reference are read
in full by the detector; the rest (most of a channel's chatter) only need this phrase scan: the user-evidence terms
as whole words, not counted when a negator comes in the few words before or a pending marker just after.

The text is lowercased before the scan and the patterns are matched ignoring case (Unicode case folding: "ſ"
matches "s"). When the lowercased text and the patterns are plain ASCII, ignoring case changes nothing (no upper
case letter is left, and the folding's non-ASCII partners cannot occur), so the scan uses case-sensitive copies of
the patterns there, which Python's regex engine runs about four times faster: the same matches.
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
class Patterns:
    evidence: re.Pattern[str]
    negator: re.Pattern[str]
    pending: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class EvidenceScan:
    evidence: re.Pattern[str]
    negator: re.Pattern[str]
    pending: re.Pattern[str]
    ascii: Patterns | None = None  # case-sensitive copies for ASCII text (None when a pattern is not ASCII)

    @classmethod
    def build(cls, evidence: Iterable[str], negators: Iterable[str], pending: Iterable[str]) -> EvidenceScan:
        sources = (
            rf"(?<!\w)(?:{_alternation(evidence)})(?!\w)",
            rf"(?:(?<!\w)|(?<=n))(?:{_alternation(negators)})(?!\w)",
            rf"(?<!\w)(?:{_alternation(pending)})(?!\w)",
        )
        folded = [re.compile(source, re.IGNORECASE) for source in sources]
        plain = Patterns(*(re.compile(source) for source in sources)) if all(map(str.isascii, sources)) else None
        return cls(folded[0], folded[1], folded[2], plain)

    def cites(self, text: str) -> bool:
        """True when some user-evidence phrase occurs un-negated and not pending."""
        lowered = text.lower()
        patterns: EvidenceScan | Patterns = self.ascii if self.ascii is not None and lowered.isascii() else self
        for match in patterns.evidence.finditer(lowered):
            before = " ".join(lowered[: match.start()].split()[-WINDOW_WORDS:])
            after = " ".join(lowered[match.end() :].split()[:WINDOW_WORDS])
            if patterns.negator.search(before) or patterns.pending.search(after):
                continue
            return True
        return False
