"""Train the claim classifier from a config and a seed, choose the blend and tiers on the real-derived dev split
(scored out of fold when the config sets `dev_folds`), and write the model with its manifest. Deterministic: the
same config, data and seed give the same model."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import random
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, load_config, load_model_from_config, minibatch  # type: ignore[attr-defined]
from thinc.api import Adam, Config

from bot.catalog import Catalog
from bot.detection.blend import Blend
from bot.detection.classifier import (
    CLAIM,
    KNOWN_WORDS_FILE,
    NO_CLAIM,
    Classifier,
    Reads,
    in_vocabulary,
    known_words,
)
from bot.detection.corpus import dev_fold, home
from bot.detection.detector import Detector
from bot.detection.pipeline import build_pipeline

CONFIG_PATH = Path(__file__).resolve().parent / "textcat.cfg"
WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
VETOES = (0.0, 0.25, 0.5, 1.0)
BOOSTS = (0.0, 0.1, 0.2, 0.3)
NO_AGREEMENT = (2.0, 2.0)
AGREEMENTS = (NO_AGREEMENT, *itertools.product((0.5, 0.6, 0.7, 0.8, 0.9), (0.6, 0.7, 0.8, 0.85, 0.9)))


@dataclass(frozen=True, slots=True)
class Row:
    text: str
    pattern: str | None  # the card of a claim, None for no claim
    source: str = ""
    clarity: str = "clear"


@dataclass(frozen=True, slots=True)
class Signal:
    """What the detector sees in one dev message: the rules' score, whether a veto applies, the model's p."""

    anchored: bool
    rule_score: float
    vetoed: bool
    probability: float
    is_claim: bool
    rules_fire: bool = False
    clear: bool = True  # the writers did not mark the line borderline

    def scored(self, blend: Blend) -> float:
        return blend.score(self.rule_score, self.probability, self.vetoed, self.rules_fire) if self.anchored else 0.0

    def replies(self, blend: Blend) -> bool:
        """In the reply tier: the score at the reply cut, or the rules and the classifier agreeing."""
        return self.anchored and (self.scored(blend) >= blend.reply
                                  or blend.agrees(self.rule_score, self.probability, self.vetoed, self.rules_fire))


def read_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            pattern = item.get("pattern") if item.get("label") == "claim" else None
            rows.append(Row(item["text"], pattern, item.get("source", ""), item.get("clarity", "clear")))
    return rows


def resolve(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Files named by the config's globs, sorted, each once."""
    found: list[Path] = []
    for pattern in patterns:
        found += sorted(root.glob(pattern))
    return list(dict.fromkeys(found))


def data_hash(root: Path, files: Sequence[Path], config_text: str, catalog: Catalog) -> str:
    """One hash over the config, every data file (names relative to `root`, then contents) and the catalog: the
    cards' own examples are trained on, and the rules' reading of each message (its lexicons and cues) is part of
    what the classifier reads."""
    digest = hashlib.sha256(config_text.encode("utf-8"))
    for path in files:
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    digest.update(catalog.model_dump_json(exclude={"sources"}).encode("utf-8"))
    return digest.hexdigest()


def training_files(root: Path, config: Config) -> tuple[list[Path], list[Path], Path]:
    settings = config["mirage"]
    return (resolve(root, settings["synthetic"]), resolve(root, settings["real_train"]), root / settings["real_dev"])


def _cats(target: str, labels: Sequence[str]) -> dict[str, float]:
    return {label: float(label == target) for label in labels}


def _target(row: Row, labels: Sequence[str]) -> str:
    """The label a row trains: its card, or CLAIM for any card when the model has one claim class."""
    if row.pattern is None:
        return NO_CLAIM
    return CLAIM if CLAIM in labels else row.pattern


