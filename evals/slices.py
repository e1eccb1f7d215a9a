"""Every gold set as its own slice, each single lane beside the fused ranking and the answer.

For each item of each retrieval gold set (:mod:`evals.gold_sets`) this records what each single
lane ranked (dense over articles, dense over worker questions, BM25 over articles), what the
learned ranker ranked (fused), what the answer cited, and what the textbook baseline retrieved.
Figures per set and split: article hit@5, hit@1 and MRR per ranking, refusal accuracy and false
refusals of the answers.

The invariant the issue asks for, checked on dev by ``tests/test_invariant.py`` and reported on
test: on every slice, the fused ranking is not below its best single lane (hit@5 and MRR), and the
answer's citations are not below the fused ranking (hit@5, over the questions the bot answered:
a false refusal is counted once, as a false refusal).
"""
from __future__ import annotations

import re

import time
from dataclasses import dataclass, field
from datetime import date

from evals.gold_sets import GoldSet
from evals.metrics import GoldItem, Ref, article_matches
from kb.lanes import SINGLE_LANES

RANKINGS = (*(lane.value for lane in SINGLE_LANES), "fused", "answer")
"""The rankings scored per slice (``baseline`` too when it ran)."""


@dataclass
class SliceItem:
    item: GoldItem
    set_name: str
    outcome: str
    ranked: dict[str, list[Ref]] = field(default_factory=dict)
    latency_ms: float = 0.0
    states_rule: bool = False
    """The (not refused) answer's conclusion states a rule or a number, not a pointer to a source."""


POINTER = re.compile(r"相关规定是《|可能相关的是《|相关的是政策要点|最相关的可能是|原文见下|见下面。$")
"""How a conclusion reads that names a source instead of saying what it means (issue 15)."""


def states_a_rule(conclusion: str) -> bool:
    return bool(conclusion.strip()) and not POINTER.search(conclusion)


def run_slices(bot, sets: list[GoldSet], *, baseline=None, split: str = "all") -> list[SliceItem]:
    from bot.guards import QuestionError

    out = []
    for gold in sets:
        for item in gold.items():
            if split != "all" and item.split != split:
                continue
            as_of = item.as_of or date.today()
            started = time.perf_counter()
            try:
                answer = bot.ask(item.question, region=item.province, as_of=as_of)
                outcome, cited = answer.outcome, [(c.doc_id, c.article) for c in answer.citations if c.kind == "原文"]
                rule = states_a_rule(answer.conclusion)
            except QuestionError:
                outcome, cited, rule = "refused", [], False
            latency = (time.perf_counter() - started) * 1000
            retrieval = bot.retriever.search(item.question, k=5, region=item.province, as_of=as_of)
            ranked = {lane.value: list(retrieval.lanes.get(lane, [])) for lane in SINGLE_LANES}
            ranked["fused"] = [(h.doc_id, h.article) for h in retrieval.hits]
            ranked["answer"] = cited
            if baseline is not None:
                ranked["baseline"] = baseline.search(item.question)
            out.append(SliceItem(item, gold.name, outcome, ranked, latency, states_rule=rule))
    return out


def _rank(refs: list[Ref], item: GoldItem) -> int | None:
    return next((i for i, ref in enumerate(refs, start=1) if any(article_matches(ref, g) for g in item.citations)), None)


def figures(items: list[SliceItem], *, answered_only_for_answer: bool = True) -> dict:
    """Per ranking: hit@5, hit@1, MRR over the answerable items (the baseline is credited with every
    article of its four chunks); refusal figures of the answers."""
    answerable = [s for s in items if s.item.expect == "answer"]
    out: dict = {"n": len(items), "answerable": len(answerable)}
    names = list(dict.fromkeys(name for s in items for name in s.ranked))
    for name in names:
        pool = [s for s in answerable if not (name == "answer" and answered_only_for_answer and s.outcome == "refused")]
        k = 10**6 if name == "baseline" else 5
        hit5 = hit1 = rr = 0.0
        for s in pool:
            rank = _rank(s.ranked.get(name, []), s.item)
            hit5 += bool(rank and rank <= k)
            hit1 += rank == 1
            rr += 1.0 / rank if rank else 0.0
        n = max(len(pool), 1)
        out[name] = {"n": len(pool), "hit5": hit5 / n, "hit1": hit1 / n, "mrr": rr / n}
    # the fused ranking over the same answered questions, for the answer ≥ fused comparison
    answered = [s for s in answerable if s.outcome != "refused"]
    if answered:
        out["fused_on_answered"] = {"hit5": sum(bool((r := _rank(s.ranked["fused"], s.item)) and r <= 5) for s in answered) / len(answered)}
    out["states_rule"] = sum(s.states_rule for s in answered) / len(answered) if answered else None
    out["refusal_accuracy"] = sum((s.outcome == "refused") == (s.item.expect == "refuse") for s in items) / max(len(items), 1)
    out["false_refusals"] = sum(s.outcome == "refused" for s in answerable) / max(len(answerable), 1)
    refuse = [s for s in items if s.item.expect == "refuse"]
    out["refusals_caught"] = sum(s.outcome == "refused" for s in refuse) / len(refuse) if refuse else None
    return out


