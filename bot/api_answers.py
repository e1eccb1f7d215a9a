"""How the open API asks the bot: one question with its region, job, date and earlier turns, and
the single function every API route (REST, batch, OpenAI-compatible) answers through.

:func:`answer_stream` is the one seam between the API and the bot: a worker pool or an overload
guard wraps or replaces it there, and nothing else in the API calls the bot. Conversations named
by ``conversation_id`` are kept by :class:`ConversationStore` (in this process's memory, bounded,
forgotten after an hour idle) — the API's counterpart of the state the worker page keeps in the
browser; a client that wants no state on the server sends ``history`` instead.
"""
from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

from bot.asking import Asker, topic_of
from bot.conversation import Conversation, Turn
from bot.results import Answer, Outcome, Reason

log = logging.getLogger(__name__)

MAX_HISTORY = 20
"""Earlier turns one request may carry (older ones are dropped, as the page drops them)."""


@dataclass(frozen=True)
class Question:
    """One question to the API, as the routes have parsed it."""

    text: str
    region: str | None = None
    job: str | None = None
    as_of: date | None = None
    history: tuple[str, ...] = ()
    """The worker's earlier questions, oldest first (a follow-up is read with the last one)."""
    conversation_id: str | None = None
    remember: bool = True
    """Keep the conversation on the server under a new id when none is given (the REST API); the
    OpenAI-compatible endpoint sends the whole history every time and keeps nothing."""


def conversation_from_history(history: tuple[str, ...], *, region: str | None, job: str | None) -> Conversation:
    """A conversation that remembers ``history`` as its earlier turns (the question is what was asked)."""
    conversation = Conversation(region=region, job=job)
    for text in history[-MAX_HISTORY:]:
        text = (text or "").strip()
        if text:
            conversation.remember(Turn(question=text, asked=text))
    return conversation


@dataclass
class ConversationStore:
    """Conversations by id, in memory: at most ``capacity``, each forgotten ``ttl_seconds`` after its
    last use. Thread-safe. Not shared between processes (several servers: send ``history``)."""

    capacity: int = 10_000
    ttl_seconds: float = 3600.0
    _items: "OrderedDict[str, tuple[float, dict]]" = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, conversation_id: str | None) -> tuple[str, Conversation]:
        """The conversation of ``conversation_id`` (a new one, with a new id, when unknown or expired)."""
        now = time.monotonic()
        with self._lock:
            self._expire(now)
            found = self._items.get(conversation_id or "")
        if found is None:
            return new_conversation_id(), Conversation()
        return conversation_id, Conversation.from_json(found[1])

    def put(self, conversation_id: str, conversation: Conversation) -> None:
        with self._lock:
            self._items[conversation_id] = (time.monotonic(), conversation.to_json())
            self._items.move_to_end(conversation_id)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def _expire(self, now: float) -> None:
        while self._items:
            key, (used, _) = next(iter(self._items.items()))
            if now - used <= self.ttl_seconds:
                break
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def new_conversation_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


def answer_stream(asker: Asker, question: Question, conversation: Conversation | None) -> Iterator[Answer]:
    """Answers of growing completeness for ``question`` (the last one is the answer); raises
    :class:`bot.guards.QuestionError` for input the bot cannot take. The API's only call of the bot."""
    if conversation is not None and question.region and not conversation.region:
        conversation.region = question.region
    if conversation is not None and question.job and not conversation.job:
        conversation.job = question.job
    yield from asker.bot.stream(question.text, region=question.region, as_of=question.as_of, conversation=conversation)


class NoAnswer(RuntimeError):
    """The bot's stream ended without an answer (a bug of ours: the route says 500)."""


def after_first(answers: Iterator[Answer], events: Callable[[Iterator[Answer]], Iterator[str]]) -> Iterator[str]:
    """``events(answers)``, with the first answer computed before the first event: input the bot
    cannot take (:class:`bot.guards.QuestionError`) is raised before anything is sent, so a streaming
    route still answers it with a 400; :class:`NoAnswer` when there is no answer at all."""
    first = next(answers, None)
    if first is None:
        raise NoAnswer("the bot made no answer")
    yield from events(itertools.chain([first], answers))


async def with_first(first, rest: AsyncIterator) -> AsyncIterator:
    """``first``, then the items of ``rest``: a stream whose first item a route awaited before it
    answered (to turn input the bot cannot take into a 400)."""
    yield first
    async for item in rest:
        yield item


@dataclass
class ApiAsking:
    """What the API routes share: the :class:`Asker` (bot, records, settings) and the conversations."""

    asker: Asker
    conversations: ConversationStore = field(default_factory=ConversationStore)

    def start(self, question: Question) -> tuple[str | None, Conversation]:
        """The conversation to answer in: ``history`` when given, else the one of ``conversation_id``."""
        if question.history or not question.remember:
            return None, conversation_from_history(question.history, region=question.region, job=question.job)
        return self.conversations.get(question.conversation_id)

    def answers(self, question: Question) -> tuple[str | None, Iterator[Answer]]:
        """``(conversation id or None, answers as they grow)``; the conversation is saved and the
        answer counted (and queued for staff when refused) once the last answer has been made."""
        conversation_id, conversation = self.start(question)
        vetted = self.asker.vetted_answer(question.text, question.region, conversation)

        def run() -> Iterator[Answer]:
            if vetted is not None:  # staff approved an answer to this question here: it comes first, as on the pages
                yield vetted
                self.keep_vetted(conversation_id, conversation, question, vetted)
                return
            answer = None
            for answer in answer_stream(self.asker, question, conversation):
                yield answer
            if answer is not None:
                if conversation_id is not None:
                    self.conversations.put(conversation_id, conversation)
                self.record(question, answer)

        return conversation_id, run()

    def final(self, question: Question) -> tuple[str | None, Answer | None]:
        conversation_id, answers = self.answers(question)
        answer = None
        for answer in answers:
            pass
        return conversation_id, answer

    def keep_vetted(self, conversation_id: str | None, conversation: Conversation, question: Question, answer: Answer) -> None:
        """After a vetted answer: the conversation remembers the question (so a follow-up is read with
        it) and the region and job; the answer is counted as the pages count one (reason ``vetted``)."""
        conversation.region = conversation.region or question.region
        conversation.job = conversation.job or question.job
        text = question.text.strip()
        conversation.remember(Turn(question=text, asked=text, outcome=str(answer.outcome), guide=answer.guide))
        if conversation_id is not None:
            self.conversations.put(conversation_id, conversation)
        self.record(question, answer)

    def record(self, question: Question, answer: Answer) -> None:
        """As the worker page does: one anonymous count, and a refused question kept (redacted) for staff."""
        records, settings = self.asker.records, self.asker.settings
        try:
            records.add_asked(region=question.region, job=question.job, topic=topic_of(answer.to_json()),
                              outcome=str(answer.outcome), reason=str(Reason.VETTED if answer.vetted else answer.reason))
            if answer.outcome == Outcome.REFUSED and not answer.vetted and settings.web.queue_refused and answer.reason != Reason.INJECTION:
                records.add_refused(question=answer.question, region=question.region, reason=str(answer.reason))
        except Exception:  # counting never fails an answer
            log.exception("could not record an API answer")


__all__ = ["ApiAsking", "ConversationStore", "MAX_HISTORY", "NoAnswer", "Question", "after_first", "answer_stream", "conversation_from_history",
           "new_conversation_id", "with_first"]