def _train_nlp(config: Config, rows: Sequence[Row], texts: Sequence[list[str]], labels: Sequence[str],
               length: int | None = None) -> Language:
    settings = config["mirage"]
    seed = int(settings["seed"])
    fix_random_seed(seed)
    components = copy.deepcopy(config["components"])
    if length is not None:
        components["textcat"]["model"]["length"] = length
    nlp = load_model_from_config(Config({"nlp": config["nlp"], "components": components}), auto_fill=True)
    textcat = nlp.get_pipe("textcat")
    for label in labels:
        textcat.add_label(label)  # type: ignore[attr-defined]
    examples = [
        Example.from_dict(Doc(nlp.vocab, words=t), {"cats": _cats(_target(r, labels), labels)})
        for r, t in zip(rows, texts, strict=True)
    ]
    optimizer = nlp.initialize(lambda: examples, sgd=Adam(float(settings["learn_rate"])))
    shuffler = random.Random(seed)
    for _ in range(int(settings["epochs"])):
        shuffler.shuffle(examples)
        for batch in minibatch(examples  # type: ignore[no-untyped-call]
                                 , size=int(settings["batch_size"])):
            nlp.update(batch, sgd=optimizer, drop=float(settings["dropout"]))
    return nlp


def card_examples(catalog: Catalog) -> list[Row]:
    """Every card's match examples (claims of that card) and no_match examples."""
    rows = [Row(text, card.id) for card in catalog.cards for text in card.examples.match]
    return rows + [Row(text, None) for card in catalog.cards for text in card.examples.no_match]


def signals(detector: Detector, rows: Sequence[Row]) -> list[Signal]:
    """The detector's raw signals on each row, as it would see them at run time (no thread context)."""
    out = []
    for row in rows:
        weighed = detector.weigh(row.text)
        clear = row.clarity != "borderline"
        if weighed is None:
            out.append(Signal(False, 0.0, False, 0.0, row.pattern is not None, clear=clear))
            continue
        verdict, scores = weighed
        p = scores.claim if scores is not None else 0.0
        out.append(Signal(True, verdict.score, verdict.veto is not None, p, row.pattern is not None, verdict.fires,
                          clear))
    return out


@dataclass(frozen=True, slots=True)
class Bar:
    """The precision a tier must keep on dev: on all its lines, and on the lines the writers marked clear (a reply
    to a line the guide leaves honestly unclear is not plainly wrong, one to a clear non-claim is)."""

    precision: float
    clear_precision: float = 0.0

    def held(self, tp: int, fired: int, clear_tp: int, clear_fired: int) -> bool:
        return (fired > 0 and tp / fired >= self.precision
                and (clear_fired == 0 or clear_tp / clear_fired >= self.clear_precision))


def cut_at_precision(scored: Sequence[tuple[float, bool, bool]], bar: Bar, min_fires: int) -> float | None:
    """The lowest score t at which the messages scored t or more (at least `min_fires` of them) keep the bar;
    each message is (score, is a claim, is clear): the cut where the interpolated precision curve crosses it."""
    ranked = sorted(scored, key=lambda x: -x[0])
    tp = fp = clear_tp = clear_fp = 0
    best: float | None = None
    for i, (value, positive, clear) in enumerate(ranked):
        tp += positive
        fp += not positive
        clear_tp += positive and clear
        clear_fp += clear and not positive
        last_of_tie = i + 1 == len(ranked) or ranked[i + 1][0] < value
        if last_of_tie and value > 0.0 and tp + fp >= min_fires and bar.held(tp, tp + fp, clear_tp,
                                                                             clear_tp + clear_fp):
            best = value
    return best


def _fired(signals_: Sequence[Signal], blend: Blend, cut: float | None = None) -> list[Signal]:
    """The messages replied to, or (with `cut`) scored at or above it or replied to."""
    return [s for s in signals_ if s.replies(blend) or (cut is not None and s.anchored and s.scored(blend) >= cut)]


def _at(signals_: Sequence[Signal], blend: Blend, cut: float | None = None) -> tuple[float, float]:
    """(precision, recall) of the reply tier, or (with `cut`) of the messages scored at or above it or replied to."""
    fired = _fired(signals_, blend, cut)
    tp = sum(s.is_claim for s in fired)
    claims = sum(s.is_claim for s in signals_) or 1
    return (tp / len(fired) if fired else 1.0), tp / claims


def _holds(fired: Sequence[Signal], bar: Bar) -> bool:
    """The messages replied to keep the bar (nothing replied to keeps any bar)."""
    clear = [s for s in fired if s.clear]
    return not fired or bar.held(sum(s.is_claim for s in fired), len(fired), sum(s.is_claim for s in clear),
                                 len(clear))


