"""The blend of rule evidence and the classifier's probability, its tiers, and how `mirage train` chooses it."""

from __future__ import annotations

from bot.detection.blend import Blend
from bot.detection.train import Bar, Signal, choose_blend, cut_at_precision


def test_score_weighs_model_and_rules_and_a_veto_lowers_it() -> None:
    """score = w*p + (1-w)*r, plus the boost when the rules fire, times (1 - veto) when a veto applies."""
    blend = Blend(model_weight=0.75, veto=0.5, rule_boost=0.1)
    assert blend.score(0.4, 0.8, vetoed=False) == 0.75 * 0.8 + 0.25 * 0.4
    assert blend.score(0.4, 0.8, vetoed=False, rules_fire=True) == 0.75 * 0.8 + 0.25 * 0.4 + 0.1 * 0.4
    assert blend.score(0.4, 0.8, vetoed=True) == (0.75 * 0.8 + 0.25 * 0.4) * 0.5
    assert blend.score(1.0, 1.0, vetoed=False, rules_fire=True) == 1.0  # clamped


def test_tiers_cut_the_score() -> None:
    """At or above `reply`: reply; at or above `probable`: probable; below: no tier."""
    blend = Blend(reply=0.9, probable=0.5)
    assert [blend.tier(x) for x in (0.95, 0.9, 0.7, 0.5, 0.49)] == ["reply", "reply", "probable", "probable", None]


def test_agreement_replies_below_the_cut_only_when_rules_fire_unvetoed() -> None:
    """Rules firing at agree_rule or more with the classifier at agree_model or more reply even below the reply cut;
    a veto, rules that do not fire, or either bar missed leave the score's tier."""
    blend = Blend(model_weight=1.0, veto=0.0, reply=0.95, probable=0.5, agree_rule=0.7, agree_model=0.85)
    assert blend.agrees(0.8, 0.9, vetoed=False, rules_fire=True)
    assert not blend.agrees(0.8, 0.9, vetoed=True, rules_fire=True)
    assert not blend.agrees(0.8, 0.9, vetoed=False, rules_fire=False)
    assert not blend.agrees(0.6, 0.9, vetoed=False, rules_fire=True)
    assert not blend.agrees(0.8, 0.8, vetoed=False, rules_fire=True)
    assert blend.tier(0.9, agreed=True) == "reply" and blend.tier(0.9) == "probable"
    assert not Blend().agrees(1.0, 1.0, vetoed=False, rules_fire=True)  # the default has no agreement path


def _signal(p: float, rule: float, fires: bool, claim: bool, clear: bool = True) -> Signal:
    return Signal(anchored=True, rule_score=rule, vetoed=False, probability=p, is_claim=claim, rules_fire=fires,
                  clear=clear)


def test_choose_blend_adds_agreement_only_while_precision_holds() -> None:
    """Claims the model ranks just below its top but the rules back are taken in (by the blend or by agreement);
    messages where only one of the two is sure stay out, and dev precision stays at the target."""
    top = [_signal(0.99, 0.0, False, True) for _ in range(30)]
    backed = [_signal(0.9, 0.9, True, True) for _ in range(10)]  # model fairly sure and rules sure: claims
    model_only = [_signal(0.9, 0.0, False, False) for _ in range(10)]  # model alone at the same p: not claims
    rules_only = [_signal(0.3, 0.9, True, False) for _ in range(10)]  # rules alone: not claims
    dev = top + backed + model_only + rules_only
    blend, chosen = choose_blend(dev, Bar(0.95), probable_precision=0.5, min_fires=5)
    replied = [s for s in dev if s.replies(blend)]
    assert all(s.is_claim for s in replied)
    assert len(replied) == 40 and chosen["reply_recall"] == 1.0


def test_choose_blend_takes_agreement_when_the_scores_cannot_separate() -> None:
    """Backed and unbacked messages have the same scores and differ only in whether the rules fire: the chosen
    reply tier takes exactly the backed ones (what agreement is for)."""
    top = [_signal(0.99, 0.5, False, True) for _ in range(30)]
    backed = [_signal(0.9, 0.9, True, True) for _ in range(10)]
    unbacked = [_signal(0.9, 0.9, False, False) for _ in range(10)]  # same scores, the rules do not fire
    blend, chosen = choose_blend(top + backed + unbacked, Bar(0.95), probable_precision=0.5, min_fires=5)
    assert chosen["reply_recall"] == 1.0
    assert all(s.replies(blend) for s in backed) and not any(s.replies(blend) for s in unbacked)


def test_the_reply_cut_keeps_both_bars_all_lines_and_clear_lines() -> None:
    """The cut goes as low as precision on all lines and on clear lines both allow: borderline non-claims spend the
    all-lines margin, a clear non-claim the clear-lines one."""
    scored = ([(0.9, True, True)] * 18 + [(0.8, False, False)] * 2  # 20 fired at 0.8: 0.90 on all, 1.0 on clear
              + [(0.7, True, True)] * 10 + [(0.6, False, True)])  # at 0.6 one clear non-claim: clear 28/29
    assert cut_at_precision(scored, Bar(0.9), 5) == 0.6  # 28/31 = 0.903 on all lines
    assert cut_at_precision(scored, Bar(0.91), 5) == 0.7  # 28/30 = 0.933
    assert cut_at_precision(scored, Bar(0.9, 0.97), 5) == 0.7  # at 0.6 clear lines are 28/29 = 0.966
    assert cut_at_precision(scored, Bar(0.9, 0.96), 5) == 0.6
    assert cut_at_precision(scored, Bar(0.95), 5) == 0.9  # 18/18; 0.8 gives 18/20


def test_choose_blend_spends_the_margin_on_borderline_lines_not_on_clear_ones() -> None:
    """With a clear-lines bar above the all-lines one, the chosen reply tier takes claims down past borderline
    non-claims, and stops before the clear non-claims."""
    top = [_signal(0.99, 0.0, False, True) for _ in range(40)]
    borderline = [_signal(0.9, 0.0, False, False, clear=False) for _ in range(3)]
    more = [_signal(0.85, 0.0, False, True) for _ in range(10)]
    clear_wrong = [_signal(0.8, 0.0, False, False) for _ in range(3)] + [_signal(0.8, 0.0, False, True)]
    dev = top + borderline + more + clear_wrong
    blend, chosen = choose_blend(dev, Bar(0.9, 0.97), probable_precision=0.5, min_fires=5)
    replied = [s for s in dev if s.replies(blend)]
    assert len(replied) == 53 and chosen["reply_recall"] == round(50 / 51, 4)
    strict, _ = choose_blend(dev, Bar(0.97), probable_precision=0.5, min_fires=5)
    assert sum(s.replies(strict) for s in dev) == 40
