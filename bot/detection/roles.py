"""The labels the detector reads, taken from the roles the catalog declares. Built once per catalog; pure data.

Nothing in the detector names a lexicon: a lexicon's label is its name in capitals, and what the label means is its
declared role (see bot/catalog/schema.py: LexiconRole).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.catalog import Catalog
from bot.catalog.schema import lexicon_label


@dataclass(frozen=True, slots=True)
class Silencer:
    label: str
    reason: str
    negation_cancels: bool


@dataclass(frozen=True, slots=True)
class Roles:
    anchors: dict[str, float]  # label -> strength; includes context anchors
    context_anchors: frozenset[str]
    context: frozenset[str]
    off_topic: frozenset[str]
    gate: frozenset[str]
    evidence: str
    pending: str
    negator: str
    systems: frozenset[str]
    connective: frozenset[str]
    silencers: tuple[Silencer, ...]
    negation_windows: dict[str, int]
    question_lexicon: str
    named_anchors: frozenset[str]  # anchors that name a benchmark outright (the heaviest anchor labels)

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> Roles:
        by_role: dict[str, list[str]] = {}
        for lexicon in catalog.lexicons.values():
            by_role.setdefault(lexicon.role, []).append(lexicon.name)

        def labels(role: str) -> frozenset[str]:
            return frozenset(lexicon_label(n) for n in by_role.get(role, []))

        def single(role: str) -> str:
            return by_role[role][0]  # the loader guarantees exactly one

        anchor_names = [*by_role.get("anchor", []), *by_role.get("context_anchor", [])]
        anchors = {lexicon_label(n): catalog.lexicon(n).weight for n in anchor_names}
        heaviest = max((catalog.lexicon(n).weight for n in by_role.get("anchor", [])), default=0.0)
        silencers = sorted(
            (catalog.lexicon(n) for n in by_role.get("silencer", [])), key=lambda lex: (lex.order, lex.name)
        )
        return cls(
            anchors=anchors,
            context_anchors=labels("context_anchor"),
            context=labels("context"),
            off_topic=labels("off_topic"),
            gate=labels("gate"),
            evidence=lexicon_label(single("evidence")),
            pending=lexicon_label(single("pending")),
            negator=lexicon_label(single("negator")),
            systems=labels("systems"),
            connective=labels("connective"),
            silencers=tuple(Silencer(lexicon_label(x.name), x.reason, x.negation_cancels) for x in silencers),
            negation_windows={lexicon_label(x.name): x.negation_window for x in catalog.lexicons.values()},
            question_lexicon=single("question"),
            named_anchors=frozenset(
                lexicon_label(n) for n in by_role.get("anchor", []) if catalog.lexicon(n).weight == heaviest
            ),
        )