def choose_blend(
    dev: Sequence[Signal],
    reply_bar: Bar,
    probable_precision: float,
    min_fires: int,
    synthetic: Sequence[Signal] = (),
    synthetic_bar: tuple[float, float] = (0.97, 0.90),
    examples: Sequence[Signal] = (),
) -> tuple[Blend, dict[str, float]]:
    """The (weight, veto, boost) and agreement bars whose reply tier keeps real-derived dev precision at its bar
    with the most recall, among those that also keep the synthetic Slack-style sets at their bar (precision, recall)
    (when none does, the one closest to it); the cards' own examples must hold (every match example replied to,
    no no_match example). Then the probable cut below the reply cut."""
    best: tuple[tuple[bool, float], Blend, float] | None = None
    claims = sum(s.is_claim for s in dev) or 1
    for weight, veto, boost in itertools.product(WEIGHTS, VETOES, BOOSTS):
        blend = Blend(weight, veto, boost, 1.0, 1.0)
        scored = [(s.scored(blend), s.is_claim, s.clear) for s in dev]
        reply = cut_at_precision(scored, reply_bar, min_fires)
        if reply is None:
            continue
        probable = min(cut_at_precision(scored, Bar(probable_precision), min_fires) or reply, reply)
        for agree_rule, agree_model in AGREEMENTS:
            candidate = Blend(weight, veto, boost, reply, probable, agree_rule, agree_model)
            if any(s.replies(candidate) != s.is_claim for s in examples):
                continue
            fired = _fired(dev, candidate)
            if not _holds(fired, reply_bar):
                continue
            recall = sum(s.is_claim for s in fired) / claims
            synth_p, synth_r = _at(synthetic, candidate) if synthetic else (1.0, 1.0)
            meets = synth_p >= synthetic_bar[0] and synth_r >= synthetic_bar[1]
            key = (meets, recall if meets else recall + synth_r)
            if best is None or key > best[0]:
                best = (key, candidate, recall)
    if best is None:
        return Blend(0.0, 1.0, 0.0, 0.6, 0.6), {"reply_recall": 0.0}
    synth_p, synth_r = _at(synthetic, best[1]) if synthetic else (1.0, 1.0)
    return best[1], {"reply_recall": round(best[2], 4), "synthetic_precision": round(synth_p, 4),
                     "synthetic_recall": round(synth_r, 4), "synthetic_bar_met": float(best[0][0])}


def dev_metrics(dev: Sequence[Signal], blend: Blend) -> dict[str, float]:
    def at(some: Sequence[Signal], cut: float | None) -> dict[str, float]:
        precision, recall = _at(some, blend, cut)
        return {"precision": round(precision, 4), "recall": round(recall, 4)}

    clear = [s for s in dev if s.clear]
    return {"items": len(dev), "claims": sum(s.is_claim for s in dev),
            **{f"reply_{k}": v for k, v in at(dev, None).items()},
            **{f"reply_clear_{k}": v for k, v in at(clear, None).items()},
            **{f"probable_or_reply_{k}": v for k, v in at(dev, blend.probable).items()}}


