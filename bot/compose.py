"""Stage 4 of an answer — compose: the conclusion and points in plain words (白话要义, 算一算, the
region sentence), the numbered citations, the 行动清单, the triage question, the referrals with the
worker's local places, and the plain text of it all. One composer among possible others: the
optional LLM writer (:mod:`bot.llm`) rewrites what this one composes."""
from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date

from bot.calculator import calculate
from bot.decision import Decision, Ranked
from bot.guards import article_refs
from bot.reading import FollowUp, Reading, about_platform_work, describes_problem, needs_employment_status
from bot.conversation import Aspect
from bot.follow_ups import Route, aspect_clause, candidates, closest_candidate, not_said_again, without_marks
from bot.results import Actions, Answer, Citation, Outcome, Reason, ReferralCard, Step, Triage
from common.settings import Settings
from corpus.catalog import Catalog
from corpus.guides import UNKNOWN, Cite, Guide
from corpus.notes import SOURCE_KINDS, source_kinds
from corpus.plain_rules import load_plain_rules
from corpus.referrals import Referral, load_referrals
from corpus.regions import MUNICIPALITIES, PROVINCES, applicable_regions, normalise_region, province_of
from corpus.services import KINDS, load_directory_for, navigation_links, referral_kind_for, services_for_referrals, tel_link
from kb.guide_matcher import GuideMatch, GuideMatcher
from kb.keywords import tokenize
from kb.protocols import Retriever
from kb.retriever import Hit, Retrieval
from kb.split import group_paragraphs

ANSWERED, PARTIAL, REFUSED = Outcome.ANSWERED, Outcome.PARTIAL, Outcome.REFUSED


DISCLAIMER = "以上是法规原文摘录和政策要点，帮助你找到依据，不是律师意见；具体情况请以当地人社部门或仲裁机构的答复为准。"


NOTE_AUTHORITY = {"official": "要点（据官方页面）", "reprint": "要点（据转载页面，以官方原文为准）", "news": "要点（据新闻报道，以官方原文为准）"}


