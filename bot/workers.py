"""The answer workers: every answer of a process is computed in one pool of threads sized to the
cores, whoever asked — the worker page's Gradio queue, the staff page, the REST API.

The model and the index are loaded once (the bot handed in); a worker only runs ``bot.ask`` /
``bot.stream``. At most ``workers + waiting`` questions are taken at once; one more is turned away
at once with :class:`Busy` (its message is the page's Chinese busy sentence), never left to wait
until a client times out.

    pool = AnswerPool(bot, workers=2, waiting=64)
    answer = pool.ask("送外卖路上被车撞了，算工伤吗？", region="杭州")   # raises Busy when full
    pooled = PooledBot(pool)                                         # a bot.protocols.Bot for the pages

From the event loop (the async API routes, the worker page's answer events), a whole piece of work —
the route's or the page's answering, bot included — is handed to a worker without blocking the loop:
``await pool.call(fn)`` (its result), or ``async for item in pool.iterate(make)`` (the items of the
iterator ``make()`` returns, as the worker makes them). Either takes its place at once (:class:`Busy`
before anything is awaited). Inside a worker, :class:`PooledBot` asks the bot directly: the place is
already held, and a worker waiting for another worker could wait for ever.
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from bot.protocols import Bot
from bot.results import Answer

BUSY = "现在提问的人太多，服务器忙不过来。请过一两分钟再试；急事请直接拨打 12333。"
"""What a worker turned away reads (the pages show it; the REST API sends it with 503)."""

RETRY_AFTER_SECONDS = 60
"""``Retry-After`` of a busy reply: about when the waiting questions are answered and it is worth trying again."""


class Busy(RuntimeError):
    """Every worker is busy and the waiting places are full: ask again later."""

    def __init__(self, message: str = BUSY):
        super().__init__(message)
        self.message = message
        self.retry_after = RETRY_AFTER_SECONDS


def cores() -> int:
    """CPUs this process may run on."""
    return max(1, len(os.sched_getaffinity(0)))


_DONE = object()
_inside = threading.local()
"""``_inside.pool``: the pool whose worker this thread is, while it runs that pool's work."""


