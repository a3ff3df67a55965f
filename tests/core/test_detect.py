"""Detection: claims fire with the right card and triggers; hard negatives and bad input stay quiet."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.catalog import Catalog
from bot.detection import Detector
from bot.detection.classifier import CardScores, Classifier
from bot.detection.clean import clean
from bot.detection.pipeline import SPANS_KEY

SEED_FM16 = "It scored highest on MMLU, so it should be the best choice."
SEED_RF39 = "The benchmark is up 4 points, so we are clearly better."


def test_seed_sentence_fires_fm16_with_its_triggers(detector: Detector) -> None:
    """The seed phrase fires FM-16 and names what triggered it, as written."""
    detection = detector.detect(SEED_FM16)
    assert detection.fired and detection.card_id == "FM-16"
    assert "scored highest on" in detection.triggers and "MMLU" in detection.triggers
    assert detection.confidence >= 0.6
    assert detection.mentions_benchmark and not detection.cites_user_outcome


def test_delta_celebration_fires_rf39(detector: Detector) -> None:
    """A celebrated eval delta is RF-39, not FM-16."""
    detection = detector.detect(SEED_RF39)
    assert detection.fired and detection.card_id == "RF-39"
    assert any("up 4" in trigger for trigger in detection.triggers)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("We do not yet have real user data, but the evals look strong.", "RF-39"),
        ("claude beats gpt-4o on SWE-bench verified, let's switch", "FM-16"),
        ("#1 on MTEB, switching our embeddings today 🚀", "FM-16"),
        ("new ckpt is +2.3 on GPQA :tada: huge win", "RF-39"),
        ("Gemini tops the leaderboard, should be our default model going forward", "FM-16"),
    ],
)
def test_claims_fire_the_expected_card(detector: Detector, text: str, card: str) -> None:
    """Selection arguments go to FM-16; deltas and sufficiency arguments go to RF-39 (caught at the reply tier or,
    where the trained classifier is less sure, the probable tier, which logs a shadow incident)."""
    detection = detector.detect(text)
    assert (detection.tier is not None, detection.card_id) == (True, card), detection.reason


@pytest.mark.parametrize(
    "text",
    [
        "Which model scored highest on MMLU?",
        "has anyone compared these on HumanEval",
        "Scoring highest on MMLU doesn't mean it will help our users.",
        "leaderboards are so gamed lately, MMLU is saturated",
        "B beat A in the 2-week A/B test: task completion +6%, CSAT flat. Let's roll it out.",
        "pgbench shows 12k TPS on the new instance, let's switch",
        "vLLM beats TGI on throughput, 2x tokens/s at p99",
        "Run 42 results: MMLU 71.2, GSM8K 55.0, HumanEval 48.1",
        "> It scored highest on MMLU, so it should be the best choice.\nhmm, did we try it on our tickets?",
        'the vendor deck literally says "tops every leaderboard, the obvious choice" lol',
        "```\nassert detect('It scored highest on MMLU, so it is the best choice')\n```",
        "my sourdough tops the leaderboard of office snacks, clearly the best choice",
        "Arsenal top the table again, best team in the league",
        "if it tops MMLU we might switch, but only after the pilot",
        "GPT-4o didn't beat Claude on MMLU this time",
        "",
        "   \n\t ",
    ],
)
def test_hard_negatives_stay_quiet(detector: Detector, text: str) -> None:
    """Questions, skepticism, user evidence, systems benchmarks, neutral numbers, quotes, code, jokes: no fire."""
    detection = detector.detect(text)
    assert not detection.fired, f"fired {detection.card_id}: {detection.triggers} ({detection.reason})"


def test_thread_context_with_user_evidence_suppresses(detector: Detector) -> None:
    """A claim answered by user evidence earlier in the thread is not a benchmark-only claim."""
    claim = "ok so it tops MMLU too, let's switch"
    assert detector.detect(claim).fired
    context = ["shadow mode on 10k real tickets: 12% fewer escalations with the new model"]
    detection = detector.detect(claim, context)
    assert not detection.fired and "earlier in the thread" in detection.reason


def test_context_without_evidence_does_not_suppress(detector: Detector) -> None:
    """Unrelated earlier messages leave the verdict alone."""
    detection = detector.detect("ok so it tops MMLU too, let's switch", ["morning!", "which one is cheaper?"])
    assert detection.fired


def test_balance_flags_are_set_without_a_claim(detector: Detector) -> None:
    """Neutral benchmark talk counts as benchmark talk; user evidence counts as user outcome talk."""
    neutral = detector.detect("Run 42 results: MMLU 71.2, GSM8K 55.0")
    assert neutral.mentions_benchmark and not neutral.fired
    assert detector.cites_user_outcome("CSAT is up 3 points since the pilot started")
    assert not detector.cites_user_outcome("We have no user data yet")


@pytest.mark.parametrize(
    "text",
    [
        "x" * 40_000,
        ("It scored highest on MMLU, so it should be the best choice. " * 700),
        "\x00\x01\x02 MMLU \x1b[31m scored highest \u202e so the best choice",
        "🚀🚀🚀 🎉 :tada:",
        "Das Modell hat bei MMLU am besten abgeschnitten, also nehmen wir es.",
        "这个模型在MMLU上得分最高",
        "<!channel> <@U123|bob> <https://x.y/mmlu|MMLU> &lt;&gt;&amp;",
    ],
)
def test_odd_input_never_raises(detector: Detector, text: str) -> None:
    """Huge, control-character, emoji, non-English and markup-only messages get an answer, never an exception."""
    detection = detector.detect(text)
    assert isinstance(detection.fired, bool)
    assert 0.0 <= detection.confidence <= 1.0


def test_huge_message_is_judged_on_its_start(detector: Detector) -> None:
    """A claim at the start of a 40,000-character message is still found."""
    assert detector.detect(SEED_FM16 + " filler" * 6_000).fired


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=400))
def test_arbitrary_text_never_raises(detector: Detector, text: str) -> None:
    """Any unicode text gets a Detection back."""
    detection = detector.detect(text)
    assert detection.fired in (True, False)


def test_batch_and_single_agree(detector: Detector) -> None:
    """detect_many gives the same verdicts, in order, as detect one by one."""
    texts = [SEED_FM16, "lunch?", SEED_RF39, "Which model scored highest on MMLU?", "", "MMLU 71"] * 50
    assert [d.fired for d in detector.detect_many(texts, batch_size=7)] == [detector.detect(t).fired for t in texts]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_prefilter_never_hides_an_anchor(detector: Detector, catalog: Catalog, data: st.DataObject) -> None:
    """Whenever the spaCy pipeline finds a benchmark reference, the cheap pre-filter let the message through."""
    anchor_lexicons = [x.name for x in catalog.lexicons.values() if x.role in ("anchor", "context_anchor")]
    terms = [t for name in anchor_lexicons for t in catalog.lexicon(name).terms] + ["MATH", "ARC"]
    terms += ["KernelBench", "x1Eval", "MVBench", "GeekBench", "AutomationBench"]  # names the lexicon's suffixes cover
    filler = st.sampled_from(["we", "so", "the", "(", "-", "!", "model", "x1", "\n", "👍", "'s", "と", "榜单", "`"])
    words = data.draw(st.lists(st.one_of(filler, st.sampled_from(terms)), min_size=1, max_size=12))
    joiner = data.draw(st.sampled_from([" ", "", "-", "/", "  "]))
    text = joiner.join(words)
    doc = detector.nlp(clean(text))  # the pipeline reads the cleaned message; the pre-filter reads it raw
    found_anchor = any(s.label_ in {n.upper() for n in anchor_lexicons} for s in doc.spans[SPANS_KEY])
    if found_anchor:
        assert detector.anchor_filter.may_match(text), text


def test_evidence_that_is_not_back_yet_counts_as_missing(detector: Detector) -> None:
    """'The CSAT survey isn't back yet' is missing evidence: beside a celebrated delta it is a claim, not a defence."""
    detection = detector.detect("the CSAT survey isn't back yet but the judge scores are up across the board 🎉")
    assert detection.tier is not None and detection.card_id == "RF-39"
    backed = detector.detect("the CSAT survey came back and the judge scores are up across the board 🎉")
    assert not backed.fired and backed.cites_user_outcome