class Composer:
    """Composes answers from ranked passages and the project's own words; holds nothing per user."""

    def __init__(self, retriever: Retriever, catalog: Catalog, settings: Settings, *, guides: GuideMatcher | None = None):
        self.retriever = retriever
        self.catalog = catalog
        self.settings = settings
        self.guides = guides
        self.referrals = load_referrals()
        self.services = load_directory_for(settings)
        self._article_texts = retriever.article_texts()
        self._source_kind = source_kinds(settings.paths.notes_dir)
        """A 要点's source URL → official / reprint / news (a point read only on a reprint or in the
        news is ranked below one read on an official page, and labelled so)."""
        self.plain_rules = load_plain_rules(settings.paths.plain_rules_dir).current(self._article_texts)

    def answer(self, reading: Reading, ranked: Ranked, decision: Decision, started: float) -> Answer:
        """The answer from the ranked passages (not refused): along a 办事指南 when one fits, else from
        the articles — each stated in plain words —, with 算一算, the region sentence, the 行动清单."""
        base, asked, region, as_of, facts = reading.base(), reading.asked, reading.region, reading.as_of, reading.facts
        retrieval, hits, pinned = ranked.retrieval, ranked.hits, ranked.pinned
        follow_up = reading.follow_up if not pinned else None
        by_aspect = False
        if follow_up is not None:
            hits, by_aspect = self._answer_the_follow_up(hits, follow_up, asked=asked, own=reading.text, as_of=as_of, region=region)
        elif not pinned:
            guided = self._guided(base, asked, retrieval, region=region, as_of=as_of, facts=facts, started=started,
                                  said_before=reading.said_before)
            if guided:
                return guided

        sure = decision.sure
        outcome = ANSWERED if sure else PARTIAL
        chosen = hits[: self.settings.answer.cited_articles]
        if about_platform_work(asked):
            chosen += self._notes_for(retrieval, chosen, region)
        sources = CitedSources(self.retriever, asked=asked, as_of=as_of, region=region, hits=chosen)
        points = []
        actions, referrals = None, self.referrals.for_outcome(outcome)
        route = self._fallback_guide(asked)
        if route and describes_problem(asked):
            actions = guide_actions(route, sources)
            referrals = self.referrals.for_guide(route.referrals)
        worked = self._calculation(asked, as_of, sources)
        if by_aspect and follow_up.aspect is not Aspect.HOW_MUCH and not (worked.points and "[1]" in worked.points[0]):
            # a number computed from the topic (the previous question's) does not answer where / what /
            # how long: it stays a point, and neither leads nor asks back
            worked = Worked(points=worked.points)
        region_point = self._region_point(asked, region, as_of, sources) if about_platform_work(asked) else ""
        citations = self._citations(sources, asked, as_of, region, actions)
        triage, triage_conclusion = None, ""
        asks_status = needs_employment_status(asked) and not facts  # a status given earlier in the conversation is not asked again
        asks_status = asks_status and reading.said_before != EMPLOYMENT_CONCLUSION  # nor asked twice running
        if asks_status:
            triage, triage_conclusion = EMPLOYMENT_TRIAGE, EMPLOYMENT_CONCLUSION
            outcome = PARTIAL
        elif worked.triage:
            triage, triage_conclusion = worked.triage, worked.conclusion or plain_conclusion(citations, sure=sure)
            outcome = PARTIAL
        if worked.conclusion and not worked.triage:
            outcome = ANSWERED
        conclusion = worked.conclusion or plain_conclusion(citations, sure=sure)
        if by_aspect and not (worked.conclusion and follow_up.aspect is Aspect.HOW_MUCH):
            # the follow-up's lead article was chosen for what it asks: its clause that says it leads
            clause = aspect_clause(citations[0].rule, follow_up.aspect, reading.text) if citations[0].rule else ""
            if clause:
                conclusion = clause if sure else f"可能适用：{clause}"
        if triage:
            conclusion = triage_conclusion
        points = worked.points + ([region_point] if region_point else []) + self._rule_points(citations[: self.settings.answer.stated_articles], asked)
        notes = [c for c in citations if c.kind != "原文"]
        points += self._rule_points(notes, asked)
        points += warning_points(citations)
        if not triage:  # a new answer in the conversation does not open with the previous conclusion again
            conclusion = not_said_again(conclusion, reading.said_before, [c.rule for c in citations if c.rule] + [without_marks(p) for p in points])
        return self._finish(
            base,
            started,
            retrieval.timings_ms,
            outcome=outcome,
            reason=(Reason.NEEDS_NUMBER if worked.triage and not asks_status else Reason.NEEDS_FACT) if triage
            else (Reason.NONE if outcome == ANSWERED else Reason.LOW_CONFIDENCE),
            citations=citations,
            referrals=referrals,
            conclusion=conclusion,
            points=points,
            actions=actions,
            triage=triage,
            local_gap=self._local_gap(region, citations),
        )

    def refusal(self, reading: Reading, reason: Reason, why: str, started: float, retrieval: Retrieval | None = None) -> Answer:
        """The refusal, with why and where to turn instead (12333 …)."""
        base = reading.base()
        timings = dict(retrieval.timings_ms) if retrieval else {}
        timings["total"] = (time.perf_counter() - started) * 1000
        referrals = self.referrals.for_outcome(REFUSED)
        phones = "、".join(f"{r.name}" for r in referrals if r.phone)
        body = f"抱歉，{why}我不想猜测，以免误导你。\n建议咨询：{phones}。"
        return Answer(
            **base,
            outcome=REFUSED,
            answer=body,
            referrals=self._referral_cards(referrals, base["region"]),
            timings_ms=timings,
            reason=reason,
            conclusion="这个问题我没有可靠的依据，请打12333问清楚。",
        )

    def document_answer(self, reading: Reading, started: float) -> Answer:
        """The worker names a document whose official text is not here: say so plainly, give its
        best-matching 要点 (labelled, with links) — the point on an article they name first — or,
        without notes, what the catalog knows (issuer, 文号, dates, status, official link)."""
        base, asked, documents, as_of, region = reading.base(), reading.asked, reading.documents, reading.as_of, reading.region
        refs = article_refs(asked)
        article = refs[0].label if refs else ""
        hits: list[Hit] = []
        for entry in documents:
            notes = self.retriever.search_notes(asked, k=6, region=entry.region, as_of=as_of, doc_id=entry.id)
            if article:
                notes.sort(key=lambda h: not h.article.startswith(article))
            hits += notes[: 2 if len(documents) == 1 else 1]
        citations = [self._citation(n, hit, asked, as_of, region) for n, hit in enumerate(hits, start=1)]
        for entry in documents:
            if not any(c.doc_id == entry.id for c in citations):
                citations.append(self._catalog_card(len(citations) + 1, entry))
        named = documents[0].short_name
        if article and not any(c.article.startswith(article) for c in citations):
            conclusion = f"这份文件{article}的原文未收录，下面是已知要点和官方链接。"
        else:
            conclusion = "这份文件的全文未收录，下面是要点（非原文）和官方链接。"
        points = [f"《{named}》：{self.catalog.get(documents[0].id).issuer}发布，全文未收录，以官方链接为准[{citations[0].n}]"]
        points += excerpt_points(citations, short_name=lambda c: self.catalog.get(c.doc_id).short_name, question=asked,
                                 pick_item=self._closest_item)
        points += warning_points(citations)
        referrals = self.referrals.for_outcome(ANSWERED)
        return self._finish(
            base, started, {}, outcome=ANSWERED, reason=Reason.DOCUMENT_NAMED, citations=citations, referrals=referrals, conclusion=conclusion, points=points
        )

    def _guided(self, base: dict, asked: str, retrieval: Retrieval, *, region, as_of: date, facts: dict, started: float,
                said_before: str = "") -> Answer | None:
        """The answer along the closest 办事指南, when the question is close enough to one of its
        phrasings and every text the chosen branch cites is indexed and applies (in force on the
        as-of date, in the worker's region). None otherwise: the bot then answers from the articles."""
        matches = self.guides.match(self.retriever.query_vector(asked), k=3) if self.guides else []
        if not matches or not guide_agrees(matches[0], retrieval, min_similarity=self.settings.answer.guide_min_similarity):
            return None
        guide: Guide = matches[0].guide
        branch = guide.branch_for(asked, facts.get(guide.id))
        # the ranker's articles come first and stay: a guide adds its citations and its wording, it never removes them
        ranked = retrieval.hits[: self.settings.answer.cited_articles]
        sources = CitedSources(self.retriever, asked=asked, as_of=as_of, region=region, hits=ranked)
        points = []
        regions = applicable_regions(region)
        for point in branch.points:
            n = sources.cite(point.cite)
            if n is None:
                entry = self.catalog.get(point.cite.doc_id)
                if entry is not None and entry.region not in regions:
                    continue  # another region's rule (在北京…): a point for workers there, not a reason to drop the guide
                return None  # the conclusion may rest on a text that does not apply here: do not use the guide
            points.append(f"{point.text}[{n}]")
        conclusion, points = lead_with_the_asked_point(asked, branch.conclusion, points)
        referrals = self.referrals.for_guide(guide.referrals) if guide.referrals else None
        actions = guide_actions(guide, sources) if guide.kind == "problem" and (guide.evidence or guide.steps) else None
        route = self._fallback_guide(asked)
        if actions is None and route and describes_problem(asked):
            actions = guide_actions(route, sources)  # an info guide for a problem: add the general route
            referrals = referrals or self.referrals.for_guide(route.referrals)

        worked = self._calculation(asked, as_of, sources)
        if worked.conclusion:
            conclusion, points = worked.conclusion, worked.points + points
        if guide.jobs or about_platform_work(asked):
            region_point = self._region_point(asked, region, as_of, sources)
            points = ([region_point] if region_point else []) + points
        used = {int(n) for p in points for n in re.findall(r"\[(\d+)\]", p)}
        if ranked and 1 not in used:  # the ranker's first article is stated too (its others stay cited)
            points += self._rule_points([self._citation(1, sources.hits[0], asked, as_of, region)], asked)
        citations = self._citations(sources, asked, as_of, region, actions)
        points += warning_points(citations)
        if not (guide.facts and branch.name == UNKNOWN):  # the same guide again in a conversation: lead with something new
            conclusion = not_said_again(conclusion, said_before, [without_marks(p) for p in points])

        triage = None
        outcome, reason = ANSWERED, Reason.NONE
        if guide.facts and branch.name == UNKNOWN:
            triage = Triage(ask=guide.facts.ask, choices=[c.label for c in guide.facts.choices])
            outcome, reason = PARTIAL, Reason.NEEDS_FACT
        elif worked.triage:  # the number asked for needs a fact the question does not give
            triage = worked.triage
            outcome, reason = PARTIAL, Reason.NEEDS_NUMBER
        referrals = referrals or self.referrals.for_outcome(outcome)
        return self._finish(
            base,
            started,
            retrieval.timings_ms,
            outcome=outcome,
            reason=reason,
            citations=citations,
            referrals=referrals,
            conclusion=conclusion,
            points=points,
            actions=actions,
            triage=triage,
            local_gap=self._local_gap(region, citations) if guide.jobs else "",
            guide=guide.id,
        )

    def _fallback_guide(self, question: str) -> Guide | None:
        """The general route for a problem no guide fits (injury or dispute; None when there is none)."""
        return self.guides.fallback_for(question) if self.guides else None

    def _calculation(self, asked: str, as_of: date, sources: "CitedSources") -> "Worked":
        """算一算: the numbers the question asks for (:mod:`bot.calculator`), each sentence backed by
        the articles it applies (cited through ``sources``; a calculation whose first article is
        not indexed or does not apply is left out), or the fact still missing as a triage question."""
        result = calculate(asked, today=as_of)
        points, conclusion = [], ""
        for calc in result.calculations:
            numbers = [sources.cite(Cite(cite.doc_id, cite.article)) for cite in calc.cites]
            if numbers[0] is None:  # the rule it applies is not indexed or does not apply here
                continue
            numbers = [n for n in numbers if n is not None]
            marks = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
            sentence = calc.sentence.rstrip("。") + f"（算法：{calc.formula}）。"
            points.append(f"{sentence}{marks}")
            points += [f"{c}[{numbers[0]}]" for c in calc.caveats if "民法典" not in c][:2]  # a caveat naming a text not indexed is left out
            conclusion = conclusion or calc.sentence
        # the fact still missing is asked back: with tap choices when the calculator has them (工龄,
        # 工资), as a plain question when any preset figure would be a guess (the local average wage);
        # a partial result (the months, the multiplier) is stated beside the question
        triage = None
        if result.missing and (points or result.missing[0].choices):
            m = result.missing[0]
            triage = Triage(ask=m.ask, choices=list(m.choices))
        return Worked(conclusion, points, triage)

    def _region_point(self, asked: str, region: str | None, as_of: date, sources: "CitedSources") -> str:
        """For a platform worker who chose a province: whether it is in the 职业伤害保障 pilot on the
        as-of date (and since when), and which local documents it has — or that none was found —,
        citing the pilot notice's 要点. Empty when no province is known or nothing can be cited."""
        province = province_of(region)
        if not province or province not in PROVINCES:
            return ""
        pilots = sorted((e for e in self.catalog if isinstance(e.scope, tuple) and e.in_force(as_of)), key=lambda e: e.effective_from or as_of)
        if not pilots:
            return ""
        covering = [e for e in pilots if province in e.scope]
        notice = covering[0] if covering else pilots[-1]
        note = next(iter(self.retriever.search_notes(asked, k=1, region=region, as_of=as_of, doc_id=notice.id)), None)
        if note is None:
            return ""
        n = sources.number_of(note)
        if covering:
            since = notice.effective_from
            pilot = f"{province}在新就业形态人员职业伤害保障试点范围内（{since.year}年{since.month}月{since.day}日起）"
        else:
            pilot = f"到{as_of.year}年{as_of.month}月{as_of.day}日，{province}不在新就业形态人员职业伤害保障试点范围内"
        allowed = {province, normalise_region(region)}  # the province's own documents, and the chosen city's — not every city's
        local = [e.short_name for e in self.catalog if e.region in allowed and e.in_force(as_of) and not isinstance(e.scope, tuple)]
        there = f"当地的规定有《{'》《'.join(local[:2])}》" if local else "本地没有找到专门规定"
        return f"{pilot}；{there}。[{n}]"

    def _notes_for(self, retrieval: Retrieval, chosen: list[Hit], region: str | None) -> list[Hit]:
        """要点 of the new-employment-form policies beside the articles (their own group: they
        never take an article's place)."""
        return choose_notes(retrieval.notes, already=chosen, region=region, floor=self.settings.answer.note_min_similarity,
                            is_regional=lambda hit: self.catalog.get(hit.doc_id).region != "全国",
                            trust=lambda hit: SOURCE_KINDS.index(self._source_kind.get(hit.source_url or "", "news")))

    def _rule_points(self, citations: list[Citation], asked: str) -> list[str]:
        """One point per citation that states its rule: the article's 白话要义, or — where there is
        none — its first sentence verbatim (a list's introduction with the item closest to the
        question); a 要点 states its note."""
        points = []
        for c in citations:
            name = self.catalog.get(c.doc_id).short_name
            if c.rule:
                points.append(f"《{name}》{c.article}：{c.rule}[{c.n}]")
            else:
                points += excerpt_points([c], short_name=lambda c: name, question=asked, pick_item=self._closest_item, max_chars=120)
        return points

    def _closest_item(self, question: str, items: list[str]) -> str:
        """The list item (「（六）在上下班途中……」) closest to the question, asked of the retriever
        (its embeddings; the item's number left out)."""
        texts = [re.sub(r"^[（(][一二三四五六七八九十]+[）)]", "", item) for item in items]
        return items[self.retriever.closest(question, texts)]

    def _catalog_card(self, n: int, entry) -> Citation:
        """A citation of what the catalog records about a document with neither text nor notes."""
        when = (entry.effective_from or entry.issued).isoformat() if (entry.effective_from or entry.issued) else "日期未核实"
        summary = f"{entry.issuer}发布" + (f"，文号{entry.doc_no}" if entry.doc_no else "") + f"，{when}起施行，现状：{entry.status}。全文和要点都未收录，请看官方链接。"
        return Citation(
            n=n, doc_id=entry.id, title=entry.title, doc_no=entry.doc_no, article="目录信息", page=None, quote="",
            status=entry.status, effective_from=when if entry.effective_from or entry.issued else None, region=entry.region,
            source_url=entry.source_url, score=0.0, authority="目录", kind="要点（非原文）", summary=summary,
            official_url=entry.source_url,
        )

    def _finish(
        self,
        base: dict,
        started: float,
        timings: dict,
        *,
        outcome: Outcome,
        reason: Reason,
        citations: list[Citation],
        referrals: list[Referral],
        conclusion: str,
        points: list[str],
        actions: Actions | None = None,
        triage: Triage | None = None,
        local_gap: str = "",
        guide: str | None = None,
    ) -> Answer:
        """An answered (or partial) Answer: its plain text composed from the parts, the referrals
        with the worker's local places, the total time."""
        body = compose_answer(
            citations, outcome=outcome, referrals=referrals, local_gap=local_gap, conclusion=conclusion, points=points, actions=actions, triage=triage
        )
        return Answer(
            **base,
            outcome=outcome,
            answer=body,
            citations=citations,
            referrals=self._referral_cards(referrals, base["region"]),
            timings_ms={**timings, "total": (time.perf_counter() - started) * 1000},
            reason=reason,
            conclusion=conclusion,
            points=points,
            actions=actions,
            triage=triage,
            guide=guide,
        )

    def _referral_cards(self, referrals: list[Referral], region: str | None) -> list[ReferralCard]:
        """The referrals; where the worker's city is known and the directory (corpus/services.yaml)
        has matching places there, each referral lists them (name, address, phone, tel: and map links,
        source) — the local arbitration commission for 仲裁, and so on."""
        place = normalise_region(region)
        places = services_for_referrals([r.id for r in referrals], place, directory=self.services) if place else {}
        out: list[ReferralCard] = []
        for r in referrals:
            listed, note = [], ""
            if places.get(r.id):
                listed = [{**p.to_json(), "tel": tel_link(p), "navigation": navigation_links(p)} for p in places[r.id]]
            elif place and not r.id.startswith("hotline-") and (kinds := referral_kind_for(r.id)):
                # An office the worker has to go to, and none listed: say why, so the silence is not
                # read as "there is none" (hotlines are answered by phone; their places are extras).
                what = KINDS[kinds[0]].split(" / ")[0]
                if place not in PROVINCES or place in MUNICIPALITIES:
                    note = f"目录里还没有{place}的{what}地址，可以拨打 12333 问。"
                elif not any(c.places_note for c in out):
                    note = "选好所在城市后，这里会列出当地的办事地点（目录里已有的城市）。"
            out.append(referral_card(r, places=listed, places_note=note))
        return out

    def _citations(self, sources: "CitedSources", asked: str, as_of: date, region: str | None, actions: Actions | None) -> list[Citation]:
        """The numbered citations of ``sources``; a deadline's citation quotes the sentence with it."""
        citations = [self._citation(n, hit, asked, as_of, region) for n, hit in enumerate(sources.hits, start=1)]
        for step in actions.steps if actions else []:
            if step.deadline and step.cite:
                i = step.cite - 1
                if step.deadline not in citations[i].quote:
                    citations[i] = replace(citations[i], quote=step.deadline)
        return citations

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

    def _answer_the_follow_up(self, hits: list[Hit], follow_up: "FollowUp", *, asked: str, own: str, as_of: date,
                              region: str | None) -> tuple[list[Hit], bool]:
        """A follow-up leads with the article that states what it asks (the office, the materials,
        the period, the time limit, the next step) closest to the follow-up's own words (``own``)
        and to the thread's topic together — from its own ranked articles (``asked``: it read with
        its topic), the previous answer's documents and the offices it referred
        to (:mod:`bot.follow_ups`) — and not the one the previous answer already led with; without
        an aspect, with the best-ranked article the previous answer did not lead with. Returns the
        hits and whether the lead was chosen for its aspect."""
        head = hits[: self.settings.answer.cited_articles]
        if follow_up.aspect is None:
            fresh = [h for h in head if f"{h.doc_id}|{h.article}" != follow_up.previous]
            return ([fresh[0]] + [h for h in hits if h is not fresh[0]], False) if fresh else (hits, False)
        offices = tuple((r.basis_doc, r.basis_article) for i in follow_up.referrals
                        if (r := self.referrals.by_id.get(i)) and r.basis_doc and r.basis_article)
        route = Route(cited=follow_up.cited, offices=offices)
        regions = applicable_regions(region)
        keys = candidates(follow_up.aspect, ranked=[(h.doc_id, h.article) for h in hits], route=route,
                          article_texts=self._article_texts, previous=follow_up.previous)
        while keys:
            key = closest_candidate(own, follow_up.topic, keys, article_texts=self._article_texts, similarities=self.retriever.similarities)
            lead = next((h for h in hits if (h.doc_id, h.article) == key), None) or self.retriever.lookup(*key, query=asked)
            if lead is not None and self.retriever.applies(lead.chunk_id, as_of=as_of, regions=regions):
                return [lead] + [h for h in hits if (h.doc_id, h.article) != key], True
            keys.remove(key)  # not in force here: the next closest
        return hits, False

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
            quote="" if is_note else select_quote(hit.text, question, max_chars=self.settings.answer.quote_chars),
            status=entry.status,
            effective_from=(entry.effective_from or entry.issued).isoformat() if (entry.effective_from or entry.issued) else None,
            region=entry.region,
            source_url=(hit.source_url or entry.source_url) if is_note else entry.source_url,
            score=round(hit.dense if hit.dense is not None else 0.0, 4),
            authority=NOTE_AUTHORITY[self._source_kind.get(hit.source_url or "", "news")] if is_note else entry.authority_label,
            note="；".join(notes),
            kind="要点（非原文）" if is_note else "原文",
            summary=hit.text if is_note else "",
            official_url=entry.source_url,
            rule=rule.rule if (rule := self.plain_rules.get(hit.doc_id, hit.article)) and not is_note else "",
        )


