"""The embedded default answerer: no LLM; it says which provisions apply and quotes them.

An answer is built only from retrieved articles. It names the provisions, quotes each one
verbatim with a numbered citation, and points to the next step. When nothing relevant is found it
refuses — with a referral to 12333 — instead of quoting weak matches; in the grey zone between, it
answers ``partial``: possibly relevant provisions, clearly marked as such.
"""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from datetime import date

from bot.guards import QuestionError, article_refs, clean_question, looks_like_injection, mentions_foreign_law, outside_labour_law
from corpus.catalog import Catalog
from corpus.regions import applicable_regions, normalise_region, province_of
from corpus.referrals import Referral, load_referrals
from kb.keywords import tokenize
from kb.retriever import Hit, HybridRetriever, Retrieval
from kb.split import group_paragraphs
from laoquan.settings import Settings

ANSWERED, PARTIAL, REFUSED = "answered", "partial", "refused"

DISCLAIMER = "以上是法规原文摘录和政策要点，帮助你找到依据，不是律师意见；具体情况请以当地人社部门或仲裁机构的答复为准。"


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


@dataclass
class Answer:
    question: str
    outcome: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    referrals: list[dict] = field(default_factory=list)
    region: str | None = None
    as_of: str | None = None
    timings_ms: dict = field(default_factory=dict)
    reason: str = ""
    """Why the bot refused or answered partially (for staff and for the evals)."""

    def to_json(self) -> dict:
        data = asdict(self)
        data["timings_ms"] = {k: round(v, 1) for k, v in self.timings_ms.items()}
        return data