class AnswerPool:
    """A fixed pool of answer threads in front of one bot, with a bounded number of waiting questions."""

    def __init__(self, bot: Bot, *, workers: int = 0, waiting: int = 64):
        self.bot = bot
        self.workers = workers if workers > 0 else cores()
        self.waiting = max(0, waiting)
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="laoquan-answer")
        self._places = threading.BoundedSemaphore(self.workers + self.waiting)
        self._lock = threading.Lock()
        self.in_flight = 0
        """Questions taken and not yet answered (computing or waiting)."""
        self.turned_away = 0

    def _take_place(self) -> None:
        if not self._places.acquire(blocking=False):
            with self._lock:
                self.turned_away += 1
            raise Busy()
        with self._lock:
            self.in_flight += 1

    def _free_place(self, _future=None) -> None:
        with self._lock:
            self.in_flight -= 1
        self._places.release()

    def inside(self) -> bool:
        """Whether the calling thread is one of this pool's workers, running its work."""
        return getattr(_inside, "pool", None) is self

    def _run(self, fn: Callable, *args, **kwargs) -> Future:
        """``fn(*args, **kwargs)`` in a worker, on a place taken by the caller (freed when it ends)."""

        def work():
            _inside.pool = self
            try:
                return fn(*args, **kwargs)
            finally:
                _inside.pool = None

        try:
            future = self._executor.submit(work)
        except BaseException:
            self._free_place()
            raise
        future.add_done_callback(self._free_place)  # first of the future's callbacks: the place is free before anyone hears it is done
        return future

    def submit(self, question: str, **options) -> Future:
        """The future answer of ``bot.ask(question, **options)``; raises :class:`Busy` when full."""
        self._take_place()
        return self._run(self.bot.ask, question, **options)

    async def call(self, fn: Callable, /, *args, **kwargs):
        """``fn(*args, **kwargs)`` computed by a worker, awaited without blocking the event loop;
        raises :class:`Busy` at once when full (and whatever ``fn`` raises)."""
        self._take_place()
        return await asyncio.wrap_future(self._run(fn, *args, **kwargs))

    def iterate(self, make: Callable[[], Iterator]) -> AsyncIterator:
        """The items of ``make()``, iterated by a worker and handed to the event loop as they come
        (an exception raised there is raised here). The place is taken when this is called, so
        :class:`Busy` comes before anything is awaited."""
        self._take_place()
        loop = asyncio.get_running_loop()
        handed: asyncio.Queue = asyncio.Queue()

        def hand(item) -> None:
            try:
                loop.call_soon_threadsafe(handed.put_nowait, item)
            except RuntimeError:  # the loop has closed: no one is reading any more
                pass

        def run() -> None:
            try:
                for item in make():
                    hand(item)
            except BaseException as exc:  # noqa: BLE001 — raised again on the event loop
                hand(_Raised(exc))

        self._run(run).add_done_callback(lambda _future: hand(_DONE))  # after the place is free: a next question fits at once
        return _handed_over_async(handed)

    def ask(self, question: str, *, timeout: float | None = None, **options) -> Answer:
        """The answer, computed by a worker (this thread waits); raises :class:`Busy` when full,
        :class:`bot.guards.QuestionError` as ``bot.ask`` does."""
        return self.submit(question, **options).result(timeout=timeout)

    def stream(self, question: str, **options) -> Iterator[Answer]:
        """``bot.stream`` computed by a worker, each answer handed over as it comes. The place is
        taken when this is called (so :class:`Busy` is raised before anything is yielded)."""
        self._take_place()
        handed: queue.Queue = queue.Queue()

        def run() -> None:
            try:
                for answer in self.bot.stream(question, **options):
                    handed.put(answer)
            except BaseException as exc:  # noqa: BLE001 — raised again in the asking thread
                handed.put(_Raised(exc))

        self._run(run).add_done_callback(lambda _future: handed.put(_DONE))  # after the place is free
        return _handed_over(handed)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class _Raised:
    def __init__(self, exc: BaseException):
        self.exc = exc


def _handed_over(handed: queue.Queue) -> Iterator[Answer]:
    while True:
        item = handed.get()
        if item is _DONE:
            return
        if isinstance(item, _Raised):
            raise item.exc
        yield item


async def _handed_over_async(handed: asyncio.Queue) -> AsyncIterator:
    while True:
        item = await handed.get()
        if item is _DONE:
            return
        if isinstance(item, _Raised):
            raise item.exc
        yield item


class PooledBot:
    """A :class:`bot.protocols.Bot` whose answers are computed by an :class:`AnswerPool`."""

    def __init__(self, pool: AnswerPool):
        self.pool = pool

    @property
    def catalog(self):
        return self.pool.bot.catalog

    @catalog.setter
    def catalog(self, value) -> None:
        self.pool.bot.catalog = value

    @property
    def retriever(self):
        return self.pool.bot.retriever

    def ask(self, question: str, **options) -> Answer:
        if self.pool.inside():  # already a worker's work (its place taken): answer here
            return self.pool.bot.ask(question, **options)
        return self.pool.ask(question, **options)

    def stream(self, question: str, **options) -> Iterator[Answer]:
        if self.pool.inside():
            yield from self.pool.bot.stream(question, **options)
            return
        yield from self.pool.stream(question, **options)


def pool_for(bot: Bot, settings) -> AnswerPool:
    """The process's answer pool: ``settings.web.answer_workers`` threads (0: one per core), as many
    questions waiting as the web queue takes (``settings.web.queue_max``)."""
    return AnswerPool(bot, workers=settings.web.answer_workers, waiting=settings.web.queue_max)


__all__ = ["AnswerPool", "Busy", "PooledBot", "BUSY", "RETRY_AFTER_SECONDS", "cores", "pool_for"]