@dataclass(frozen=True)
class Worked:
    """What 算一算 adds to an answer: a conclusion with the number, its points, or a question."""

    conclusion: str = ""
    points: list[str] = field(default_factory=list)
    triage: Triage | None = None


class CitedSources:
    """The passages an answer cites, numbered in order of first use. A guide's citation is looked
    up through the retriever and used only if it applies (in force on the as-of date, in the region)."""

    def __init__(self, retriever: Retriever, *, asked: str, as_of: date, region: str | None, hits: list[Hit] = ()):
        self.retriever = retriever
        self.asked = asked
        self.as_of = as_of
        self.regions = applicable_regions(region)
        self.hits: list[Hit] = list(hits)

    def _number(self, doc_id: str, article: str) -> int | None:
        return next((i for i, h in enumerate(self.hits, start=1) if (h.doc_id, h.article) == (doc_id, article)), None)

    def number_of(self, hit: Hit) -> int:
        """The citation number of a retrieved passage, adding it unless the same article is cited already."""
        n = self._number(hit.doc_id, hit.article)
        if n is None:
            self.hits.append(hit)
            n = len(self.hits)
        return n

    def cite(self, cite: Cite, *, containing: str = "") -> int | None:
        """The citation number of ``cite`` (adding it), or None when it is not indexed or does not apply."""
        if cite.note_id:
            hit = self.retriever.lookup_note(cite.doc_id, cite.note_id)
        else:
            hit = self.retriever.lookup(cite.doc_id, cite.article, query=self.asked, containing=containing)
        if hit is None or not self.retriever.applies(hit.chunk_id, as_of=self.as_of, regions=self.regions):
            return None
        n = self._number(hit.doc_id, hit.article)
        if n and (not containing or containing in self.hits[n - 1].text):
            return n
        if n:  # the same article, but the part with the deadline's words
            self.hits[n - 1] = hit
            return n
        self.hits.append(hit)
        return len(self.hits)