class AnswerBot:
    """Answers questions from the retriever's passages; holds nothing per user."""

    def __init__(self, retriever: HybridRetriever, catalog: Catalog, settings: Settings):
        self.retriever = retriever
        self.catalog = catalog
        self.settings = settings
        self.referrals = load_referrals()
        self._articles_by_doc: dict[str, set[str]] = {}
        for chunk_id in retriever.chunk_ids():
            record = retriever.record(chunk_id)
            self._articles_by_doc.setdefault(record["doc_id"], set()).add(record["article"])

    def ask(self, question: str, *, region: str | None = None, as_of: date | None = None) -> Answer:
        """Answer one question. Raises :class:`QuestionError` for input it cannot take."""
        started = time.perf_counter()
        as_of = as_of or date.today()
        text = clean_question(question, max_chars=self.settings.max_question_chars)
        base = {"question": text, "region": region, "as_of": as_of.isoformat()}

        if looks_like_injection(text):
            return self._refusal(base, "injection", "我只能根据劳动保障法规回答你遇到的实际问题，不能按要求改变规则。", started)
        named = self._named_articles(text)
        missing = self._missing_articles(named)
        if missing:
            return self._refusal(base, "no_such_article", f"知识库里的{missing}并不存在，请核对条文序号。", started)

        if outside_labour_law(text):
            return self._refusal(base, "other_law", "这个问题不属于劳动保障政策的范围，知识库里没有相关规定。", started)
        if mentions_foreign_law(text):
            return self._refusal(base, "foreign_law", "我只能回答中国内地的劳动保障规定，其他国家和地区的法律不在知识库里。", started)

        retrieval = self.retriever.search(text, region=region, as_of=as_of, k=max(self.settings.top_k, self.settings.max_citations))
        hits = self._pin_cited_articles(text, named, retrieval)
        pinned = len(hits) > len(retrieval.hits) or (hits and retrieval.hits and hits[0] != retrieval.hits[0])
        if not hits or (not pinned and refuses(retrieval, refuse_below=self.settings.refuse_below, no_concept_below=self.settings.no_concept_below)):
            return self._refusal(base, "not_found", "知识库里没有找到能回答这个问题的规定。", started, retrieval)
        outcome = ANSWERED if pinned or retrieval.top_dense >= self.settings.partial_below else PARTIAL
        chosen = choose_citations(hits, pinned=pinned, max_citations=self.settings.max_citations, within=self.settings.cite_within)
        if about_platform_work(text):
            chosen += choose_notes(
                retrieval.notes,
                already=chosen,
                region=region,
                floor=self.settings.refuse_below,
                is_regional=lambda hit: self.catalog.get(hit.doc_id).region != "全国",
            )
        citations = [self._citation(n, hit, text, as_of, region) for n, hit in enumerate(chosen, start=1)]
        referrals = self.referrals.for_outcome(outcome)
        body = compose_answer(citations, outcome=outcome, referrals=referrals, local_gap=self._local_gap(region, citations))
        timings = {**retrieval.timings_ms, "total": (time.perf_counter() - started) * 1000}
        return Answer(
            **base,
            outcome=outcome,
            answer=body,
            citations=citations,
            referrals=[r.to_json() for r in referrals],
            timings_ms=timings,
            reason="" if outcome == ANSWERED else "low_confidence",
        )

    # -- pieces ---------------------------------------------------------------------------

    def _refusal(self, base: dict, reason: str, why: str, started: float, retrieval: Retrieval | None = None) -> Answer:
        timings = dict(retrieval.timings_ms) if retrieval else {}
        timings["total"] = (time.perf_counter() - started) * 1000
        referrals = self.referrals.for_outcome(REFUSED)
        phones = "、".join(f"{r.name}" for r in referrals if r.phone)
        body = f"抱歉，{why}我不想猜测，以免误导你。\n建议咨询：{phones}。"
        return Answer(**base, outcome=REFUSED, answer=body, referrals=[r.to_json() for r in referrals], timings_ms=timings, reason=reason)

    def _local_gap(self, region: str | None, citations: list[Citation]) -> str:
        """When the worker named a region but nothing local is cited: say so, and say which local
        documents of that region the knowledge base knows (so staff can look further)."""
        if not region or any(c.region != "全国" for c in citations):
            return ""
        allowed = set(applicable_regions(region)) - {"全国"}
        known = [e.short_name for e in self.catalog if e.region in allowed]
        place = normalise_region(region)
        if known:
            return f"{place}的地方文件（{'、'.join(known)}）里没有找到针对这个问题的内容，以上是全国性的规定。"
        return f"知识库里还没有{place}的地方规定，以上是全国性的规定；当地是否另有规定，可以问12333。"

    def _pilot_scope(self, as_of: date) -> tuple[str, ...]:
        """Provinces covered on ``as_of`` by any pilot document then in force (a later notice that
        extends a pilot widens it; an old notice's narrower list must not be read as current)."""
        provinces: list[str] = []
        for entry in self.catalog:
            if isinstance(entry.scope, tuple) and entry.in_force(as_of):
                provinces += [p for p in entry.scope if p not in provinces]
        return tuple(provinces)

    def _law_of(self, name: str):
        """The catalog entry whose short name (or title) the user's law name ends with."""
        name = name.strip("《》 的")
        best = None
        for entry in self.catalog.with_text():
            for candidate in (entry.title, entry.short_name):
                if candidate and name.endswith(candidate) and (best is None or len(candidate) > best[1]):
                    best = (entry, len(candidate))
        return best[0] if best else None

    def _named_articles(self, text: str) -> list[tuple[object, str]]:
        """(catalog entry, ``第X条``) for each article the question names of an indexed law."""
        return [(entry, ref.label) for ref in article_refs(text) if (entry := self._law_of(ref.law))]

    def _missing_articles(self, named: list[tuple[object, str]]) -> str:
        """「劳动法第二百条」 → "《劳动法》第二百条" when that law is indexed but has no such article."""
        for entry, label in named:
            if label not in self._articles_by_doc.get(entry.id, set()):
                return f"《{entry.short_name}》{label}"
        return ""

    def _pin_cited_articles(self, text: str, named: list[tuple[object, str]], retrieval: Retrieval) -> list[Hit]:
        """An article the user names explicitly goes first, whatever its similarity."""
        hits = list(retrieval.hits)
        pinned = [hit for entry, label in named if (hit := self.retriever.lookup(entry.id, label, query=text))]
        ids = {h.chunk_id for h in pinned}
        return pinned + [h for h in hits if h.chunk_id not in ids]

    def _citation(self, n: int, hit: Hit, question: str, as_of: date, region: str | None = None) -> Citation:
        entry = self.catalog.get(hit.doc_id)
        notes = []
        for change in entry.repealed_articles(as_of):
            if change.article.startswith(hit.article):
                notes.append(f"注意：{change.article}自{change.from_date}起已废止" + (f"（{change.note}）" if change.note else ""))
        province = province_of(region)
        if entry.scope and isinstance(entry.scope, tuple):
            scope = self._pilot_scope(as_of) or entry.scope
            if province and province not in scope:
                notes.append(f"注意：这是试点政策，{as_of}时的试点范围（{'、'.join(scope)}）不含{province}")
            elif not province:
                notes.append(f"这是试点政策，{as_of}时在{'、'.join(scope)}实行；请告诉我你在哪个省")
        is_note = hit.kind == "note"
        return Citation(
            n=n,
            doc_id=hit.doc_id,
            title=entry.title,
            doc_no=entry.doc_no,
            article=hit.article,
            page=hit.pages[0] if hit.pages else None,
            quote="" if is_note else select_quote(hit.text, question, max_chars=self.settings.quote_chars),
            status=entry.status,
            effective_from=(entry.effective_from or entry.issued).isoformat() if (entry.effective_from or entry.issued) else None,
            region=entry.region,
            source_url=(hit.source_url or entry.source_url) if is_note else entry.source_url,
            score=round(hit.dense if hit.dense is not None else 0.0, 4),
            authority="要点" if is_note else entry.authority_label,
            note="；".join(notes),
            kind="要点（非原文）" if is_note else "原文",
            summary=hit.text if is_note else "",
        )


