"""The answer workers (bot.workers) and overload (issue 20 item 12): answers are computed by one pool
sized to the cores; a question beyond its places is turned away at once with the Chinese busy
sentence; under a burst every client of the page gets an answer or 「服务器忙」 — none waits until it
times out. Fakes only (a slow fake bot, a small queue), on a loopback server in this process."""
from __future__ import annotations

import threading
import time

import httpx
import pytest

from bot.workers import BUSY, AnswerPool, Busy, PooledBot, cores, pool_for
from common.settings import load_settings


class SlowBot:
    """A fake bot whose answers take ``seconds`` (or wait for ``gate``), recording how many run at once."""

    def __init__(self, inner, *, seconds: float = 0.0, gate: threading.Event | None = None):
        self.inner, self.seconds, self.gate = inner, seconds, gate
        self.running = self.most = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    @property
    def catalog(self):
        return self.inner.catalog

    @property
    def retriever(self):
        return self.inner.retriever

    def _work(self):
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        try:
            if self.gate is not None:
                self.gate.wait(timeout=30)
            time.sleep(self.seconds)
        finally:
            with self._lock:
                self.running -= 1

    def ask(self, question, **options):
        self._work()
        return self.inner.ask(question, **options)

    def stream(self, question, **options):
        self._work()
        yield from self.inner.stream(question, **options)


def test_answers_are_computed_by_the_pool_at_most_workers_at_once(fake_bot):
    slow = SlowBot(fake_bot, seconds=0.05)
    pool = AnswerPool(slow, workers=2, waiting=20)
    futures = [pool.submit("送外卖路上被车撞了，算工伤吗？") for _ in range(8)]
    assert all(f.result(timeout=10).question == "送外卖路上被车撞了，算工伤吗？" for f in futures)
    assert slow.most == 2 and all(name.startswith("laoquan-answer") for name in slow.threads)
    assert pool.in_flight == 0
    streamed = list(PooledBot(pool).stream("干了三个月老板还不签合同"))
    assert len(streamed) == 2 and streamed[-1].points and not streamed[0].points  # conclusion first, then all


def test_a_full_pool_turns_away_at_once_with_the_chinese_sentence(fake_bot):
    gate = threading.Event()
    pool = AnswerPool(SlowBot(fake_bot, gate=gate), workers=1, waiting=1)
    taken = [pool.submit("问题一"), pool.submit("问题二")]  # one computing, one waiting
    started = time.perf_counter()
    with pytest.raises(Busy) as caught:
        pool.ask("问题三")
    assert time.perf_counter() - started < 0.5  # told at once, not after waiting
    assert caught.value.message == BUSY and "服务器忙" in BUSY and caught.value.retry_after > 0
    with pytest.raises(Busy):
        next(iter(PooledBot(pool).stream("问题四")))
    gate.set()
    assert [f.result(timeout=10).question for f in taken] == ["问题一", "问题二"]
    assert pool.ask("问题五", timeout=10).question == "问题五" and pool.turned_away == 2  # places are given back


def test_errors_reach_the_asker(fake_bot):
    from bot.guards import QuestionError
    from tests.fakes import FakeBot

    pool = AnswerPool(FakeBot(error=QuestionError("问题太长了", code="too_long")), workers=1, waiting=0)
    with pytest.raises(QuestionError):
        pool.ask("太长")
    with pytest.raises(QuestionError):
        list(PooledBot(pool).stream("太长"))
    assert pool.in_flight == 0


def test_pool_size_follows_the_settings_and_the_cores(fake_bot):
    assert pool_for(fake_bot, load_settings()).workers == cores()
    assert pool_for(fake_bot, load_settings(answer_workers=3, web_queue_max=5)).workers == 3
    assert pool_for(fake_bot, load_settings(web_queue_max=5)).waiting == 5


def _outcome(url: str, question: str) -> str:
    from gradio_client import Client
    from gradio_client.utils import QueueError

    client = Client(url + "/", verbose=False, analytics_enabled=False, download_files=False)
    try:
        _transcript, notice, _box = client.submit(question, {"chosen": True}, api_name="/ask").result(timeout=25)
        return "busy" if "服务器忙" in (notice or "") else "answered"
    except QueueError:
        return "busy"  # HTTP 503 from the full queue (its body: the Chinese sentence, checked below)
    except Exception as exc:  # noqa: BLE001 — a timeout or anything else fails the test
        return f"{type(exc).__name__}: {exc}"
    finally:
        client.close()


def test_a_burst_gets_answers_or_the_busy_sentence_never_a_timeout(fake_bot, tmp_path):
    from tests.webserver import start

    slow = SlowBot(fake_bot, seconds=0.4)
    server = start(slow, load_settings(answer_workers=1), tmp_path, queue_max=2)
    try:
        outcomes: list[str] = []
        probes: list[httpx.Response] = []

        def probe():  # while the burst fills the queue, join it directly as an API client and as a browser
            with httpx.Client(base_url=server.url, timeout=10) as http:
                ask = next(d["id"] for d in http.get("/config").json()["dependencies"] if d.get("api_name") == "ask")
                body = {"data": ["问题", {"chosen": True}], "fn_index": ask, "session_hash": "probe0001"}
                for _ in range(40):
                    r = http.post("/gradio_api/queue/join", json=body)
                    if r.status_code == 503:
                        probes.append(r)
                        probes.append(http.post("/gradio_api/queue/join", json=body, headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14)"}))
                        return
                    time.sleep(0.1)

        users = [threading.Thread(target=lambda: outcomes.append(_outcome(server.url, "送外卖路上被车撞了，算工伤吗？"))) for _ in range(10)]
        prober = threading.Thread(target=probe)
        started = time.perf_counter()
        for t in users:
            t.start()
        prober.start()
        for t in [*users, prober]:
            t.join(timeout=60)
        assert sorted(set(outcomes)) == ["answered", "busy"], outcomes  # nothing else: no timeout, no error
        assert time.perf_counter() - started < 40
        api, browser = probes
        assert api.status_code == 503 and api.json()["detail"] == BUSY and int(api.headers["Retry-After"]) > 0
        assert browser.status_code == 422 and browser.json()["detail"] == BUSY  # the page shows a 422's words, not Gradio's English
    finally:
        server.stop()


def test_the_page_says_busy_when_the_answer_workers_are_full(fake_bot, tmp_path):
    from tests.webserver import start

    gate = threading.Event()
    server = start(SlowBot(fake_bot, gate=gate), load_settings(answer_workers=1), tmp_path, queue_max=1)
    try:
        pool = server.server.config.app.state.answer_pool  # what the REST API asks through
        held = [pool.submit("问题一"), pool.submit("问题二")]  # its one worker and its one waiting place
        assert _outcome(server.url, "送外卖路上被车撞了，算工伤吗？") == "busy"  # the notice is the Chinese sentence
    finally:
        gate.set()
        for f in held:
            f.result(timeout=10)
        server.stop()
