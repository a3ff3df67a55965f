"""The rules' vetoes: small named checks over one reading, each saying why a benchmark mention is not a claim.

Each returns a one-line reason, or None when it does not apply. The detector asks them in order; the first that
answers wins. They are pure and know nothing of cards or lexicon names: the labels they read come from the roles
the catalog declares (bot/detection/roles.py).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.detection.reading import Reading
from bot.detection.roles import Roles, Silencer

Veto = Callable[[Reading], str | None]
GENERIC_BENCH = ("bench",)  # systems talk silences only the generic word ("benchmark"), not ML eval words


def cites_evidence(reading: Reading) -> str | None:
    """User, production or A/B evidence in the message grounds it."""
    return f"cites user evidence ({reading.evidence[0].text})" if reading.evidence else None


def silenced_by(silencer: Silencer) -> Veto:
    """A veto for one silencer lexicon (doubt, caution, reported speech). When the lexicon says negation cancels
    it, a negated hit ("no need to wait for the pilot") does not count."""

    def veto(reading: Reading) -> str | None:
        hit = reading.first(silencer.label, negated=False if silencer.negation_cancels else None)
        return f"{silencer.reason} ({hit.text})" if hit is not None else None

    veto.__name__ = f"silenced_by_{silencer.label.lower()}"
    return veto


def about_systems(roles: Roles) -> Veto:
    """Systems talk wins over generic eval words: always for "benchmark", for "eval" with two systems terms.

    A named model benchmark (MMLU) keeps the message about models; "evals +4, latency same" stays an ML claim.
    """

    def veto(reading: Reading) -> str | None:
        systems = next((h for h in reading.hits if h.label in roles.systems), None)
        if systems is None or any(a.label in roles.named_anchors for a in reading.anchors):
            return None
        generic = all(
            a.label in roles.context_anchors or any(g in a.text.lower() for g in GENERIC_BENCH)
            for a in reading.anchors
        )
        systems_terms = {h.text.lower() for h in reading.hits if h.label in roles.systems}
        if generic or len(systems_terms) >= 2:
            return f"a systems or performance benchmark ({systems.text})"
        return None

    return veto


def vetoes_for(roles: Roles) -> tuple[Veto, ...]:
    """Evidence first, then each silencer in its declared order, then systems talk."""
    return (cites_evidence, *(silenced_by(s) for s in roles.silencers), about_systems(roles))


def first_veto(reading: Reading, vetoes: tuple[Veto, ...]) -> str | None:
    """The reason of the first veto that applies, or None."""
    for veto in vetoes:
        reason = veto(reading)
        if reason is not None:
            return reason
    return None