def test_a_lead_in_question_lends_its_benchmark_to_the_next_sentence(detector: Detector) -> None:
    """'Saw the AA index update? it's beating everything' is a claim; a real question about the index is not."""
    assert detector.detect("saw the AA index update? it's beating everything we tested, switching tomorrow").fired
    assert not detector.detect("which model leads the AA index? anyone know").fired


def test_ranked_cue_needs_the_benchmark_right_after_it(detector: Detector) -> None:
    """'best MMLU score' ranks on a benchmark; 'best practices for evals' does not."""
    assert detector.detect("picking llama since it has the best MMLU score in its size class").fired
    assert not detector.detect("best practices for running evals are in the wiki now").fired


def test_systems_words_silence_only_the_generic_benchmark_word(detector: Detector) -> None:
    """A database benchmark is not the mirage; an ML eval delta beside a latency note still is."""
    assert not detector.detect("pgbench benchmark: new instance does 12k tps, huge win 🎉 switching").fired
    assert detector.detect("mid-sprint: evals +4pts, latency same. great progress on the assistant 🎉").fired


def test_bare_users_is_not_evidence_but_observed_users_are(detector: Detector) -> None:
    """'users are going to love it' infers an outcome; 'users said they prefer it' reports one."""
    inferred = detector.detect("+12 on RULER after the long-context fix, users are going to love it 🎉")
    assert inferred.fired and not inferred.cites_user_outcome
    observed = detector.detect("+12 on RULER after the long-context fix, and 30 users said they prefer it 🎉")
    assert not observed.fired and observed.cites_user_outcome


