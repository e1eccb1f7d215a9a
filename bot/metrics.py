"""What the server tells its operators: ``/healthz``, ``/readyz`` and Prometheus ``/metrics``.

Every answer of the server — the worker and staff pages and the open API alike — goes through
:class:`MeteredBot`, which counts it by outcome and observes its latency per stage (the stages the
bot reports in ``timings_ms``, and ``total`` measured here around the whole answer). Each server
has its own registry, so two servers in one process (the tests) never share counts.

Metric names: ``laoquan_answers_total{outcome}``, ``laoquan_answer_errors_total``,
``laoquan_answer_stage_seconds{stage}`` (histogram), ``laoquan_answers_in_progress`` (answers being
computed now: the queue depth the server sees), ``laoquan_index_generation``.
"""
from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.protocols import Bot
from bot.results import Answer

if TYPE_CHECKING:
    from bot.conversation import Conversation

_STAGE = re.compile(r"[a-z][a-z0-9_]{0,31}")
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The server's Prometheus metrics, in a registry of their own."""

    def __init__(self, generation=lambda: None):
        self.registry = CollectorRegistry()
        self.answers = Counter("laoquan_answers", "Answers made, by outcome", ["outcome"], registry=self.registry)
        self.errors = Counter("laoquan_answer_errors", "Questions that ended in an error (input refused or a failure)", ["kind"],
                              registry=self.registry)
        self.stages = Histogram("laoquan_answer_stage_seconds", "Latency of an answer per stage (total: the whole answer)", ["stage"],
                                buckets=BUCKETS, registry=self.registry)
        self.in_progress = Gauge("laoquan_answers_in_progress", "Answers being computed now", registry=self.registry)
        self.generation = Gauge("laoquan_index_generation", "The index generation answers come from", registry=self.registry)
        self._generation = generation
        self.generation.set_function(lambda: float(self._generation() or 0))

    def observe(self, answer: Answer, seconds: float) -> None:
        self.answers.labels(outcome=str(answer.outcome)).inc()
        self.stages.labels(stage="total").observe(seconds)
        for stage, ms in (answer.timings_ms or {}).items():
            if stage != "total" and _STAGE.fullmatch(str(stage)) and isinstance(ms, (int, float)):
                self.stages.labels(stage=stage).observe(ms / 1000)

    def scrape(self) -> bytes:
        return generate_latest(self.registry)


class MeteredBot:
    """A :class:`bot.protocols.Bot` that answers with ``inner`` and reports each answer to ``metrics``."""

    def __init__(self, inner: Bot, metrics: Metrics):
        self.inner = inner
        self.metrics = metrics

    @property
    def catalog(self):
        return self.inner.catalog

    @catalog.setter
    def catalog(self, value) -> None:
        self.inner.catalog = value

    @property
    def retriever(self):
        return self.inner.retriever

    def ask(self, question: str, *, region: str | None = None, as_of: date | None = None,
            conversation: "Conversation | None" = None) -> Answer:
        started = time.perf_counter()
        with self.metrics.in_progress.track_inprogress():
            try:
                answer = self.inner.ask(question, region=region, as_of=as_of, conversation=conversation)
            except Exception as exc:
                self.metrics.errors.labels(kind=_kind(exc)).inc()
                raise
        self.metrics.observe(answer, time.perf_counter() - started)
        return answer

    def stream(self, question: str, *, region: str | None = None, as_of: date | None = None,
               conversation: "Conversation | None" = None) -> Iterator[Answer]:
        started = time.perf_counter()
        answer = None
        self.metrics.in_progress.inc()
        try:
            for answer in self.inner.stream(question, region=region, as_of=as_of, conversation=conversation):
                yield answer
        except Exception as exc:
            self.metrics.errors.labels(kind=_kind(exc)).inc()
            raise
        finally:
            self.metrics.in_progress.dec()
        if answer is not None:
            self.metrics.observe(answer, time.perf_counter() - started)


def _kind(exc: Exception) -> str:
    from bot.guards import QuestionError

    return "question" if isinstance(exc, QuestionError) else "failure"


def index_generation(bot: Bot) -> int | None:
    """The generation of the index ``bot`` answers from (None when it cannot tell)."""
    try:
        return getattr(bot.retriever, "generation", None)
    except Exception:
        return None


def health_router(bot: Bot, metrics: Metrics):
    """``GET /healthz`` (the process answers), ``/readyz`` (an index is loaded: 503 otherwise) and ``/metrics``."""
    from fastapi import APIRouter
    from fastapi.responses import JSONResponse, Response

    router = APIRouter(tags=["health"])

    # ``async``: answered on the event loop itself, never queued behind answers for a thread
    @router.get("/healthz", summary="The process is up")
    async def healthz():
        return {"status": "ok"}

    @router.get("/readyz", summary="An index is loaded (its generation)")
    async def readyz():
        generation = index_generation(bot)
        try:
            documents = len(bot.catalog)
        except Exception:
            documents = None
        ready = generation is not None
        body = {"status": "ready" if ready else "not_ready", "index_loaded": ready, "generation": generation, "documents": documents}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    def prometheus():
        return Response(metrics.scrape(), media_type=CONTENT_TYPE_LATEST)

    return router


__all__ = ["Metrics", "MeteredBot", "health_router", "index_generation"]