def guide_actions(guide: Guide, sources: CitedSources) -> Actions:
    """A guide's 行动清单: evidence, steps in order, each deadline quoted from the article it cites
    (a deadline whose article does not apply is left out, the step kept)."""
    steps = []
    for step in guide.steps:
        deadline, n = None, None
        if step.deadline:
            n = sources.cite(step.deadline.cite, containing=step.deadline.match)
            if n is not None:
                deadline = sentence_with(sources.hits[n - 1].text, step.deadline.match) or None
                n = n if deadline else None
        steps.append(Step(what=step.what, who=step.who, deadline=deadline, cite=n))
    return Actions(evidence=list(guide.evidence), steps=steps)


EMPLOYMENT_CONCLUSION = "要看你和站点或公司有没有劳动关系，两种情况走的路不同。"


EMPLOYMENT_TRIAGE = Triage(ask="你和站点、公司或平台签了劳动合同吗？", choices=["签了劳动合同", "没签，在平台接单", "不清楚"])


def guide_agrees(top: GuideMatch, retrieval: Retrieval, *, min_similarity: float) -> bool:
    """Follow the closest 办事指南 only when the question is close to one of its phrasings *and* the
    retriever, on its own, ranks something the guide cites among its top five articles or top three
    要点 (the rule and threshold chosen on dev)."""
    if top.similarity < min_similarity or not top.guide.fits(retrieval.query):
        return False
    found = {(h.doc_id, h.article) for h in retrieval.hits[:5]} | {(h.doc_id, h.article) for h in retrieval.notes[:3]}
    for cite in top.guide.cites():
        if cite.note_id is None and (cite.doc_id, cite.article) in found:
            return True
        if cite.note_id is not None and any(d == cite.doc_id and (a == cite.article or a.endswith(f"（{cite.article}）")) for d, a in found):
            return True
    return False