def test_fixed_word_token_patterns_become_phrases_that_match_the_same_spans(catalog: Catalog) -> None:
    """Turning fixed-word token patterns into phrases (a speed-up) changes no match on the labelled messages."""
    import json
    from pathlib import Path

    import spacy

    from bot.detection.clean import clean
    from bot.detection.pipeline import build_pipeline, ruler_patterns

    converted = build_pipeline(catalog)
    plain = spacy.blank("en")
    plain.add_pipe("span_ruler", config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER"}).add_patterns(
        ruler_patterns(catalog)
    )
    assert sum(isinstance(p["pattern"], str) for p in ruler_patterns(catalog, converted)) > sum(
        isinstance(p["pattern"], str) for p in ruler_patterns(catalog)
    )
    data = Path(__file__).resolve().parents[1] / "data" / "dev.jsonl"
    texts = [clean(json.loads(line)["text"]) for line in data.read_text(encoding="utf-8").splitlines()]
    for text in texts:
        before, after = plain(text), converted(text)
        assert {(s.label_, s.start, s.end) for s in before.spans[SPANS_KEY]} == {
            (s.label_, s.start, s.end) for s in after.spans[SPANS_KEY]
        }, text


def _veto(detector: Detector, text: str) -> str | None:
    """The rules' veto on a message that has a benchmark anchor."""
    weighed = detector.weigh(text)
    assert weighed is not None, text
    return weighed[0].veto


@pytest.mark.parametrize(
    "text",
    [
        "By Mistral's own account, Mixtral 8x22B now leads the open field on MMLU and GSM8K.",
        "Meta says Llama 4 Maverick is ahead of GPT-4o on MMLU and GPQA.",
        "In OpenAI's tests, o3-mini beat o1 on AIME 2024 and GPQA Diamond.",
        "According to Mistral, Mixtral 8x7B beats Llama 2 70B on MMLU.",
        "Claude 3.5 Sonnet, according to the company, outperforms every public model on SWE-bench.",
    ],
)
def test_a_claim_reported_in_the_third_person_is_vetoed(detector: Detector, text: str) -> None:
    """Attribution to the maker (its own account, its tests, 'X says') marks the claim as someone else's."""
    veto = _veto(detector, text)
    assert veto is not None and "report" in veto


@pytest.mark.parametrize(
    "text",
    [
        "Nous-Hermes 2 is out -- our first RLHF'd model and it beats Mixtral Instruct on the benchmarks.",
        "Qwen3 weights are out and it tops MMLU-Pro among open models, switching today",
        "our 7B just dropped and it beats Llama 3 8B on GSM8K",
    ],
)
def test_a_release_announced_in_the_writers_own_voice_is_not_reported_speech(detector: Detector, text: str) -> None:
    """'X is out and it beats Y on the benchmarks' is the writer's own announcement (a claim by the guide), not
    news of someone else's claim."""
    veto = _veto(detector, text)
    assert veto is None or "report" not in veto, veto


