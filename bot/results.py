"""What an answer is made of, as types: the outcome and its reason, the citations, the 行动清单,
the triage question, the referrals, and the Answer itself.

``Answer.to_json()`` is the JSON of ``laoquan ask --json`` (and of what the pages keep in the
browser and the records keep for vetted answers); enums serialise as their values.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum


class Outcome(StrEnum):
    ANSWERED = "answered"
    PARTIAL = "partial"
    """Possibly relevant provisions, marked so; or a fact is missing and asked back."""
    REFUSED = "refused"


class Reason(StrEnum):
    """Why the bot refused or answered partially ("" when it simply answered)."""

    NONE = ""
    NOT_FOUND = "not_found"
    LOW_CONFIDENCE = "low_confidence"
    INJECTION = "injection"
    NO_SUCH_ARTICLE = "no_such_article"
    OTHER_LAW = "other_law"
    FOREIGN_LAW = "foreign_law"
    NEEDS_FACT = "needs_fact"
    NEEDS_NUMBER = "needs_number"
    LAW_NOT_INDEXED = "law_not_indexed"
    CHAT = "chat"
    DOCUMENT_NAMED = "document_named"
    VETTED = "vetted"
    """Not the bot's: the page shows a staff-vetted answer."""


REASON_LABELS: dict[Reason, str] = {
    Reason.NONE: "",
    Reason.NOT_FOUND: "知识库里没有和问题足够相似的条文",
    Reason.LOW_CONFIDENCE: "最相似的条文也只是可能相关（相似度不高）",
    Reason.INJECTION: "问题试图改变回答规则",
    Reason.NO_SUCH_ARTICLE: "问到的条文在法律里不存在",
    Reason.OTHER_LAW: "问题不属于劳动保障范围",
    Reason.FOREIGN_LAW: "问的是境外法律",
    Reason.NEEDS_FACT: "还缺一个关键事实，先反问",
    Reason.NEEDS_NUMBER: "要算的数还缺一个事实（工龄、工资、日期……），先反问",
    Reason.LAW_NOT_INDEXED: "问到的法律不在知识库里",
    Reason.CHAT: "不是劳动保障问题（写诗、讲故事之类的请求）",
    Reason.DOCUMENT_NAMED: "问到的文件只有要点、没有全文",
    Reason.VETTED: "用的是站点审核过的答案",
}
"""Every reason in words, for staff (one table; a test checks that every reason has one)."""

OUTCOME_LABELS: dict[Outcome, str] = {Outcome.ANSWERED: "已回答", Outcome.PARTIAL: "部分回答（可能相关）", Outcome.REFUSED: "拒答"}


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    doc_no: str | None
    article: str
    page: int | None
    quote: str
    """Verbatim source text (a contiguous slice of the article)."""
    status: str
    effective_from: str | None
    region: str
    source_url: str | None
    score: float
    authority: str = ""
    note: str = ""
    """E.g. that part of this article was repealed on the as-of date, or that a pilot does not cover the region."""
    kind: str = "原文"
    """``原文`` (quote is official text) or ``要点（非原文）`` (the project's note; ``quote`` is empty)."""
    summary: str = ""
    """For a 要点: the project's plain-language note (not a quotation)."""
    official_url: str | None = None
    """The document's official page from the catalog (``source_url`` of a 要点 is the page its facts
    were read on, often a reprint); None when the catalog has not recorded one."""
    rule: str = ""
    """The article's 白话要义 (the project's plain words, not a quotation; empty when there is none
    or it is stale)."""


@dataclass(frozen=True)
class Step:
    """One step of a 行动清单."""

    what: str
    who: str | None = None
    deadline: str | None = None
    """A verbatim sentence of the cited article, never from memory."""
    cite: int | None = None
    """The citation number of the article the deadline is quoted from."""


@dataclass(frozen=True)
class Actions:
    """行动清单 for a problem: what to keep, then whom to turn to, in order."""

    evidence: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)


