"""The rules' vetoes: small named checks over one reading, each saying why a benchmark mention is not a claim.

Each returns a one-line reason, or None when it does not apply. The detector asks them in order; the first that
answers wins. They are pure and know nothing of cards: the labels they read are declared roles in the catalog.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.detection.reading import Reading

Veto = Callable[[Reading], str | None]
GENERIC_BENCH = ("bench",)  # systems talk silences only the generic word ("benchmark"), not ML eval words


def cites_evidence(reading: Reading) -> str | None:
    """User, production or A/B evidence in the message grounds it."""
    return f"cites user evidence ({reading.evidence[0].text})" if reading.evidence else None


def silenced_by(label: str, why: str, negation_cancels: bool = False) -> Veto:
    """A veto for one silencer label (doubt, caution, reported speech). With `negation_cancels`, a negated hit
    ("no need to wait for the pilot") does not count."""

    def veto(reading: Reading) -> str | None:
        hit = reading.first(label, negated=False if negation_cancels else None)
        return f"{why} ({hit.text})" if hit is not None else None

    veto.__name__ = f"silenced_by_{label.lower()}"
    return veto


def about_systems(reading: Reading) -> str | None:
    """Systems talk wins over generic eval words: always for "benchmark", for "eval" with two systems terms.

    A named model benchmark (MMLU) keeps the message about models; "evals +4, latency same" stays an ML claim.
    """
    systems = reading.first("SYSTEMS")
    if systems is None or any(a.label == "BENCHMARKS" for a in reading.anchors):
        return None
    generic = all(
        a.label == "SCORE_TERMS" or any(g in a.text.lower() for g in GENERIC_BENCH) for a in reading.anchors
    )
    systems_terms = {h.text.lower() for h in reading.hits if h.label == "SYSTEMS"}
    if generic or len(systems_terms) >= 2:
        return f"a systems or performance benchmark ({systems.text})"
    return None


SILENCERS = (
    ("SKEPTIC", "skeptical of the benchmark", False),
    ("CAUTION", "wants to wait for more evidence", True),
    ("REPORTED", "reports or jokes about a claim", False),
)
VETOES: tuple[Veto, ...] = (
    cites_evidence,
    *(silenced_by(label, why, cancels) for label, why, cancels in SILENCERS),
    about_systems,
)


def first_veto(reading: Reading, vetoes: tuple[Veto, ...] = VETOES) -> str | None:
    """The reason of the first veto that applies, or None."""
    for veto in vetoes:
        reason = veto(reading)
        if reason is not None:
            return reason
    return None