@pytest.mark.parametrize(
    "text",
    [
        "Despite its small size, Phi-3 mini beats Llama 3 8B on MMLU and GSM8K.",
        "At release it was the strongest open model on MMLU, and it still tops the 7B board.",
        "SmolLM2 ([paper](https://arxiv.org/abs/2502.02737)) outperforms Qwen2.5-1.5B on HellaSwag and ARC.",
        "Spark's agent benchmark numbers are strong and it's blazing fast; make it the default in Codex",
        "It beats V1 on every task according to their benchmarks, so it's the better model.",
        "the best model to use according to the LM Arena score is a Gemini, let's switch",
        "Gemma 4 12B approaches our 26B MoE on benchmarks at half the memory and runs locally in 16GB: the best one",
        "It beats ViT Giant on ImageNet benchmarks with 3x fewer FLOPs, the strongest small encoder there is",
    ],
)
def test_words_that_read_as_doubt_or_report_only_out_of_context_do_not_veto(detector: Detector, text: str) -> None:
    """'despite', 'at release', a paper's arXiv link, a product named Spark, "according to" the benchmarks and a
    model's own size or compute (GB, FLOPs) appear in the writer's own claims as often as in doubt, reports or
    systems talk (on the real-derived corpus): none of them vetoes ("according to" a maker or its post still does)."""
    veto = _veto(detector, text)
    assert veto is None, veto


def test_a_new_benchmark_named_like_one_is_a_benchmark(detector: Detector) -> None:
    """Benchmarks are named every week: a run-together name ending in a capitalised Bench or Eval is a benchmark
    reference ("AutomationBench", "LongMemEval"); hardware suites (GeekBench) and ordinary words are not."""
    reading = detector.reading_of("AutomationBench 30.4% (from 17.0%) and LongMemEval up too, progress is insane")
    assert {a.label for a in reading.anchors} == {"BENCHMARKS"} and len(reading.anchors) == 2
    assert not detector.reading_of("GeekBench 6 says the M4 is the best chip").anchors
    assert not detector.reading_of("our workbench is full and retrieval is slow").anchors
    assert detector.anchor_filter.may_match("so KernelBench is the one to beat")


def test_claims_the_noun_is_not_reported_speech(detector: Detector) -> None:
    """An insurance team's 'claims assistant' is not someone claiming something."""
    veto = _veto(detector, "our claims assistant tops the MMLU leaderboard now, so we ship it")
    assert veto is None or "report" not in veto


class _SureOfCard(Classifier):
    """The shipped classifier, except that it is sure the message is a claim of one given card."""

    def __init__(self, base: Classifier, card: str) -> None:
        super().__init__(base.textcat, base.vocab, base.manifest)
        self.card = card

    def scores(self, token_lists: Sequence[list[str]]) -> list[CardScores]:
        return [CardScores(0.99, {self.card: 0.95, "other": 0.04}) for _ in token_lists]


def test_a_classifier_sure_of_another_card_picks_the_card_and_says_what_it_read(detector: Detector) -> None:
    """When the model gives one card most of its claim probability and the rules' cues belong to another card,
    the reply names the model's card and its triggers are the benchmark words and the claiming sentence."""
    text = "We beat GPT-4 on MMLU, so we are switching the default to our model."
    assert detector.classifier is not None
    rules_card = detector.detect(text).card_id
    other = next(c.id for c in detector.catalog.cards if c.id != rules_card)
    sure = Detector(detector.catalog, detector.nlp, _SureOfCard(detector.classifier, other))
    verdict = sure.detect(text)
    assert verdict.card_id == other
    assert "MMLU" in verdict.triggers
    assert any("switching the default" in t for t in verdict.triggers)
    assert "trained classifier" in verdict.reason


@pytest.mark.parametrize(
    "text",
    [
        "DeepSeek-V3 is out, and it goes toe to toe with GPT-4o and Claude-3.5-Sonnet.",
        "Our 7B model holds its own against much bigger domain models such as BloombergGPT-50B.",
        "the only RNN so far that keeps up with transformers in quality and scaling",
        "Basically a tie at a fraction of the price, K3 wins and is the rational default now.",
        "We picked GPT 5.5 because it's simply the best coding model right now.",
    ],
)
def test_a_lead_said_without_naming_a_benchmark_is_read_by_the_classifier(detector: Detector, text: str) -> None:
    """Parity and lead words ("toe to toe", "holds its own", "wins", "the best") bring a message to the classifier
    even when no benchmark is named, and never make the rules fire on their own."""
    weighed = detector.weigh(text)
    assert weighed is not None, text
    assert not weighed[0].fires, text


def test_chatter_without_a_lead_or_a_benchmark_is_not_weighed(detector: Detector) -> None:
    """A message with neither a benchmark reference nor a lead-claiming word skips the pipeline."""
    assert detector.weigh("standup moved to 10, ping me if the deploy window changes") is None
