"""The API's ask routes and health checks under a full answer pool (issue 19 item 3): the ask routes
are ``async`` and hand their answering to the answer pool (bot.workers), so while every answer place
is held ``/healthz`` and ``/readyz`` still answer, and one more question is turned away with the
503 and its Chinese busy sentence, at once — neither waits for a thread of Starlette's pool.

Fakes only: a bot that holds its answers until the test opens a gate, and Starlette's thread pool
cut to as many threads as the answer places (in production 40 threads fill up the same way under
a burst of 40 API clients). No timing threshold: a probe passes only if it was answered while the
gate was still shut. A timer opens the gate after a while so that the old code, whose probes
wait behind the held answers, fails instead of hanging."""
from __future__ import annotations

import asyncio
import threading

import pytest

from bot.guards import QuestionError
from bot.workers import BUSY, AnswerPool, Busy, PooledBot
from tests.fakes import FakeBot, canned_answer

LOOPBACK = "http://127.0.0.1"
PLACES = 2
"""Answer workers of the server under test (no waiting places): its answer places."""
QUESTION = "送外卖路上被车撞了，算工伤吗？"
SAFETY_SECONDS = 20
"""When the gate opens by itself (only the old code ever gets there)."""


class HeldBot:
    """A FakeBot whose answers wait for ``gate``; ``all_in`` is set once ``expected`` answers are being computed."""

    def __init__(self, expected: int):
        self.inner = FakeBot(lambda q: canned_answer(q))
        self.gate = threading.Event()
        self.all_in = threading.Event()
        self.expected = expected
        self.entered = 0
        self._lock = threading.Lock()

    @property
    def catalog(self):
        return self.inner.catalog

    @property
    def retriever(self):
        return self.inner.retriever

    def _hold(self) -> None:
        with self._lock:
            self.entered += 1
            if self.entered >= self.expected:
                self.all_in.set()
        self.gate.wait(timeout=SAFETY_SECONDS * 2)

    def ask(self, question, **options):
        self._hold()
        return self.inner.ask(question, **options)

    def stream(self, question, **options):
        self._hold()
        yield from self.inner.stream(question, **options)


@pytest.fixture
def held(tmp_path):
    """``laoquan serve``'s app over a HeldBot with two answer workers and no waiting place, Starlette's
    thread pool cut to two threads, and two API questions held in it; the gate opens at the end."""
    import anyio.to_thread
    from fastapi.testclient import TestClient

    from bot.records import Records
    from bot.server import build_server
    from common.settings import load_settings

    bot = HeldBot(expected=PLACES)
    settings = load_settings(data_dir=tmp_path, api_rate_limit="", answer_workers=PLACES, web_queue_max=0)
    app = build_server(bot, settings=settings, records=Records(tmp_path / "records.sqlite3"))

    def few_threads():  # on the server's event loop: its thread pool is as small as its answer places
        anyio.to_thread.current_default_thread_limiter().total_tokens = PLACES

    app.router.on_startup.append(few_threads)
    safety = threading.Timer(SAFETY_SECONDS, bot.gate.set)
    with TestClient(app, base_url=LOOPBACK) as client:
        replies: list = []
        askers = [threading.Thread(target=lambda: replies.append(client.post("/api/v1/ask", json={"question": QUESTION})))
                  for _ in range(PLACES)]
        safety.start()
        try:
            for t in askers:
                t.start()
            assert bot.all_in.wait(timeout=SAFETY_SECONDS), "the held questions never reached the bot"
            yield client, bot
        finally:
            bot.gate.set()
            safety.cancel()
            for t in askers:
                t.join(timeout=30)
    assert [r.status_code for r in replies] == [200] * PLACES  # the held questions are answered once the gate opens
    assert all(r.json()["question"] == QUESTION for r in replies)


def test_healthz_and_readyz_answer_while_every_answer_place_is_held(held):
    client, bot = held
    health = client.get("/healthz")
    ready = client.get("/readyz")
    assert not bot.gate.is_set()  # answered while the answers were still held (the old code waited for a thread)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert ready.status_code == 200 and ready.json()["index_loaded"] is True


ASKS = {
    "ask": ("/api/v1/ask", {"question": QUESTION}),
    "ask-stream": ("/api/v1/ask", {"question": QUESTION, "stream": True}),
    "openai": ("/v1/chat/completions", {"model": "laoquan", "messages": [{"role": "user", "content": QUESTION}]}),
    "openai-stream": ("/v1/chat/completions", {"model": "laoquan", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}),
}


@pytest.mark.parametrize("route", sorted(ASKS))
def test_one_more_question_is_told_busy_at_once(held, route):
    client, bot = held
    path, body = ASKS[route]
    reply = client.post(path, json=body)
    assert not bot.gate.is_set()  # turned away while the places were held, not after (the old code waited, then answered)
    assert reply.status_code == 503 and int(reply.headers["Retry-After"]) > 0
    assert reply.headers["content-type"].startswith("application/json")  # an error, not a stream that started
    assert reply.json()["error"]["message_zh"] == BUSY and "服务器忙" in BUSY
    assert bot.entered == PLACES  # the bot was never asked


# -- the pool from the event loop -----------------------------------------------------------------


def test_call_answers_in_a_worker_and_is_busy_before_anything_is_awaited(fake_bot):
    gate = threading.Event()
    pool = AnswerPool(fake_bot, workers=1, waiting=0)

    async def scenario():
        held = asyncio.ensure_future(pool.call(lambda: (gate.wait(timeout=30), threading.current_thread().name)[1]))
        await asyncio.sleep(0)  # the held call takes the only place
        with pytest.raises(Busy):
            await pool.call(fake_bot.ask, "问题二")
        with pytest.raises(Busy):
            pool.iterate(lambda: iter(["不会开始"]))  # raised by the call itself, before anything is awaited
        assert pool.turned_away == 2 and pool.in_flight == 1
        gate.set()
        name = await held
        answer = await pool.call(fake_bot.ask, "问题三")
        return name, answer

    name, answer = asyncio.run(scenario())
    assert name.startswith("laoquan-answer") and answer.question == "问题三" and pool.in_flight == 0


def test_iterate_hands_each_item_over_and_raises_what_the_worker_raised(fake_bot):
    pool = AnswerPool(fake_bot, workers=1, waiting=0)

    def failing():
        yield "第一段"
        raise QuestionError("问题太长了", code="too_long")

    async def scenario():
        streamed = [answer async for answer in pool.iterate(lambda: fake_bot.stream("干了三个月老板还不签合同"))]
        got: list[str] = []
        with pytest.raises(QuestionError):
            async for item in pool.iterate(failing):
                got.append(item)
        return streamed, got

    streamed, got = asyncio.run(scenario())
    assert len(streamed) == 2 and not streamed[0].points and streamed[1].points  # the conclusion first, then everything
    assert got == ["第一段"] and pool.in_flight == 0


def test_a_pooled_bot_inside_a_worker_answers_there_not_in_a_second_place(fake_bot):
    pool = AnswerPool(fake_bot, workers=1, waiting=0)  # one place: a second one would be Busy (or wait for ever)
    pooled = PooledBot(pool)

    async def scenario():
        asked = await pool.call(pooled.ask, "问题一")
        streamed = await pool.call(lambda: list(pooled.stream("问题二")))
        return asked, streamed

    asked, streamed = asyncio.run(scenario())
    assert asked.question == "问题一" and [a.question for a in streamed] == ["问题二", "问题二"]
    assert pool.turned_away == 0 and pool.in_flight == 0

