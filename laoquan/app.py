"""Assembles the running bot from settings: catalog → retriever → answerer, each loaded once.

The CLI, the web UI and the evals all start here, so a process loads the model and the index one
time and every request shares them. The bot it hands out follows the index: when ``laoquan index``
writes a new generation, the next question notices (a ``stat`` of the manifest), the new index is
loaded in the background while the old one keeps answering, and then replaces it — each answer
comes whole from one index generation (see :mod:`kb.generations`).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from bot.results import Answer
from bot.protocols import Bot
from common.settings import Settings

log = logging.getLogger(__name__)


def load_bot(settings: Settings, *, embedder=None, chat_model=None) -> Bot:
    """The bot over the current index: a :class:`ReloadingBot` that swaps to a newer index when one
    is written (unless ``settings.index.check_seconds`` is negative: then the bot of the index
    loaded now). Underneath, the :class:`bot.answer.AnswerBot` — LLM-free, the default — or, when
    ``settings.llm.backend`` names a backend (or ``chat_model`` is given), that bot wrapped so an LLM
    rewrites its answers and :mod:`bot.faithfulness` checks them (:class:`bot.llm.LLMAnswerBot`)."""
    if settings.index.check_seconds < 0:
        return assemble_bot(settings, embedder=embedder, chat_model=chat_model)
    return ReloadingBot(settings, embedder=embedder, chat_model=chat_model)


def assemble_bot(settings: Settings, *, embedder=None, chat_model=None) -> Bot:
    """One bot over the index as it is now (catalog, retriever, answerer, optional LLM writer)."""
    from bot.answer import AnswerBot
    from corpus.catalog import load_catalog_for
    from kb.retriever import HybridRetriever

    catalog = load_catalog_for(settings)  # the repo's catalog plus texts fetched or added locally
    retriever = HybridRetriever(settings, embedder=embedder)
    bot = AnswerBot(retriever, catalog, settings, guides=load_guides_or_none(settings, retriever.embedder))
    if not settings.llm.backend and chat_model is None:
        return bot
    from bot.llm import with_llm_writer

    return with_llm_writer(bot, settings, chat_model=chat_model)


def load_guides_or_none(settings: Settings, embedder):
    """The 办事指南 with their phrasings' vectors, or None when there are none or they cannot be read
    (the bot then answers without them, and ``laoquan index`` reports the problem)."""
    from corpus.guides import GuideError
    from kb.guide_matcher import load_guide_matcher

    try:
        matcher = load_guide_matcher(settings.paths.guides_dir, settings.paths.index_dir, embedder=embedder)
    except GuideError:
        return None
    return matcher if len(matcher) else None


@dataclass(frozen=True)
class LoadedIndex:
    """A bot and the index generation it answers from."""

    bot: Bot
    generation: int
    collection: str
    signature: tuple | None
    """The manifest file's signature when loading started (see :func:`kb.generations.manifest_signature`)."""
    loaded_at: float