def train(root: Path, catalog: Catalog, out_dir: Path, config_path: Path = CONFIG_PATH) -> dict[str, Any]:
    """Train, choose the blend on the real-derived dev split (out of fold with `dev_folds`), write `out_dir/model`
    and `out_dir/manifest.json`."""
    config_text = config_path.read_text(encoding="utf-8")
    config = load_config(config_path)
    settings = config["mirage"]
    synthetic, real, dev_path = training_files(root, config)
    rules = Detector(catalog, build_pipeline(catalog))
    reads = Reads.of(settings)
    rows: list[Row] = []
    for path in synthetic:
        rows += read_rows(path) * int(settings.get("synthetic_weight", 1))
    for path in real:
        rows += read_rows(path) * int(settings["real_weight"])
    examples = card_examples(catalog)
    rows += examples * int(settings.get("card_example_weight", 0))  # the cards' examples must hold: learn them
    dev_rows = read_rows(dev_path)
    # with dev folds the dev split is trained on too: each fold is scored by a model trained without it, the tiers
    # are cut on those out-of-fold scores, and the shipped model learns from every fold
    folds = int(settings.get("dev_folds", 0))
    dev_learnt = dev_rows * int(settings["real_weight"]) if folds else []
    if settings.get("skip_borderline", False):
        rows = [r for r in rows if r.clarity != "borderline"]
        dev_learnt = [r for r in dev_learnt if r.clarity != "borderline"]
    cards = sorted({r.pattern for r in [*rows, *dev_learnt] if r.pattern} | {card.id for card in catalog.cards})
    # one claim class, and a second, smaller model that only tells the cards apart: on dev the claim ranking is
    # better when the few RF-39 lines do not split the claim class in two
    card_head = bool(settings.get("card_head", False))
    labels = [CLAIM, NO_CLAIM] if card_head else [*cards, NO_CLAIM]
    # how the classifier reads a message: the detector needs this before the manifest is complete
    min_homes = int(settings.get("min_homes", 0))
    read_as: dict[str, Any] = {**asdict(reads), "card_labels": cards if card_head else [], "min_homes": min_homes}

    def read(some: Sequence[Row]) -> list[tuple[Row, list[str]]]:
        """Each row with the tokens the classifier reads; a message that is all quote or code has none to learn."""
        texts = [rules.model_tokens(r.text, reads) for r in some]
        return [(r, t) for r, t in zip(some, texts, strict=True) if t]

    def fit(learnt: Sequence[tuple[Row, list[str]]]
            ) -> tuple[Language, Language | None, Detector, frozenset[str] | None]:
        # the words at least `min_homes` homes of what is learnt use; the rest read as one shared word
        known = known_words(((home(r.source), t) for r, t in learnt), min_homes) if min_homes else None
        learnt = [(r, in_vocabulary(t, known)) for r, t in learnt]
        nlp = _train_nlp(config, [r for r, _ in learnt], [t for _, t in learnt], labels)
        card_nlp = None
        if card_head:
            claims = [(r, t) for r, t in learnt if r.pattern is not None]
            card_nlp = _train_nlp(config, [r for r, _ in claims], [t for _, t in claims], cards,
                                  int(settings["card_length"]))
        scorer = Detector(catalog, rules.nlp, Classifier.from_nlp(nlp, read_as, card_nlp, known))
        return nlp, card_nlp, scorer, known

    base, extra = read(rows), read(dev_learnt)
    if folds:
        dev: list[Signal] = [Signal(False, 0.0, False, 0.0, False)] * len(dev_rows)
        for fold in range(folds):
            held = [i for i, r in enumerate(dev_rows) if dev_fold(r.source, folds) == fold]
            _, _, scorer, _ = fit(base + [(r, t) for r, t in extra if dev_fold(r.source, folds) != fold])
            for i, signal in zip(held, signals(scorer, [dev_rows[i] for i in held]), strict=True):
                dev[i] = signal
        nlp, card_nlp, detector, known = fit(base + extra)
    else:
        nlp, card_nlp, detector, known = fit(base)
        dev = signals(detector, dev_rows)
    synthetic_rows = [row for path in synthetic for row in read_rows(path)]
    reply_bar = Bar(float(settings["reply_precision"]), float(settings.get("reply_precision_clear", 0.0)))
    blend, chosen = choose_blend(dev, reply_bar, float(settings["probable_precision"]),
                                 int(settings["min_reply_fires"]), signals(detector, synthetic_rows),
                                 (float(settings["synthetic_precision"]), float(settings["synthetic_recall"])),
                                 signals(detector, examples))
    files = [*synthetic, *real, dev_path]
    manifest = {
        "component": "textcat",
        "architecture": config["components"]["textcat"]["model"]["@architectures"],
        "ngram_size": config["components"]["textcat"]["model"].get("ngram_size"),
        "labels": labels,
        **read_as,
        "spacy_version": spacy.about.__version__,
        "seed": int(settings["seed"]),
        "data_hash": data_hash(root, files, config_text, catalog),
        "data_files": [str(p.relative_to(root)) for p in files],
        "training_lines": len(base) + len(extra),
        "dev_folds": folds,
        "blend": asdict(blend),
        "dev_metrics": dev_metrics(dev, blend) | chosen,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir / "model")
    if card_nlp is not None:
        card_nlp.to_disk(out_dir / "card")
    vocabulary = out_dir / KNOWN_WORDS_FILE
    if known is not None:
        vocabulary.write_text(json.dumps(sorted(known), ensure_ascii=False) + "\n", encoding="utf-8")
    else:
        vocabulary.unlink(missing_ok=True)
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