def choose_notes(notes: list[Hit], *, already: list[Hit], region: str | None, floor: float, is_regional, trust=lambda hit: 0) -> list[Hit]:
    """要点 beside the articles: the best points of the two most relevant national documents, and
    the best point of the worker's own region when one is relevant. The laws are only half of what
    a platform worker needs; the new-employment-form policies are the other half. Among the points
    close enough to the question, those read on an official page come before reprints, and reprints
    before news reports (``trust``: 0, 1, 2); closeness decides within each."""
    seen = {h.chunk_id for h in already}
    good = sorted((n for n in notes if n.chunk_id not in seen and (n.dense or 0) >= floor), key=lambda n: (trust(n), -(n.dense or 0)))
    picked: list[Hit] = []
    for note in good:
        if not is_regional(note) and note.doc_id not in {p.doc_id for p in picked} and len(picked) < 2:
            picked.append(note)
    if region:
        picked += [n for n in good if is_regional(n)][:1]
    return picked


def compose_answer(
    citations: list[Citation],
    *,
    outcome: Outcome,
    referrals: list[Referral] = (),
    local_gap: str = "",
    conclusion: str = "",
    points: list[str] = (),
    actions: Actions | None = None,
    triage: Triage | None = None,
) -> str:
    """The answer as plain text, in the order a worker reads it: the conclusion, the points, what
    to do (行动清单), the question that would settle it, then 「依据」 — the numbered sources with
    their verbatim quotes or labelled 要点 — and where to turn."""
    lines = [conclusion, ""] if conclusion else []
    if outcome == PARTIAL and not triage:
        lines += ["没有找到和你的情况完全对应的规定，下面这些可能相关，请对照自己的情况看，拿不准时打12333问清楚。", ""]
    lines += [f"{i}. {p}" for i, p in enumerate(points, start=1)]
    if triage:
        choices = f"（{' / '.join(triage.choices)}）" if triage.choices else ""
        lines += ["", f"还需要知道：{triage.ask}{choices}"]
    if actions:
        lines += ["", "行动清单"]
        if actions.evidence:
            lines.append("先保存好：" + "、".join(actions.evidence))
        for i, step in enumerate(actions.steps, start=1):
            who = f"（{step.who}）" if step.who else ""
            deadline = f" 期限：「{step.deadline}」[{step.cite}]" if step.deadline else ""
            lines.append(f"{i}) {step.what}{who}{deadline}")
    lines += ["", "依据", *source_lines(citations)]
    if local_gap:
        lines += ["", local_gap]
    if referrals:
        lines += ["", "可以找：" + "；".join(f"{r.name}" + (f"（电话 {r.phone}）" if r.phone else "") + f"：{r.what}" for r in referrals) + "。"]
    lines += ["", DISCLAIMER]
    return "\n".join(lines)


