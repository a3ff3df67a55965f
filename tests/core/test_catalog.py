"""The shipped catalog is valid and its own examples hold; broken card files are reported by file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.catalog import Catalog, CatalogError, load_catalog
from bot.detection import Detector

from .conftest import RULES


def _examples(kind: str) -> list[tuple[str, str]]:
    catalog = load_catalog(RULES)
    return [(card.id, text) for card in catalog.cards for text in getattr(card.examples, kind)]


def test_seed_cards_are_present(catalog: Catalog) -> None:
    """FM-16 and RF-39 are in the catalog, findable by id or name, with questions and a first move."""
    fm16 = catalog.card("fm-16")
    rf39 = catalog.card("Benchmarks are discussed more than real user outcomes")
    assert fm16 is not None and fm16.name == "The Benchmark Mirage"
    assert rf39 is not None and rf39.id == "RF-39"
    assert len(fm16.questions) >= 2 and fm16.first_move
    assert catalog.card("nope") is None


def test_benchmark_lexicon_is_broad(catalog: Catalog) -> None:
    """At least 60 named benchmarks, and the usual suspects are among them."""
    lexicon = catalog.lexicon("benchmarks")
    assert len(lexicon.terms) + len(lexicon.patterns) >= 60
    for name in ("MMLU", "HumanEval", "SWE-bench", "GSM8K", "GPQA", "LMArena", "MTEB"):
        assert name in lexicon.terms


@pytest.mark.parametrize(("card_id", "text"), _examples("match"))
def test_card_match_examples_fire_their_card(detector: Detector, card_id: str, text: str) -> None:
    """Every `examples.match` line of a card fires that card."""
    detection = detector.detect(text)
    assert detection.fired and detection.card_id == card_id, detection.reason


@pytest.mark.parametrize(("card_id", "text"), _examples("no_match"))
def test_card_no_match_examples_stay_quiet(detector: Detector, card_id: str, text: str) -> None:
    """No `examples.no_match` line of any card fires anything."""
    detection = detector.detect(text)
    assert not detection.fired, f"{card_id}: {detection.card_id} fired on {text!r}"


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def _problems(rules_dir: Path) -> list[str]:
    with pytest.raises(CatalogError) as info:
        load_catalog(rules_dir)
    return [str(p) for p in info.value.problems]


def test_unknown_key_is_named(rules_copy: Path) -> None:
    """An unknown key is rejected with the file and the key."""
    card = rules_copy / "FM-16.yaml"
    card.write_text(card.read_text() + "colour: blue\n")
    assert any(p.startswith(str(card)) and ": colour: " in p for p in _problems(rules_copy))


def test_bad_spacy_pattern_is_named(rules_copy: Path) -> None:
    """A token pattern spaCy would reject is reported under its key, with spaCy's own message."""
    card = rules_copy / "RF-39.yaml"
    text = card.read_text().replace("{TEXT: {REGEX:", "{TEXTT: {REGEX:", 1)
    card.write_text(text)
    problems = _problems(rules_copy)
    assert any("detect.cues[1].patterns" in p and "TEXTT" in p for p in problems), problems


def test_invalid_yaml_names_the_line(rules_copy: Path) -> None:
    """Broken YAML is reported with its file and line, not a traceback."""
    (rules_copy / "XX-1.yaml").write_text("id: XX-1\nname: [unclosed\n")
    problems = _problems(rules_copy)
    assert any("XX-1.yaml: line" in p and "invalid YAML" in p for p in problems), problems


def test_missing_field_and_duplicate_id_and_unknown_related(rules_copy: Path) -> None:
    """A missing required field, a second card with the same id and an unknown related id are all listed."""
    fm16 = (rules_copy / "FM-16.yaml").read_text()
    (rules_copy / "FM-16-copy.yaml").write_text(fm16)
    (rules_copy / "RF-39.yaml").write_text(
        (rules_copy / "RF-39.yaml").read_text().replace("related: [FM-16]", "related: [FM-99]")
    )
    (rules_copy / "ZZ-2.yaml").write_text("id: ZZ-2\nname: Half a card\n")
    problems = _problems(rules_copy)
    assert any(": id: duplicate card id FM-16 (also in " in p for p in problems), problems
    assert any("RF-39.yaml: related[0]: unknown card id 'FM-99'" in p for p in problems), problems
    assert any("ZZ-2.yaml: questions: Field required" in p for p in problems), problems


def test_missing_rules_dir(tmp_path: Path) -> None:
    """A rules directory that does not exist is one clear problem."""
    assert _problems(tmp_path / "nowhere") == [f"{tmp_path / 'nowhere'}: (dir): rules directory not found"]


