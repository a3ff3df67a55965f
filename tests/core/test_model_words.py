"""What the classifier reads of a message: bounded words, rule marks, and (when trained so) normal words."""

from __future__ import annotations

import pytest

from bot.detection.classifier import (
    FEATURE_PREFIX,
    MAX_REPEATS,
    RARE_WORD,
    Reads,
    in_vocabulary,
    known_words,
    model_words,
    normal_word,
)


@pytest.mark.parametrize(
    ("word", "read"),
    [("71.2", "0.0"), ("85%", "0%"), ("+4", "+0"), ("62->71", "0->0"), ("2.5x", "0.0x"), ("1,400", "0,0")],
)
def test_a_figure_is_read_by_its_shape(word: str, read: str) -> None:
    """A delta learnt from one pair of numbers counts for any other pair."""
    assert normal_word(word) == read


@pytest.mark.parametrize("word", ["GSM8K", "gpt-4o", "Llama-3.1", "o3-mini"])
def test_a_name_with_digits_keeps_them(word: str) -> None:
    """Benchmark and model names are words, not figures: only their case is dropped."""
    assert normal_word(word) == word.lower()


def test_normalising_lowercases_words_and_keeps_the_rule_marks_apart() -> None:
    """Rule marks come after the words, and are the same whether or not the words are normalised."""
    plain = model_words(["MMLU", "up", "4.1"], ["SUPERIORITY"], Reads(rule_features=True))
    normal = model_words(["MMLU", "up", "4.1"], ["SUPERIORITY"], Reads(rule_features=True, normalize_words=True))
    assert plain == ["MMLU", "up", "4.1", FEATURE_PREFIX + "superiority"]
    assert normal == ["mmlu", "up", "0.0", FEATURE_PREFIX + "superiority"]


def test_a_repeated_figure_counts_as_one_word_once_normalised() -> None:
    """Figures that differ only in their digits share one shape, so the repeat bound applies to them together."""
    words = model_words([f"{n}.5" for n in range(10)], [], Reads(normalize_words=True))
    assert words == ["0.0"] * MAX_REPEATS


def test_a_named_benchmark_is_read_as_one_word_for_any_benchmark() -> None:
    """With mask_benchmarks, each named benchmark's span becomes one shared word, so "tops <benchmark>" learnt from
    MMLU counts for a benchmark named next week; without it the words are kept."""
    words = ["tops", "MMLU", "-", "Pro", "and", "GPQA"]
    spans = [(1, 4), (5, 6)]
    masked = model_words(words, [], Reads(mask_benchmarks=True), spans)
    assert masked == ["tops", FEATURE_PREFIX + "benchname", "and", FEATURE_PREFIX + "benchname"]
    assert model_words(words, [], Reads(), spans) == words


@pytest.mark.parametrize("name", ["gpt-4o", "Qwen2.5", "o3-mini", "H100", "Llama-3.1"])
def test_a_name_mixing_letters_and_digits_is_read_as_one_word(name: str) -> None:
    """With mask_names a model name is one word for any model, while figures keep their shape and words stay."""
    words = model_words([name, "beats", "71.2", "and", "8B"], [], Reads(mask_names=True, normalize_words=True))
    assert words == [FEATURE_PREFIX + "modelname", "beats", "0.0", "and", "0b"]


def test_reads_come_from_a_manifest_and_a_left_out_setting_is_off() -> None:
    """An older manifest without the newer settings reads messages as it was trained to."""
    reads = Reads.of({"rule_features": True, "normalize_words": 1, "card_labels": ["FM-16"]})
    assert reads == Reads(rule_features=True, normalize_words=True)


def test_the_vocabulary_keeps_the_words_several_homes_use() -> None:
    """A word counts once per home however often that home uses it; only words of `min_homes` homes are known."""
    read = [("a/one", ["tops", "acmebot", "acmebot"]), ("a/one", ["acmebot", "beats"]), ("b/two", ["tops", "beats"]),
            ("c.dev", ["tops"])]
    assert known_words(read, 2) == {"tops", "beats"}
    assert known_words(read, 3) == {"tops"}


def test_a_word_outside_the_vocabulary_reads_as_one_shared_word() -> None:
    """Unknown words (a project's own name) become one word, the rules' marks always stay, and no vocabulary
    keeps every word."""
    words = ["acmebot", "tops", FEATURE_PREFIX + "superiority"]
    assert in_vocabulary(words, frozenset({"tops"})) == [RARE_WORD, "tops", FEATURE_PREFIX + "superiority"]
    assert in_vocabulary(words, None) == words