def source_lines(citations: list[Citation]) -> list[str]:
    """「依据」 as text: each source with its verbatim quote, or its 要点 labelled as not the official text."""
    lines = []
    for c in citations:
        if c.kind == "原文":
            where = f"（第{c.page}页）" if c.page else ""
            lines.append(f"[{c.n}]《{c.title}》{c.article}{where}：「{c.quote}」")
        else:
            links = [f"来源：{c.source_url}"] if c.source_url else []
            if c.official_url and c.official_url != c.source_url:
                links.append(f"官方页面：{c.official_url}")
            link = f"（{'；'.join(links)}）" if links else ""
            lines.append(f"[{c.n}]《{c.title}》要点（非原文，全文未收录）：{c.summary}{link}")
        if c.note:
            lines.append(f"    {c.note}")
    return lines


def lead_with_the_asked_point(question: str, conclusion: str, points: list[str], *, max_chars: int = 40) -> tuple[str, list[str]]:
    """A guide answers a family of questions; put first what *this* question asks. The point that
    shares most words with the question (jieba words of two or more characters, not counting words
    several points share — the guide's own subject) moves to the front
    when it shares more than the first point does, and it becomes the conclusion when it also shares
    more than the guide's conclusion and fits in ``max_chars`` — 「怀孕七个月还排夜班」 is answered by
    「怀孕7个月以上不得加班、上夜班…」, not by the guide's opening line about dismissal."""
    if not points:
        return conclusion, points
    point_words = [{w for w in tokenize(p) if len(w) >= 2} for p in points]
    # a word in several points is the guide's subject (小时工, 怀孕), not what this question singles out
    words = {w for w in tokenize(question) if len(w) >= 2 and sum(w in pw for pw in point_words) <= 1}
    if not words:
        return conclusion, points

    def shared(text: str) -> int:
        return len(words & {w for w in tokenize(text) if len(w) >= 2})

    scores = [shared(p) for p in points]
    best = max(range(len(points)), key=lambda i: (scores[i], -i))
    if scores[best] <= scores[0]:
        return conclusion, points
    points = [points[best]] + points[:best] + points[best + 1:]
    text = re.sub(r"\[\d+\]", "", points[0]).strip()
    if scores[best] > shared(conclusion) and len(text) <= max_chars:
        conclusion = text
    return conclusion, points


