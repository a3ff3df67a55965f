"""What the detector reads of a raw message: links as their words, snake_case apart, quotes and code gone."""

from __future__ import annotations

from bot.detection import Detector
from bot.detection.clean import clean, link_words
from bot.detection.prefilter import words_of


def test_a_bare_link_reads_as_the_words_of_its_address() -> None:
    """A leaderboard given only as a link still names the leaderboard."""
    text = clean("see https://huggingface.co/spaces/HuggingFaceH4/open_llm_leaderboard, it is on top")
    assert "open llm leaderboard" in text
    assert "https" not in text


def test_a_slack_link_reads_as_its_label_or_else_its_address() -> None:
    """Slack wraps links in <...>; a label wins, and an unlabelled link keeps its words."""
    assert clean("per <https://lmarena.ai/leaderboard|the arena board>") == "per the arena board"
    assert clean("per <https://lmarena.ai/leaderboard>") == "per lmarena ai leaderboard"


def test_link_words_skip_the_scheme_and_keep_words_with_letters() -> None:
    """Numbers alone (ids, dates) are not words of a link."""
    assert link_words("https://arxiv.org/abs/2406.01574") == "arxiv org abs"


def test_snake_case_names_are_read_word_by_word() -> None:
    """`SWE-bench_Verified` is the SWE-bench benchmark; `open_llm_leaderboard` is a leaderboard."""
    assert clean("SWE-bench_Verified goes to 59.6%") == "SWE-bench Verified goes to 59.6%"
    assert {"open", "llm", "leaderboard"} <= words_of("the open_llm_leaderboard says")


def test_markdown_link_text_and_address_both_stay() -> None:
    """In [label](url) the label is prose and the address adds its words."""
    text = clean("Check the [LLM board](https://example.org/mteb/leaderboard) first")
    assert text.startswith("Check the [LLM board](")
    assert "mteb leaderboard" in text


def test_a_name_in_backticks_is_read_and_code_in_backticks_is_not() -> None:
    """GitHub sets benchmark names in code type (`Code Editing Leaderboard`); identifiers, paths, flags and
    code comments in backticks are still dropped."""
    assert clean("We updated Aider's `Code Editing Leaderboard` with `BigCodeBench-Complete`") == (
        "We updated Aider's Code Editing Leaderboard with BigCodeBench-Complete"
    )
    dropped = clean("sorts by `arena_elo` in `scripts/pick.py`, calls `model.generate()`, `--num_fewshot 5`, "
                    "`# best MMLU wins`")
    assert dropped == "sorts by in , calls , ,"


def test_latin_words_written_against_cjk_letters_stand_apart() -> None:
    """Japanese and Chinese put no space before a Latin name; the detector and the pre-filter both read it alone."""
    text = "MT-BenchとArena HardでGPT-4oをoutperformしてる"
    assert clean(text) == "MT-Bench と Arena Hard で GPT-4o を outperform してる"
    assert {"arena", "hard", "outperform"} <= words_of(text)
    assert {"q", "bench", "两", "榜", "单", "一"} <= words_of("在Q-Bench和Tiny LVLM两个榜单上拿了第一")


def test_cjk_text_is_read_letter_by_letter_and_its_spans_keep_their_text(detector: Detector) -> None:
    """Written without spaces, Chinese, Japanese and Korean are tokenised one letter at a time, so a lexicon term
    matches inside a run of text; full-width punctuation is split off too, and a span reads as it was written."""
    doc = detector.nlp(clean("MiniMax M2.5 刷新了一堆行业基准，SWE-Bench Verified 80.2%，生产力任务"))
    words = [t.text for t in doc]
    assert words[2:4] == ["刷", "新"] and "，" in words and "80.2%" in words
    reading = detector.reading_of("GLM-4-9B 系列在各项评测指标上都有明显提升，超越了上一代")
    assert {"评测", "超越"} <= {h.text for h in reading.hits}


def test_lone_surrogates_read_as_spaces(detector: Detector) -> None:
    """A lone surrogate (JSON's "\\ud800" decodes to one) cannot be encoded as UTF-8: it reads as a space, so the
    claim around it is still judged and nothing raises."""
    assert clean("tops\ud800MMLU \udfff") == "tops MMLU"
    text = "It scored highest on MMLU \ud800, so it should be the best choice."
    assert detector.detect(text).fired
    assert [d.fired for d in detector.detect_many([text, "\udc00 standup moved"])] == [True, False]
    assert detector.cites_user_outcome("our users \ud800 preferred it in the A/B test")