class ReloadingBot:
    """The bot of the newest complete index: a :class:`bot.protocols.Bot` whose ``ask``/``stream``,
    ``retriever`` and ``catalog`` are those of the bot currently loaded.

    At most every ``settings.index.check_seconds`` a question checks the manifest's signature;
    when it changed, a background thread loads a new bot (sharing the embedding model and the
    LLM) while the old one keeps answering, then swaps one reference. An answer is computed by
    one loaded bot from start to end, so it never mixes two generations. If an answer fails while
    a newer index is waiting (the old generation was dropped from under a long-idle server), the
    new one is loaded at once and the question asked again."""

    def __init__(self, settings: Settings, *, embedder=None, chat_model=None):
        from kb.generations import manifest_signature

        self.settings = settings
        self._lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self._failed: tuple | None = None  # signature whose load failed: not retried until it changes
        self._checked = time.monotonic()
        self._embedder, self._chat_model = embedder, chat_model
        self._current = self._load(manifest_signature(settings.paths.index_dir))
        inner = self._current.bot
        self._embedder = inner.retriever.embedder  # the model is shared by every index loaded
        self._chat_model = getattr(inner, "chat_model", None)  # an LLM already built is reused, never built twice

    # -- what the web page and the CLI use ------------------------------------------------------

    def ask(self, question: str, **options) -> Answer:
        loaded = self.current()
        try:
            return loaded.bot.ask(question, **options)
        except Exception as exc:
            newer = self._recover(loaded, exc)
            return newer.bot.ask(question, **options)

    def stream(self, question: str, **options) -> Iterator[Answer]:
        loaded = self.current()
        answers = iter(loaded.bot.stream(question, **options))
        try:
            first = next(answers, None)  # the retrieval happens before the first answer
        except Exception as exc:
            answers = iter(self._recover(loaded, exc).bot.stream(question, **options))
            first = next(answers, None)
        if first is None:
            return
        yield first
        yield from answers

    def current(self) -> LoadedIndex:
        """The loaded index answers come from now; starts loading a newer one when it is time to look."""
        self._maybe_reload()
        return self._current

    def reload(self) -> LoadedIndex:
        """Load the newest index now, in this thread (for tests, and after a failed answer)."""
        from kb.generations import manifest_signature

        with self._lock:
            signature = manifest_signature(self.settings.paths.index_dir)
            if signature != self._current.signature:
                self._current = self._load(signature)
            return self._current

    @property
    def generation(self) -> int:
        return self._current.generation

    @property
    def retriever(self):
        return self._current.bot.retriever

    @property
    def catalog(self):
        return self._current.bot.catalog

    @catalog.setter
    def catalog(self, value) -> None:
        self._current.bot.catalog = value

    # -- loading --------------------------------------------------------------------------------

    def _load(self, signature) -> LoadedIndex:
        bot = assemble_bot(self.settings, embedder=self._embedder, chat_model=self._chat_model)
        retriever = bot.retriever
        return LoadedIndex(bot, retriever.generation, retriever.collection, signature, time.time())

    def _maybe_reload(self) -> None:
        from kb.generations import manifest_signature

        every = self.settings.index.check_seconds
        now = time.monotonic()
        if now - self._checked < every or (self._loader is not None and self._loader.is_alive()):
            return
        self._checked = now
        signature = manifest_signature(self.settings.paths.index_dir)
        if signature is None or signature == self._current.signature or signature == self._failed:
            return
        with self._lock:
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(target=self._load_in_background, args=(signature,), name="laoquan-index-reload", daemon=True)
            self._loader.start()

    def _load_in_background(self, signature) -> None:
        started = time.perf_counter()
        from kb.faults import IndexFault

        try:
            loaded = self._load(signature)
        except IndexFault as exc:  # a broken new index: one line saying what to do, no traceback
            log.error("the new index cannot be loaded; still answering from generation %s: %s", self._current.generation, exc)
            self._failed = signature
            return
        except Exception:  # keep answering from the index we have; say why in the log
            log.exception("loading the new index failed; still answering from generation %s", self._current.generation)
            self._failed = signature
            return
        with self._lock:
            previous, self._current = self._current, loaded
        log.info("index generation %s → %s loaded in %.1f s", previous.generation, loaded.generation, time.perf_counter() - started)

    def _recover(self, loaded: LoadedIndex, exc: Exception) -> LoadedIndex:
        """After a failed answer: the newest index if there is a newer one than ``loaded``, else re-raise."""
        from bot.guards import QuestionError
        from kb.generations import manifest_signature

        if isinstance(exc, QuestionError) or manifest_signature(self.settings.paths.index_dir) in (None, loaded.signature):
            raise exc
        loader = self._loader
        if loader is not None and loader.is_alive():
            loader.join()
        newer = self.reload()
        if newer is loaded:
            raise exc
        return newer