def choose_citations(hits: list[Hit], *, pinned: bool, max_citations: int, within: float) -> list[Hit]:
    """The best hit, plus the next ones whose similarity is within ``within`` of it (chosen on dev:
    fewer wrong citations for almost no loss of right ones). An article the user named is kept."""
    first = hits[0]
    top = first.dense if first.dense is not None else 0.0
    rest = [h for h in hits[1:max_citations] if h.dense is not None and h.dense >= top - within]
    if pinned and len(hits) > 1 and hits[1] not in rest and max_citations > 1:
        rest = [hits[1], *rest][: max_citations - 1]
    return [first, *rest]


_PLATFORM_WORK = re.compile(
    r"平台|外卖|骑手|騎手|跑单|跑單|接单|接單|派单|派單|网约|網約|快递|快遞|主播|代驾|代駕|众包|眾包|专送|货拉拉|滴滴|美团|美團|"
    r"饿了么|闪送|新就业形态|新就業形態|灵活就业|個體戶|个体户|职业伤害|職業傷害|rider|delivery|platform|gig"
)


def about_platform_work(question: str) -> bool:
    """Questions from platform workers: the new-employment-form policies (as 要点) are relevant."""
    return bool(_PLATFORM_WORK.search(question.lower()))


def choose_notes(notes: list[Hit], *, already: list[Hit], region: str | None, floor: float, is_regional) -> list[Hit]:
    """要点 beside the articles: the best points of the two most relevant national documents, and
    the best point of the worker's own region when one is relevant. The laws are only half of what
    a platform worker needs; the new-employment-form policies are the other half."""
    seen = {h.chunk_id for h in already}
    good = [n for n in notes if n.chunk_id not in seen and (n.dense or 0) >= floor]
    picked: list[Hit] = []
    for note in good:
        if not is_regional(note) and note.doc_id not in {p.doc_id for p in picked} and len(picked) < 2:
            picked.append(note)
    if region:
        picked += [n for n in good if is_regional(n)][:1]
    return picked


def refuses(retrieval: Retrieval, *, refuse_below: float, no_concept_below: float) -> bool:
    """The refusal rule (thresholds chosen on the dev split by ``evals/tune.py``): nothing in the
    knowledge base is similar enough — or the question hits no concept of the lexicon and its best
    match is only middling."""
    if retrieval.top_dense < refuse_below:
        return True
    return not retrieval.concepts and retrieval.top_dense < no_concept_below


def compose_answer(citations: list[Citation], *, outcome: str, referrals: list[Referral] = (), local_gap: str = "") -> str:
    """The answer text: which provisions apply, their quotes with [n], where to turn next."""
    names = "、".join(f"《{c.title}》{c.article}[{c.n}]" for c in citations)
    if outcome == ANSWERED:
        lead = f"和你的问题直接相关的规定是：{names}。内容如下："
    else:
        lead = f"没有找到和你的情况完全对应的规定。下面这些条文可能相关，请对照自己的情况看，拿不准时打12333问清楚：{names}。"
    lines = [lead, ""]
    for c in citations:
        if c.kind == "原文":
            where = f"（第{c.page}页）" if c.page else ""
            lines.append(f"[{c.n}]《{c.title}》{c.article}{where}：「{c.quote}」")
        else:
            link = f"（来源：{c.source_url}）" if c.source_url else ""
            lines.append(f"[{c.n}]《{c.title}》要点（非原文，全文未收录）：{c.summary}{link}")
        if c.note:
            lines.append(f"    {c.note}")
    if local_gap:
        lines += ["", local_gap]
    if referrals:
        lines += ["", "下一步可以找：" + "；".join(f"{r.name}（{r.what}）" for r in referrals) + "。"]
    lines += ["", DISCLAIMER]
    return "\n".join(lines)


def select_quote(text: str, question: str, *, max_chars: int) -> str:
    """A verbatim slice of ``text`` that fits ``max_chars`` where possible: the whole article if it
    is short, else the paragraph (with its items) that shares most words with the question."""
    if len(text) <= max_chars:
        return text
    groups = group_paragraphs(text.split("\n"))
    words = set(tokenize(question))
    best = max(groups, key=lambda g: (len(words & set(tokenize("".join(g)))), -groups.index(g)))
    quote = "\n".join(best)
    if len(quote) > max_chars * 2:  # still very long: cut at a sentence end, keeping a verbatim prefix
        cut = max(quote.rfind(p, 0, max_chars * 2) for p in "。；")
        quote = quote[: cut + 1] if cut > 0 else quote[: max_chars * 2]
    return quote


__all__ = ["Answer", "AnswerBot", "Citation", "QuestionError", "compose_answer", "select_quote", "Referral"]