def by_slice(items: list[SliceItem]) -> dict[str, dict[str, dict]]:
    """split → set name (and "all") → :func:`figures`."""
    out: dict[str, dict[str, dict]] = {}
    for split in ("dev", "test"):
        chosen = [s for s in items if s.item.split == split]
        if not chosen:
            continue
        names = list(dict.fromkeys(s.set_name for s in chosen))
        out[split] = {name: figures([s for s in chosen if s.set_name == name]) for name in names}
        out[split]["all"] = figures(chosen)
    return out


def invariant_violations(slice_figures: dict[str, dict], *, tolerance: float = 0.0) -> list[str]:
    """Where the fused ranking falls below its best single lane (hit@5 or MRR), or the answer's
    citations below the fused ranking (hit@5 over answered questions)."""
    problems = []
    for name, f in slice_figures.items():
        for metric in ("hit5", "mrr"):
            best_lane = max(SINGLE_LANES, key=lambda lane: f[lane.value][metric])
            if f["fused"][metric] + tolerance < f[best_lane.value][metric]:
                problems.append(f"{name}: fused {metric} {f['fused'][metric]:.3f} < {best_lane.value} {f[best_lane.value][metric]:.3f}")
        if "fused_on_answered" in f and f["answer"]["hit5"] + tolerance < f["fused_on_answered"]["hit5"]:
            problems.append(f"{name}: answer hit@5 {f['answer']['hit5']:.3f} < fused {f['fused_on_answered']['hit5']:.3f}")
    return problems


def render_slices(slices: dict[str, dict[str, dict]]) -> list[str]:
    lines = [
        "## Every style its own slice: single lanes, fused ranking, answer, baseline",
        "",
        "Article hit@5 / hit@1 / MRR per gold set. *dense_article*: the question against the articles' own text; "
        "*dense_question*: against the worker questions the project wrote per article; *bm25_article*: BM25 over "
        "the articles' words; *fused*: the learned ranker; *answer*: the law articles the answer cites, in order, over "
        "the questions it answered; *baseline*: LangChain's textbook pipeline (credited with every article in its four "
        "1000-character chunks). Fused ≥ best lane and answer ≥ fused is checked on dev by a test; test is only reported. "
        "*rule stated*: share of the answered questions whose conclusion states a rule or a number (not 「相关规定是《…》，见下面」).",
        "",
    ]
    for split, sets in slices.items():
        rankings = [r for r in (*RANKINGS, "baseline") if r in next(iter(sets.values()))]
        lines += [f"### {split}", "", "| set | n | " + " | ".join(rankings) + " | refusal accuracy | false refusals | rule stated |",
                  "|---|---|" + "---|" * (len(rankings) + 3)]
        for name, f in sets.items():
            cells = [f"{f[r]['hit5']:.2f} / {f[r]['hit1']:.2f} / {f[r]['mrr']:.2f}" for r in rankings]
            rule = "—" if f.get("states_rule") is None else f"{f['states_rule']:.2f}"
            lines.append(f"| {name} | {f['answerable']} | " + " | ".join(cells) + f" | {f['refusal_accuracy']:.2f} | {f['false_refusals']:.2f} | {rule} |")
        problems = invariant_violations({k: v for k, v in sets.items()})
        lines += ["", "Invariant: " + ("holds on every slice." if not problems else "broken — " + "; ".join(problems)), ""]
    return lines
