"""A synthetic but realistic channel mix for benchmarks: mostly ordinary chatter, a little benchmark talk."""

from __future__ import annotations

import random
from collections.abc import Iterator

CHATTER = [
    "morning all, standup in 5",
    "can someone review my PR? <https://github.com/acme/app/pull/{n}|#{n}>",
    "deploy of api-gateway finished, no errors so far",
    "I'll be out tomorrow afternoon, dentist :tooth:",
    "lunch? thinking tacos :taco:",
    "the staging db is slow again, looking into it",
    "<@U024BE7LH> did you get a chance to look at the design doc?",
    "merged, thanks for the quick review!",
    "flaky test in test_checkout again, rerunning",
    "who owns the billing alerts? pager went off twice last night",
    "reminder: retro at 3pm, add your notes to the board",
    "nice work on the onboarding flow, looks great",
    "can we push the sync to thursday?",
    "rolled back the feature flag, investigating the spike",
    "docs updated for the new auth scopes",
    "ok sounds good",
    "+1",
    "thanks!! :pray:",
    "anyone have the link to the Q3 roadmap?",
    "the new hire starts monday, please say hi :wave:",
    "ticket {n} is a dup of the one from last week",
    "I think the spec is missing the error states for the upload screen",
    "k8s node pool upgrade is scheduled for saturday 02:00 UTC",
    "pairing on the migration after lunch if anyone wants to join",
    "coffee machine on 3 is fixed :coffee:",
    # team chatter names users, customers and tickets all day: none of it needs the pipeline
    "two customers asked about the export bug again, ticket {n}",
    "users are reporting slow logins on mobile since the release",
    "customer call at 2, can someone from support join?",
    "closing ticket {n}, the user confirmed the fix works",
    "support queue is down to 40 tickets, nice job everyone",
    "a user in the EU region says the invoice PDF is blank",
    "onboarding survey results are in the doc, users like the new checklist",
    "customer feedback from the webinar: they want SSO",
    "can someone triage the tickets tagged billing?",
    "our users in Japan see the wrong date format, ticket {n}",
]
BENCHMARK_TALK = [
    "It scored highest on MMLU, so it should be the best choice.",
    "Which model scored highest on MMLU?",
    "the new ckpt is +{d} on GSM8K :tada:",
    "Run {n}: MMLU 71.{d}, HumanEval 48.{d}, GSM8K 55.0",
    "claude beats gpt-4o on SWE-bench verified, let's switch",
    "scoring highest on MMLU doesn't mean it helps our users",
    "pgbench shows {n} TPS on the new instance",
    "we don't have user data yet but the evals look strong",
    "A/B test: task completion +{d}% with the new model, CSAT flat",
    "is the LMArena jump real or contamination?",
]


def channel_mix(count: int, benchmark_share: float = 0.05, seed: int = 7) -> Iterator[str]:
    """`count` messages, about `benchmark_share` of them benchmark talk, the rest ordinary chatter."""
    rng = random.Random(seed)
    for _ in range(count):
        pool = BENCHMARK_TALK if rng.random() < benchmark_share else CHATTER
        yield rng.choice(pool).format(n=rng.randint(100, 9999), d=rng.randint(1, 9))