RULE_CONCLUSION_MAX = 85
"""A conclusion that states a rule: its first sentence or clause (at most 80 characters when the
rule has a clause that short) and the 5-character hedge."""


def plain_conclusion(citations: list[Citation], *, sure: bool, max_chars: int = 80) -> str:
    """The conclusion of an answer without a 办事指南: the first article's rule in plain words,
    hedged with 「可能适用：」 when the ranker's calibrated confidence is below the cut chosen on dev.
    It is the rule's first sentence, or — when that is longer than ``max_chars`` — its first
    complete clause (up to 「；」); never a sentence cut in the middle. A 要点, or an article without
    a plain rule, is named instead."""
    first = citations[0]
    if first.kind != "原文":
        return "相关的是政策要点（非原文），见下面。"
    name = first.title.replace("中华人民共和国", "")
    if not first.rule:
        return f"相关规定是《{name}》{first.article}，见下面。" if sure else f"可能相关的是《{name}》{first.article}，见下面。"
    rule = re.split(r"(?<=[。！？])", first.rule, maxsplit=1)[0]
    if len(rule) > max_chars:
        clause = re.split(r"(?<=；)", rule, maxsplit=1)[0]
        rule = clause[:-1] + "。" if 12 <= len(clause) < len(rule) else rule
    return rule if sure else f"可能适用：{rule}"


