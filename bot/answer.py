"""The embedded default answerer: no LLM; it states which provisions apply, in plain words, and
quotes them.

An answer is made in stages, each its own module with a typed result:

1. read the question (:mod:`bot.reading`) → :class:`~bot.reading.Reading`
2. retrieve and rank (:meth:`AnswerBot.rank`, the learned ranker of :mod:`kb.ranker`) → :class:`~bot.decision.Ranked`
3. decide (:mod:`bot.decision`): refuse / partial / answer, from the calibrated probabilities → :class:`~bot.decision.Decision`
4. compose (:mod:`bot.compose`): rules in plain words, 算一算, region, 行动清单, citations → :class:`~bot.results.Answer`
5. render (:mod:`bot.render` for the pages, ``Answer.answer`` as text, ``to_json()``)

When nothing relevant is found it refuses — with a referral to 12333 — instead of quoting weak
matches; in the grey zone between, it answers ``partial``: possibly relevant provisions, clearly
marked as such.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from bot.compose import Composer
from bot.conversation import Conversation, Turn
from bot.decision import Ranked, Verdict, decide
from bot.guards import QuestionError
from bot.reading import QuestionReader, Reading
from bot.results import Answer, Outcome, Reason
from common.settings import Settings
from corpus.catalog import Catalog
from kb.guide_matcher import GuideMatcher
from kb.protocols import Retriever
from kb.retriever import Hit


class AnswerBot:
    """Answers questions from the retriever's passages; holds nothing per user."""

    def __init__(self, retriever: Retriever, catalog: Catalog, settings: Settings, *, guides: GuideMatcher | None = None):
        self.retriever = retriever
        self.settings = settings
        self.guides = guides if guides is not None and len(guides) else None
        """The 办事指南 and their phrasings' vectors (:func:`kb.guide_matcher.load_guide_matcher`); None: none."""
        self.reader = QuestionReader(retriever, catalog, settings)
        self.composer = Composer(retriever, catalog, settings, guides=self.guides)
        self._catalog = catalog

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @catalog.setter
    def catalog(self, value: Catalog) -> None:
        self._catalog = self.reader.catalog = self.composer.catalog = value

    def ask(
        self,
        question: str,
        *,
        region: str | None = None,
        as_of: date | None = None,
        conversation: Conversation | None = None,
    ) -> Answer:
        """Answer one question. Raises :class:`QuestionError` for input it cannot take.

        With a ``conversation`` the bot remembers the region and the facts given, answers a pending
        triage question when the worker taps a choice, and reads a follow-up together with the
        question before it; the conversation is updated in place."""
        started = time.perf_counter()
        reading = self.reader.read(question, region=region, as_of=as_of or date.today(), conversation=conversation)
        if reading.refusal is not None:
            answer = self.composer.refusal(reading, reading.refusal.reason, reading.refusal.why, started)
        elif reading.documents:
            answer = self.composer.document_answer(reading, started)
        else:
            ranked = self.rank(reading)
            decision = decide(ranked)
            if decision.verdict is Verdict.REFUSE:
                answer = self.composer.refusal(reading, decision.reason, decision.why, started, ranked.retrieval)
            else:
                answer = self.composer.answer(reading, ranked, decision, started)
        if conversation is not None:
            self._remember(conversation, reading, answer)
        return answer

    def stream(self, question: str, **options) -> Iterator[Answer]:
        """The answer in stages for a page that shows it as it comes: first the conclusion alone,
        then the complete answer. (The default answer is computed at once; an LLM backend streams
        for real.)"""
        answer = self.ask(question, **options)
        yield replace(answer, points=[], actions=None, citations=[], answer=answer.conclusion)
        yield answer

    def rank(self, reading: Reading) -> Ranked:
        """Stage 2: the retriever's ranked articles, an article the question names first."""
        top = max(self.settings.retrieval.top_k, self.settings.answer.cited_articles)
        retrieval = self.retriever.search(reading.asked, region=reading.region, as_of=reading.as_of, k=top)
        hits = self._pin_cited_articles(reading.asked, reading.named, retrieval.hits)
        pinned = len(hits) > len(retrieval.hits) or bool(hits and retrieval.hits and hits[0] != retrieval.hits[0])
        return Ranked(retrieval=retrieval, hits=hits, pinned=pinned)

    def _remember(self, conversation: Conversation, reading: Reading, answer: Answer) -> None:
        """The turn, and a triage question now pending (its choices, for the tap that answers it)."""
        if answer.triage and answer.guide and answer.reason == Reason.NEEDS_FACT:
            guide = self.guides.guides[answer.guide]
            conversation.pending = {"guide": guide.id, "question": reading.asked, "choices": {c.label: c.branch for c in guide.facts.choices}}
        elif answer.triage and answer.triage.choices:  # a plain question (no choices) is answered by a new message
            conversation.pending = {"guide": None, "question": reading.asked, "choices": {c: c for c in answer.triage.choices}}
        first = answer.citations[0] if answer.citations else None
        before = conversation.turns[-1] if conversation.turns else None
        laws = [f"{c.doc_id}|{c.article}" for c in answer.citations if c.kind == "原文"][: self.settings.answer.cited_articles]
        topic, led, offices = reading.asked, f"{first.doc_id}|{first.article}" if first else "", [r.id for r in answer.referrals]
        if before is not None and reading.follow_up is not None:
            topic = before.topic or before.asked
        if before is not None and answer.outcome == Outcome.REFUSED:  # a refused turn leaves the thread where it was
            topic, laws, led, offices = before.topic or before.asked, before.cited, before.conclusion, before.referrals
        conversation.remember(Turn(question=reading.text, asked=reading.asked, outcome=answer.outcome, guide=answer.guide,
                                   conclusion=led, topic=topic, said=answer.conclusion, cited=laws, referrals=offices))

    def _pin_cited_articles(self, text: str, named: list[tuple[object, str]], hits: list[Hit]) -> list[Hit]:
        """An article the user names explicitly goes first, whatever its similarity."""
        pinned = [hit for entry, label in named if (hit := self.retriever.lookup(entry.id, label, query=text))]
        ids = {h.chunk_id for h in pinned}
        return pinned + [h for h in hits if h.chunk_id not in ids]


__all__ = ["Answer", "AnswerBot", "QuestionError"]
