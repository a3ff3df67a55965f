"""The trained classifier ships with the package, says how it was made, and is in step with the data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import spacy
from spacy.util import load_config
from thinc.api import Config

from bot.catalog import load_catalog
from bot.detection import Detector
from bot.detection.classifier import MODEL_DIR
from bot.detection.train import CONFIG_PATH, data_hash, training_files
from bot.settings import default_rules_dir

ROOT = Path(__file__).resolve().parents[2]
MAX_MODEL_BYTES = 10 * 1024 * 1024


def _manifest() -> dict[str, object]:
    return dict(json.loads((MODEL_DIR / "manifest.json").read_text(encoding="utf-8")))


def test_manifest_records_how_the_model_was_made() -> None:
    """The manifest names the component, spaCy version, seed, labels, data files, blend and dev metrics."""
    manifest = _manifest()
    assert manifest["component"] == "textcat"
    assert manifest["spacy_version"] == spacy.about.__version__
    config: Config = load_config(CONFIG_PATH)
    assert manifest["seed"] == config["mirage"]["seed"]
    labels = {*manifest["labels"], *manifest.get("card_labels", [])}  # type: ignore[misc]
    assert labels >= {"FM-16", "RF-39", "NO_CLAIM"}
    blend = manifest["blend"]
    assert isinstance(blend, dict) and 0.0 < blend["probable"] <= blend["reply"] <= 1.0
    metrics = manifest["dev_metrics"]
    assert isinstance(metrics, dict) and metrics["reply_precision"] >= 0.9 and metrics["items"] >= 500


def test_model_is_in_step_with_its_data_and_config() -> None:
    """Change a training file, a card or lexicon, or the config without `mirage train`, and this fails: the shipped
    model must be the one those files make."""
    config: Config = load_config(CONFIG_PATH)
    synthetic, real, dev = training_files(ROOT, config)
    files = [*synthetic, *real, dev]
    assert [str(p.relative_to(ROOT)) for p in files] == _manifest()["data_files"]
    catalog = load_catalog(default_rules_dir())
    assert data_hash(ROOT, files, CONFIG_PATH.read_text(encoding="utf-8"), catalog) == _manifest()["data_hash"], (
        "training data, rules or config changed: run `mirage train` and commit bot/detection/trained"
    )


def test_model_is_small_and_inside_the_package() -> None:
    """The model lives under bot/ (shipped in the wheel) and stays under 10 MB."""
    assert MODEL_DIR.is_relative_to(ROOT / "bot")
    size = sum(p.stat().st_size for p in MODEL_DIR.rglob("*") if p.is_file())
    assert 0 < size < MAX_MODEL_BYTES


def test_the_card_head_splits_the_claim_probability_between_the_cards(detector: Detector) -> None:
    """With one claim class and a card head, each card's score is its share of the claim probability, so the cards
    add up to the claim and a sure card can overrule the rules' card."""
    assert detector.classifier is not None and detector.classifier.card_textcat is not None
    scores = detector.classifier.scores([detector.model_tokens("It tops MMLU and GPQA, so we make it the default.")])
    assert set(scores[0].cards) == {card.id for card in detector.catalog.cards}
    assert abs(sum(scores[0].cards.values()) - scores[0].claim) < 1e-6
    assert scores[0].best_card == "FM-16"


def test_readme_states_the_blend_the_manifest_records() -> None:
    """The README's "Chosen now" sentence gives the shipped model's blend: retraining without updating it fails."""
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    found = re.search(r"Chosen now \(the manifest has the exact values\): `w` = ([\d.]+), veto weight ([\d.]+), "
                      r"reply at a score of ([\d.]+), probable at ([\d.]+), and agreement at rules ([\d.]+) with "
                      r"the classifier at ([\d.]+)", readme)
    assert found is not None, "the README lost its 'Chosen now' sentence"
    blend = _manifest()["blend"]
    assert isinstance(blend, dict)
    keys = ("model_weight", "veto", "reply", "probable", "agree_rule", "agree_model")
    for key, stated in zip(keys, found.groups(), strict=True):
        assert abs(float(stated) - float(blend[key])) < 0.0006, (key, stated, blend[key])


def test_words_no_three_homes_used_read_as_one(detector: Detector) -> None:
    """The shipped model reads a word that fewer than `min_homes` homes of its training lines used as one shared
    word: two made-up project names in the same claim score the same, while a known word still counts."""
    assert detector.classifier is not None and detector.classifier.known
    assert _manifest()["min_homes"] == load_config(CONFIG_PATH)["mirage"]["min_homes"] > 0
    one, other, known = detector.classifier.scores([
        detector.model_tokens(f"{name} tops MMLU and GPQA, so we make it the default.")
        for name in ("Zorblatt", "Quixnor", "Llama")
    ])
    assert one == other
    assert "llama" in detector.classifier.known and known != one