@dataclass(frozen=True)
class Triage:
    """A missing fact that changes the answer, asked with tap choices."""

    ask: str
    choices: list[str]


@dataclass(frozen=True)
class ReferralCard:
    """Where to turn (12333, 仲裁委 …), with the worker's local places when the directory has them."""

    id: str
    name: str
    what: str
    phone: str | None = None
    tel: str | None = None
    basis: str | None = None
    basis_doc: str | None = None
    basis_article: str | None = None
    source_url: str | None = None
    checked: str | None = None
    places: list[dict] = field(default_factory=list)
    """Matching service points of the worker's city (name, address, phone, tel: and map links, source)."""
    places_note: str = ""
    """Why no place is listed, when the worker has to go somewhere and the directory has none there."""


@dataclass(frozen=True)
class Vetting:
    """A staffer approved this answer for this question in this province (the answer is theirs, not the bot's)."""

    at: str
    """When it was approved (ISO time)."""
    mark: str = "站点已审核"


@dataclass
class Answer:
    question: str
    outcome: Outcome
    answer: str
    citations: list[Citation] = field(default_factory=list)
    referrals: list[ReferralCard] = field(default_factory=list)
    region: str | None = None
    as_of: str | None = None
    timings_ms: dict = field(default_factory=dict)
    reason: Reason = Reason.NONE
    """Why the bot refused or answered partially (for staff and for the evals)."""
    conclusion: str = ""
    """One sentence in everyday words, shown first."""
    points: list[str] = field(default_factory=list)
    """3–5 short points, each ending with the citation markers that back it, e.g. ``…[1]``."""
    actions: Actions | None = None
    """行动清单 for a problem."""
    triage: Triage | None = None
    guide: str | None = None
    """The 办事指南 the answer follows, if any."""
    asked: str = ""
    """What was searched for: the question, or a follow-up rewritten with the question before it."""
    llm: dict | None = None
    """When an LLM wrote the text: backend, model, whether the check passed, or that it fell back."""
    vetted: Vetting | None = None
    """Set when the answer is a staff-vetted one served instead of the bot's (:meth:`bot.asking.Asker.vetted_answer`)."""

    def to_json(self) -> dict:
        data = asdict(self)
        data["outcome"] = str(self.outcome)
        data["reason"] = str(self.reason)
        data["timings_ms"] = {k: round(v, 1) for k, v in self.timings_ms.items()}
        return data

    @classmethod
    def from_json(cls, data: dict) -> "Answer":
        """The Answer whose :meth:`to_json` is ``data`` (a stored one: a vetted answer); fields it
        lacks take their defaults, fields this version does not know are dropped."""
        data = dict(data)
        known = _known(cls, data)
        known["outcome"] = Outcome(data.get("outcome") or Outcome.ANSWERED)
        reason = data.get("reason") or ""
        known["reason"] = Reason(reason) if reason in {r.value for r in Reason} else Reason.NONE
        known["citations"] = [Citation(**_known(Citation, c)) for c in data.get("citations") or []]
        known["referrals"] = [ReferralCard(**_known(ReferralCard, r)) for r in data.get("referrals") or []]
        actions = data.get("actions")
        known["actions"] = Actions(evidence=list(actions.get("evidence") or []),
                                   steps=[Step(**_known(Step, s)) for s in actions.get("steps") or []]) if actions else None
        triage = data.get("triage")
        known["triage"] = Triage(ask=triage["ask"], choices=list(triage["choices"])) if triage else None
        vetted = data.get("vetted")
        known["vetted"] = Vetting(**_known(Vetting, vetted)) if vetted else None
        known["timings_ms"] = dict(data.get("timings_ms") or {})
        return cls(**known)


def _known(kind, data: dict) -> dict:
    names = {f.name for f in fields(kind)}
    return {k: v for k, v in data.items() if k in names}


__all__ = ["Actions", "Answer", "Citation", "OUTCOME_LABELS", "Outcome", "REASON_LABELS", "Reason", "ReferralCard", "Step", "Triage", "Vetting"]
