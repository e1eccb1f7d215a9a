"""Scoring functions for the gold set: pure functions over what a system returned.

A gold item names the articles a right answer cites (``{doc, article}``; ``全文`` matches any
part of a document without numbered articles). A system's result for an item is its ranked list
of ``(doc_id, article)`` pairs, its outcome and the citations it showed.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import yaml

Ref = tuple[str, str]  # (doc_id, article)


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    expect: str  # "answer" | "refuse"
    citations: tuple[Ref, ...]
    split: str
    topic: str = ""
    persona: str = ""
    style: str = ""
    province: str | None = None
    as_of: date | None = None
    forbidden_docs: tuple[str, ...] = ()
    """Documents a right answer must not cite (another province's rule, a text not in force)."""
    slice: str = ""


def load_gold(path) -> list[GoldItem]:
    items = []
    for raw in yaml.safe_load(open(path, encoding="utf-8")):
        items.append(
            GoldItem(
                id=str(raw["id"]),
                question=str(raw["question"]),
                expect=raw["expect"],
                citations=tuple((c["doc"], str(c["article"])) for c in raw.get("citations") or []),
                split=raw.get("split", "dev"),
                topic=raw.get("topic", "") or "",
                persona=raw.get("persona", "") or "",
                style=raw.get("style", "") or "",
                province=raw.get("province") or None,
                as_of=_as_date(raw.get("as_of")),
                forbidden_docs=tuple(raw.get("forbidden_docs") or ()),
                slice=raw.get("slice", "") or "",
            )
        )
    return items


def _as_date(value) -> date | None:
    if value in (None, "", "null"):
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def article_matches(found: Ref, gold: Ref) -> bool:
    """Same document and article; a split part (``第十四条``) matches its article; 全文 matches any."""
    doc, article = found
    gold_doc, gold_article = gold
    if doc != gold_doc:
        return False
    return gold_article == "全文" or article == gold_article or article.startswith(gold_article + "（")


@dataclass
class ItemResult:
    """What one system did with one gold item."""

    item: GoldItem
    ranked: list[Ref]
    """Retrieved (doc, article) pairs, best first (may repeat an article for split parts)."""
    outcome: str = "answered"
    cited: list[Ref] = field(default_factory=list)
    latency_ms: float = 0.0
    expired: list[Ref] = field(default_factory=list)
    """Citations of texts not in force on the item's as-of date (must stay empty)."""


def _first_hit_rank(ranked: Sequence[Ref], gold: Iterable[Ref]) -> int | None:
    gold = list(gold)
    for rank, ref in enumerate(ranked, start=1):
        if any(article_matches(ref, g) for g in gold):
            return rank
    return None


def score(results: list[ItemResult], *, k: int = 5) -> dict:
    """All the figures of the report for one system over a list of items."""
    answerable = [r for r in results if r.item.expect == "answer"]
    refusable = [r for r in results if r.item.expect == "refuse"]
    out: dict = {"items": len(results), "answerable": len(answerable), "refusable": len(refusable)}
    if answerable:
        doc_at1 = doc_at5 = art_hit1 = art_hit5 = art_recall5 = rr = 0.0
        for r in answerable:
            gold_docs = {d for d, _ in r.item.citations}
            top = r.ranked[:k]
            doc_at1 += bool(top[:1] and top[0][0] in gold_docs)
            doc_at5 += any(d in gold_docs for d, _ in top)
            found = [g for g in r.item.citations if any(article_matches(ref, g) for ref in top)]
            art_recall5 += len(found) / len(r.item.citations)
            art_hit5 += bool(found)
            rank = _first_hit_rank(r.ranked, r.item.citations)
            rr += 1.0 / rank if rank else 0.0
            art_hit1 += rank == 1
        n = len(answerable)
        out.update(
            doc_recall_at_1=doc_at1 / n,
            doc_recall_at_5=doc_at5 / n,
            article_hit_at_1=art_hit1 / n,
            article_hit_at_5=art_hit5 / n,
            article_recall_at_5=art_recall5 / n,
            mrr=rr / n,
        )
        shown = [(r, ref) for r in answerable if r.outcome != "refused" for ref in r.cited]
        correct = sum(1 for r, ref in shown if any(article_matches(ref, g) for g in r.item.citations))
        out["citation_precision"] = correct / len(shown) if shown else 0.0
        # An answer with 办事指南 points cites several sources by design; what a worker needs is that
        # the right provision is among them.
        answered = [r for r in answerable if r.outcome != "refused"]
        out["cites_gold_article"] = (
            sum(any(article_matches(ref, g) for ref in r.cited for g in r.item.citations) for r in answered) / len(answered) if answered else 0.0
        )
        out["citations_per_answer"] = len(shown) / len(answered) if answered else 0.0
        out["false_refusal_rate"] = sum(r.outcome == "refused" for r in answerable) / n
    if refusable:
        out["refusal_recall"] = sum(r.outcome == "refused" for r in refusable) / len(refusable)
    out["refusal_accuracy"] = sum((r.outcome == "refused") == (r.item.expect == "refuse") for r in results) / max(len(results), 1)
    latencies = sorted(r.latency_ms for r in results)
    out["latency_p50_ms"] = percentile(latencies, 50)
    out["latency_p95_ms"] = percentile(latencies, 95)
    return out


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for an empty list)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[rank - 1])


def score_policy(results: list[ItemResult]) -> dict:
    """For the policy set: does an answer cite a right *document* (notes have no stable article
    labels), does it avoid the forbidden ones, does it refuse when it should. ``right_doc_in_top5``
    looks at the five best law articles and the five best 要点 (two groups, ranked separately)."""
    answerable = [r for r in results if r.item.expect == "answer"]
    out = {"items": len(results)}
    if answerable:
        out["cites_right_doc"] = sum(
            any(doc == g_doc for doc, _ in r.cited for g_doc, _ in r.item.citations) for r in answerable
        ) / len(answerable)
        out["right_doc_in_top5"] = sum(
            any(doc == g_doc for doc, _ in r.ranked[:10] for g_doc, _ in r.item.citations) for r in answerable
        ) / len(answerable)
    out["cites_forbidden"] = sum(any(doc in r.item.forbidden_docs for doc, _ in r.cited) for r in results) / max(len(results), 1)
    out["refusal_accuracy"] = sum((r.outcome == "refused") == (r.item.expect == "refuse") for r in results) / max(len(results), 1)
    out["expired_citations"] = sum(len(r.expired) for r in results)
    return out