def excerpt_points(citations: list[Citation], *, short_name, question: str = "", max_chars: int = 48,
                   pick_item=None) -> list[str]:
    """One point per citation: where it is and its first sentence, verbatim (cut with …). When that
    sentence only introduces a list («有下列情形之一的，应当认定为工伤：»), the item closest to the
    question follows it, also verbatim: ``pick_item(question, items)`` chooses (the bot passes one
    that compares embeddings, so 「被车撞」 finds 「交通事故伤害」); without it, the item sharing most
    words with the question that the introduction does not already have — and none when no item
    shares one (「工伤」 is in the introduction, so it says nothing about which item)."""
    words = set(tokenize(question)) if question else set()
    points = []
    for c in citations:
        body = c.quote if c.kind == "原文" else c.summary
        lines = re.sub(r"^第[一二三四五六七八九十百零〇]+条\s*", "", body.strip()).split("\n")
        first = re.split(r"(?<=[。；！？])", lines[0], maxsplit=1)[0]
        if len(first) > max_chars:
            first = first[:max_chars] + "…"
        elif first.endswith("：") and len(lines) > 1 and question:
            items = [line for line in lines[1:] if re.match(r"^[（(][一二三四五六七八九十]+[）)]", line)]
            specific = [line for line in items if "其他情形" not in line]  # a catch-all item illustrates nothing
            items = specific or items
            best = ""
            if items and pick_item is not None:
                best = pick_item(question, items)
            elif items:
                telling = words - set(tokenize(first))
                scored = max(items, key=lambda line: len(telling & set(tokenize(line))))
                best = scored if telling & set(tokenize(scored)) else ""
            if best:
                first += best if len(best) <= max_chars else best[:max_chars] + "…"
        label = f"《{short_name(c)}》{c.article}" if c.kind == "原文" else f"《{short_name(c)}》要点"
        points.append(f"{label}：{first}[{c.n}]")
    return points


def warning_points(citations: list[Citation]) -> list[str]:
    """The first warning of the cited sources as a point (a pilot that does not cover the worker's
    province, an article repealed in part), so it is read before the sources."""
    return [f"{c.note}[{c.n}]" for c in citations if c.note.startswith("注意")][:1]


def sentence_with(text: str, words: str) -> str:
    """The sentence (up to 。；) of ``text`` that contains ``words``, verbatim; empty if none."""
    at = text.find(words)
    if at < 0:
        return ""
    start = max(text.rfind(p, 0, at) for p in "。；\n") + 1
    ends = [i for i in (text.find(p, at) for p in "。；\n") if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[start:end].strip()


def referral_card(referral: Referral, *, places: list[dict] = (), places_note: str = "") -> ReferralCard:
    """A referral for the answer, with a ``tel:`` link when it has a phone number."""
    return ReferralCard(**asdict(referral), tel=f"tel:{referral.phone}" if referral.phone else None,
                        places=list(places), places_note=places_note)


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
