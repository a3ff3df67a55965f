"""Train the claim classifier from a config and a seed, choose the blend and tiers on the real-derived dev split,
and write the model with its manifest. Deterministic: the same config, data and seed give the same model."""

from __future__ import annotations

import hashlib
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
from bot.detection.classifier import NO_CLAIM, Classifier
from bot.detection.clean import clean
from bot.detection.detector import Detector
from bot.detection.pipeline import build_pipeline

CONFIG_PATH = Path(__file__).resolve().parent / "textcat.cfg"
WEIGHTS = (0.0, 0.2, 0.35, 0.5, 0.65, 0.8, 1.0)
VETOES = (0.0, 0.25, 0.5, 1.0)


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


def data_hash(root: Path, files: Sequence[Path], config_text: str) -> str:
    """One hash over the config and every data file (names relative to `root`, then contents)."""
    digest = hashlib.sha256(config_text.encode("utf-8"))
    for path in files:
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def training_files(root: Path, config: Config) -> tuple[list[Path], list[Path], Path]:
    settings = config["mirage"]
    return (resolve(root, settings["synthetic"]), resolve(root, settings["real_train"]), root / settings["real_dev"])


def _cats(pattern: str | None, labels: Sequence[str]) -> dict[str, float]:
    return {label: float(label == (pattern or NO_CLAIM)) for label in labels}


def _train_nlp(config: Config, rows: Sequence[Row], texts: Sequence[list[str]], labels: Sequence[str]) -> Language:
    settings = config["mirage"]
    seed = int(settings["seed"])
    fix_random_seed(seed)
    nlp = load_model_from_config(Config({"nlp": config["nlp"], "components": config["components"]}), auto_fill=True)
    textcat = nlp.get_pipe("textcat")
    for label in labels:
        textcat.add_label(label)  # type: ignore[attr-defined]
    examples = [
        Example.from_dict(Doc(nlp.vocab, words=t), {"cats": _cats(r.pattern, labels)})
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


def signals(detector: Detector, rows: Sequence[Row]) -> list[Signal]:
    """The detector's raw signals on each row, as it would see them at run time (no thread context)."""
    out = []
    for row in rows:
        weighed = detector.weigh(row.text)
        if weighed is None:
            out.append(Signal(False, 0.0, False, 0.0, row.pattern is not None))
            continue
        verdict, scores = weighed
        p = scores.claim if scores is not None else 0.0
        out.append(Signal(True, verdict.score, verdict.veto is not None, p, row.pattern is not None))
    return out


def cut_at_precision(scored: Sequence[tuple[float, bool]], precision: float, min_fires: int) -> float | None:
    """The lowest score t such that for every cut at or above t (with at least `min_fires` items above it) the
    precision is at least `precision`: a conservative, monotone reading of the precision curve."""
    ranked = sorted(scored, key=lambda x: -x[0])
    tp = fp = 0
    best: float | None = None
    for i, (value, positive) in enumerate(ranked):
        tp += positive
        fp += not positive
        last_of_tie = i + 1 == len(ranked) or ranked[i + 1][0] < value
        if not last_of_tie or value <= 0.0:
            continue
        if tp / (tp + fp) >= precision:
            if tp + fp >= min_fires:
                best = value
        elif tp + fp >= min_fires:
            break
    return best


def choose_blend(
    dev: Sequence[Signal], reply_precision: float, probable_precision: float, min_fires: int
) -> tuple[Blend, dict[str, float]]:
    """The (weight, veto) whose reply cut keeps dev precision at the target with the most recall; then the
    probable cut below it."""
    claims = sum(s.is_claim for s in dev) or 1
    best: tuple[float, Blend] | None = None
    for weight in WEIGHTS:
        for veto in VETOES:
            blend = Blend(weight, veto, 1.0, 1.0)
            scored = [(blend.score(s.rule_score, s.probability, s.vetoed) if s.anchored else 0.0, s.is_claim)
                      for s in dev]
            reply = cut_at_precision(scored, reply_precision, min_fires)
            if reply is None:
                continue
            recall = sum(pos for v, pos in scored if v >= reply) / claims
            if best is None or recall > best[0] + 1e-9:
                probable = cut_at_precision(scored, probable_precision, min_fires) or reply
                best = (recall, Blend(weight, veto, round(reply, 4), round(min(probable, reply), 4)))
    if best is None:
        return Blend(0.0, 1.0, 0.6, 0.6), {"reply_recall": 0.0}
    return best[1], {"reply_recall": round(best[0], 4)}


def dev_metrics(dev: Sequence[Signal], blend: Blend) -> dict[str, float]:
    def at(cut: float) -> dict[str, float]:
        tp = sum(1 for s in dev if s.anchored and s.is_claim and score(s) >= cut)
        fp = sum(1 for s in dev if s.anchored and not s.is_claim and score(s) >= cut)
        claims = sum(s.is_claim for s in dev) or 1
        return {"precision": round(tp / (tp + fp), 4) if tp + fp else 1.0, "recall": round(tp / claims, 4)}

    def score(s: Signal) -> float:
        return blend.score(s.rule_score, s.probability, s.vetoed)

    return {"items": len(dev), "claims": sum(s.is_claim for s in dev),
            **{f"reply_{k}": v for k, v in at(blend.reply).items()},
            **{f"probable_or_reply_{k}": v for k, v in at(blend.probable).items()}}


def train(root: Path, catalog: Catalog, out_dir: Path, config_path: Path = CONFIG_PATH) -> dict[str, Any]:
    """Train, choose the blend on the real-derived dev split, write `out_dir/model` and `out_dir/manifest.json`."""
    config_text = config_path.read_text(encoding="utf-8")
    config = load_config(config_path)
    settings = config["mirage"]
    synthetic, real, dev_path = training_files(root, config)
    rules = Detector(catalog, build_pipeline(catalog))
    use_features = bool(settings["rule_features"])
    rows: list[Row] = []
    for path in synthetic:
        rows += read_rows(path)
    for path in real:
        rows += read_rows(path) * int(settings["real_weight"])
    labels = [*sorted({r.pattern for r in rows if r.pattern} | {card.id for card in catalog.cards}), NO_CLAIM]

    texts = [rules.model_tokens(r.text) if use_features else [t.text for t in rules.nlp(clean(r.text))] for r in rows]
    kept = [i for i, t in enumerate(texts) if t]  # a message that is all quote or code has nothing to learn
    rows, texts = [rows[i] for i in kept], [texts[i] for i in kept]
    nlp = _train_nlp(config, rows, texts, labels)
    manifest: dict[str, Any] = {"rule_features": use_features}
    detector = Detector(catalog, rules.nlp, Classifier.from_nlp(nlp, manifest))
    dev = signals(detector, read_rows(dev_path))
    blend, chosen = choose_blend(dev, float(settings["reply_precision"]), float(settings["probable_precision"]),
                                 int(settings["min_reply_fires"]))
    files = [*synthetic, *real, dev_path]
    manifest = {
        "component": "textcat",
        "architecture": config["components"]["textcat"]["model"]["@architectures"],
        "ngram_size": config["components"]["textcat"]["model"].get("ngram_size"),
        "labels": labels,
        "spacy_version": spacy.about.__version__,
        "seed": int(settings["seed"]),
        "rule_features": use_features,
        "data_hash": data_hash(root, files, config_text),
        "data_files": [str(p.relative_to(root)) for p in files],
        "training_lines": len(rows),
        "blend": asdict(blend),
        "dev_metrics": dev_metrics(dev, blend) | chosen,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir / "model")
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