def test_prefiltered_lexicon_pattern_must_spell_a_token(rules_copy: Path) -> None:
    """A user-evidence pattern with no spelled-out token would make the exact pre-filter unsound: it is rejected."""
    lexicon = rules_copy / "lexicon" / "user_evidence.yaml"
    lexicon.write_text(lexicon.read_text() + "  - [{LIKE_NUM: true}, {IS_ALPHA: true}]\n")
    problems = _problems(rules_copy)
    assert any("user_evidence.yaml: patterns[" in p and "pre-filter" in p for p in problems), problems


def test_suffixes_are_capitalised_name_parts(rules_copy: Path) -> None:
    """A lexicon suffix is one capitalised word part ("Bench"); lower case or several words are rejected with the
    file and the key, and an exclusion list without suffixes is a problem too."""
    lexicon = rules_copy / "lexicon" / "benchmarks.yaml"
    lexicon.write_text(lexicon.read_text().replace("suffixes: [Bench, Eval]", "suffixes: [bench, Eval Set]", 1))
    problems = _problems(rules_copy)
    assert any("benchmarks.yaml: suffixes[0]" in p for p in problems), problems
    assert any("benchmarks.yaml: suffixes[1]" in p for p in problems), problems
    other = rules_copy / "lexicon" / "eval_terms.yaml"
    other.write_text(other.read_text().replace("terms:", "suffix_exclude: [FooBench]\nterms:", 1))
    assert any("eval_terms.yaml" in p and "suffix_exclude needs suffixes" in p for p in _problems(rules_copy))


def test_yaml_booleans_in_patterns_are_caught(rules_copy: Path) -> None:
    """YAML reads a bare `on` as true; inside a token pattern that is reported, not silently matched."""
    card = rules_copy / "FM-16.yaml"
    card.write_text(card.read_text().replace('{LOWER: {IN: [with, "on", score', "{LOWER: {IN: [with, on, score", 1))
    assert any("detect.cues" in p and "valid string" in p for p in _problems(rules_copy))


def test_a_hash_inside_an_unquoted_value_is_caught(rules_copy: Path) -> None:
    """`- ranked #1` silently loads as "ranked" (YAML starts a comment at ` #`): the loader names the line."""
    card = rules_copy / "FM-16.yaml"
    card.write_text(card.read_text().replace('        - "ranked #1"\n', "        - ranked #1\n", 1))
    problems = _problems(rules_copy)
    assert any("FM-16.yaml: line " in p and "'ranked #1...'" in p and "quote" in p for p in problems), problems


def test_card_text_cut_short_is_caught(rules_copy: Path) -> None:
    """A card sentence with an unclosed bracket or quote (the sign of a value cut by YAML) is reported."""
    card = rules_copy / "FM-16.yaml"
    text = card.read_text()
    start = text.index("questions:\n") + len("questions:\n")
    card.write_text(text[:start] + '  - Which of "our tasks (the real ones did we try?\n' + text[start:])
    problems = _problems(rules_copy)
    assert any("FM-16.yaml: questions[0]: unbalanced ()" in p for p in problems), problems


def test_the_contract_between_cards_and_lexicons_is_checked(rules_copy: Path) -> None:
    """A `needs` typo, a cue that reuses a lexicon's label and a phrase listed twice are each a problem."""
    card = rules_copy / "FM-16.yaml"
    text = card.read_text()
    text = text.replace("needs: [SUPERIORITY,", "needs: [SUPERIORTY,", 1)
    text = text.replace("- label: RANKED", "- label: SKEPTIC", 1)
    text = text.replace("        - switch to\n", "        - switch to\n        - Switch  to\n", 1)
    card.write_text(text)
    problems = _problems(rules_copy)
    assert any("'SUPERIORTY' is no card's cue label" in p for p in problems), problems
    assert any("SKEPTIC is the label of lexicon 'skeptic'" in p for p in problems), problems
    assert any("phrase 'switch to' is listed twice" in p for p in problems), problems


def test_a_missing_lexicon_the_detector_reads_is_a_problem_not_a_crash(rules_copy: Path) -> None:
    """Deleting question_words.yaml gives one clear problem naming the role it held (it used to be a KeyError)."""
    (rules_copy / "lexicon" / "question_words.yaml").unlink()
    problems = _problems(rules_copy)
    assert any("role question: exactly one lexicon needs this role (found: none)" in p for p in problems), problems


def test_a_third_card_needs_no_python_change(rules_copy: Path) -> None:
    """A new card file with its own cue labels loads and fires on its example, beside the two shipped cards."""
    card = (rules_copy / "RF-39.yaml").read_text().replace("id: RF-39", "id: XX-7", 1)
    card = card.replace("related: [FM-16]", "related: [RF-39]")
    (rules_copy / "XX-7.yaml").write_text(card)
    catalog = load_catalog(rules_copy)
    assert [c.id for c in catalog.cards] == ["FM-16", "RF-39", "XX-7"]
    detector = Detector.from_catalog(catalog, use_model=False)
    detection = detector.detect("The benchmark is up 4 points, so we are clearly better.")
    assert detection.fired and detection.card_id in ("RF-39", "XX-7")
