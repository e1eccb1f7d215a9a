"""Where an answer's time goes: each stage's own time per question (p50 / p95), measured by wrapping
the running bot's parts with timers (no change to the code under test).

A stage's time is its *own* time: a stage called inside another (the query embedding inside the
lanes' caller, the guides inside compose) is counted in the inner stage only, so the stages add up to
the answer. :func:`profile_answers` times the answers in this process; :func:`gradio_overhead` serves
the worker page on loopback in this process and asks it through ``gradio_client`` one question at a
time: what the client waited minus what the bot took is the queue and event overhead.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

STAGES = (
    "read",            # bot.reading: guards, follow-up, named articles (its searches counted below)
    "query_embedding",  # the e5 query vector (embed_queries)
    "dense",           # dense similarities over the served generation's matrix
    "bm25",            # the BM25 lanes (KeywordIndex.scores)
    "lanes",           # the rest of the lanes: masks, per-article best part, concept votes
    "notes",           # the closest 要点
    "ranking",         # the learned ranker and its calibrated probabilities, the hits
    "guides",          # 办事指南 matching
    "list_items",      # embedding list items (closest item of a list article; once per item per process)
    "compose",         # the rest of composing the answer
    "render",          # Answer.to_json and the page's HTML
)


@dataclass
class StageClock:
    """Own time per stage for the question being timed, and every question's totals."""

    current: dict = field(default_factory=lambda: defaultdict(float))
    per_question: list[dict] = field(default_factory=list)
    _stack: list = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def stage(self, name: str):
        started = time.perf_counter()
        self._stack.append(0.0)  # time spent in stages nested in this one
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            nested = self._stack.pop()
            self.current[name] += (elapsed - nested) * 1000
            if self._stack:
                self._stack[-1] += elapsed

    def wrap(self, owner, attribute: str, name: str) -> None:
        """Replace ``owner.attribute`` (a bound method) by a timed one, on this instance only."""
        inner: Callable = getattr(owner, attribute)

        def timed(*args, **kwargs):
            with self.stage(name):
                return inner(*args, **kwargs)

        setattr(owner, attribute, timed)

    def finish_question(self) -> dict:
        row, self.current = dict(self.current), defaultdict(float)
        self.per_question.append(row)
        return row


def instrument(answer_bot, clock: StageClock) -> None:
    """Wrap the stages of one :class:`bot.answer.AnswerBot` (and its retriever) with ``clock``."""
    retriever = answer_bot.retriever
    clock.wrap(answer_bot.reader, "read", "read")
    clock.wrap(retriever.embedder, "embed_queries", "query_embedding")
    clock.wrap(retriever.embedder, "embed_query", "query_embedding")  # one question may not go through embed_queries
    clock.wrap(retriever.embedder, "embed_passages", "list_items")
    lanes = retriever.lanes
    dense = getattr(lanes, "dense", None)
    if dense is not None:  # kb.dense_matrix: the dense part of the lanes is its own object
        clock.wrap(dense, "similarities", "dense")
    for keywords in ("_bm25_article", "_bm25_question"):
        clock.wrap(getattr(lanes, keywords), "scores", "bm25")
    clock.wrap(lanes, "score", "lanes")
    clock.wrap(retriever, "search_notes", "notes")
    clock.wrap(retriever, "search", "ranking")  # what search does besides the stages inside it
    if answer_bot.guides is not None:
        clock.wrap(answer_bot.guides, "match", "guides")
    for method in ("answer", "refusal", "document_answer"):
        clock.wrap(answer_bot.composer, method, "compose")


def inner_bot(bot):
    """The :class:`bot.answer.AnswerBot` under a :class:`laoquan.app.ReloadingBot` (or the bot itself)."""
    current = getattr(bot, "current", None)
    return current().bot if callable(current) else bot


def forget_query_vectors(bot) -> None:
    """Empty the retriever's cache of query vectors (:mod:`kb.query_vectors`), so that the next
    question is timed as a new one (code without the cache: nothing to do)."""
    cache = getattr(inner_bot(bot).retriever, "query_vectors", None)
    if cache is not None:
        cache.clear()


def profile_answers(bot, items, *, clock: StageClock | None = None) -> StageClock:
    """Answer every gold item once, as the evals ask it, timing each stage; renders the page's HTML.
    Each question is timed as a new one (the query-vector cache emptied first)."""
    from bot.guards import QuestionError
    from bot.render import transcript_html

    clock = clock or StageClock()
    answer_bot = inner_bot(bot)
    instrument(answer_bot, clock)
    for item in items:
        forget_query_vectors(bot)
        started = time.perf_counter()
        try:
            answer = answer_bot.ask(item.question, region=item.province, as_of=item.as_of or date.today())
            with clock.stage("render"):
                transcript_html([{"question": answer.question, "answer": answer.to_json(), "final": True}])
        except QuestionError:
            pass
        row = clock.finish_question()
        row["answer"] = (time.perf_counter() - started) * 1000
    return clock


def breakdown(clock: StageClock) -> dict:
    """p50 / p95 of each stage's own time over the questions, and of the whole answer (ms)."""
    from evals.metrics import percentile

    out = {}
    for name in (*STAGES, "answer"):
        values = sorted(row.get(name, 0.0) for row in clock.per_question)
        out[f"stage_{name}_p50_ms"] = round(percentile(values, 50), 2)
        out[f"stage_{name}_p95_ms"] = round(percentile(values, 95), 2)
    return out


class TimedBot:
    """A :class:`bot.protocols.Bot` that records how long each ``stream`` took (the bot's own time)."""

    def __init__(self, bot):
        self.bot = bot
        self.stream_ms: list[float] = []

    @property
    def catalog(self):
        return self.bot.catalog

    @property
    def retriever(self):
        return self.bot.retriever

    def ask(self, question: str, **options):
        return self.bot.ask(question, **options)

    def stream(self, question: str, **options):
        started = time.perf_counter()
        yield from self.bot.stream(question, **options)
        self.stream_ms.append((time.perf_counter() - started) * 1000)


def gradio_overhead(bot, questions: list[str], *, settings, records_dir) -> dict:
    """Serve the worker page in this process on a free loopback port; ask ``questions`` one at a time
    through ``gradio_client``; the client's wait minus the bot's time is Gradio's queue and events."""
    import socket

    import uvicorn
    from gradio_client import Client

    from bot.server import build_server
    from evals.metrics import percentile

    timed = TimedBot(bot)
    from pathlib import Path

    local = settings.replace(data_dir=Path(records_dir), api_info=True)  # the page's records go to a scratch folder; gradio_client reads the API info
    app = build_server(timed, settings=local)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.1)
    client_ms = []
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, analytics_enabled=False, download_files=False)
        for question in questions:
            started = time.perf_counter()
            client.predict(question, {"chosen": True}, api_name="/ask")
            client_ms.append((time.perf_counter() - started) * 1000)
        client.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    overhead = sorted(c - b for c, b in zip(client_ms, timed.stream_ms))
    return {"stage_gradio_p50_ms": round(percentile(overhead, 50), 1), "stage_gradio_p95_ms": round(percentile(overhead, 95), 1),
            "gradio_questions": len(overhead)}


def stage_table(row: dict) -> str:
    """The breakdown as a Markdown table: stage | p50 | p95."""
    lines = ["| stage (own time) | p50 ms | p95 ms |", "|---|---|---|"]
    for name in (*STAGES, "gradio", "answer"):
        if f"stage_{name}_p50_ms" in row:
            lines.append(f"| {name} | {row[f'stage_{name}_p50_ms']} | {row[f'stage_{name}_p95_ms']} |")
    return "\n".join(lines)
