"""Stage 3 of an answer — decide: refuse, answer partially («可能适用»), or answer, from the learned
ranker's two calibrated probabilities (:mod:`kb.ranker`; the cuts are chosen with it on dev). An
article the worker names is answered whatever its score."""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.results import Reason
from kb.retriever import Hit, Retrieval


@dataclass(frozen=True)
class Ranked:
    """Stage 2's result: the retrieval and the passages in the order the answer uses them."""

    retrieval: Retrieval
    hits: list[Hit]
    pinned: bool
    """An article the question names was put first."""


class Verdict(StrEnum):
    REFUSE = "refuse"
    PARTIAL = "partial"
    """Possibly relevant: hedged with 「可能适用」."""
    ANSWER = "answer"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: Reason = Reason.NONE
    why: str = ""
    """For a refusal: the sentence that says why."""

    @property
    def sure(self) -> bool:
        return self.verdict is Verdict.ANSWER


def refuses(retrieval: Retrieval) -> bool:
    """The refusal rule: the ranker's calibrated probability that the knowledge base should answer
    this question is below the cut chosen with it on dev (see :mod:`kb.ranker`)."""
    return retrieval.in_scope < retrieval.answer_above


def decide(ranked: Ranked) -> Decision:
    """Refuse when nothing was found or the in-scope probability is below its cut (unless an article
    was named); answer plainly when the first article's probability is above the sure cut."""
    retrieval = ranked.retrieval
    if not ranked.hits or (not ranked.pinned and refuses(retrieval)):
        return Decision(Verdict.REFUSE, Reason.NOT_FOUND, "知识库里没有找到能回答这个问题的规定。")
    if ranked.pinned or retrieval.confidence >= retrieval.sure_above:
        return Decision(Verdict.ANSWER)
    return Decision(Verdict.PARTIAL, Reason.LOW_CONFIDENCE)


__all__ = ["Decision", "Ranked", "Verdict", "decide", "refuses"]
