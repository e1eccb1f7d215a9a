"""laoquan for LangChain users: ``laoquan.as_retriever(province=…, as_of=…)`` is a
``langchain_core`` :class:`~langchain_core.retrievers.BaseRetriever` of the ranked passages, and
``laoquan.as_runnable()`` the whole cited answer as a :class:`~langchain_core.runnables.Runnable`.

Each retrieved :class:`~langchain_core.documents.Document` is one article (or part of one) as the
learned ranker put it, best first; its metadata: ``doc_id``, ``article``, ``title``, ``url`` (the
catalog's official page, else the passage's source), ``score`` (the ranker's), ``rank``, ``kind``,
``chapter``, ``status``, ``region``, ``chunk_id``. The retriever asks the bot's current retriever on
every call, so a running process follows a re-index like the pages do.

Both load the bot from the settings (once per process) unless one is given (``bot=``).
"""
from __future__ import annotations

import threading
from datetime import date
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from bot.protocols import Bot

_loaded: dict[str, Bot] = {}
_lock = threading.Lock()


def default_bot(settings=None) -> Bot:
    """The process's bot over the settings' index (loaded at first use, then shared)."""
    from common.settings import load_settings
    from laoquan.app import load_bot

    with _lock:
        if "bot" not in _loaded or settings is not None:
            _loaded["bot"] = load_bot(settings or load_settings())
        return _loaded["bot"]


class LaoquanRetriever(BaseRetriever):
    """The ranked passages for a query, in force on ``as_of`` (default: today) in ``province`` (a
    province or a city; None: national texts only)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    bot: Any
    """A :class:`bot.protocols.Bot` (its ``retriever`` and ``catalog`` are used)."""
    province: str | None = None
    as_of: date | None = None
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun, k: int | None = None) -> list[Document]:
        retrieval = self.bot.retriever.search(query, k=k or self.k, region=self.province, as_of=self.as_of)
        catalog = self.bot.catalog
        documents = []
        for rank, hit in enumerate(retrieval.hits[: k or self.k], start=1):
            entry = catalog.get(hit.doc_id)
            documents.append(Document(page_content=hit.text, id=hit.chunk_id, metadata={
                "doc_id": hit.doc_id, "article": hit.article, "title": hit.title, "chunk_id": hit.chunk_id,
                "url": (entry.source_url if entry is not None and entry.source_url else hit.source_url),
                "score": float(hit.score), "rank": rank, "kind": hit.kind, "chapter": hit.chapter,
                "status": entry.status if entry is not None else None, "region": entry.region if entry is not None else None,
            }))
        return documents


def as_retriever(province: str | None = None, as_of: date | str | None = None, *, k: int = 5, bot: Bot | None = None,
                 settings=None) -> LaoquanRetriever:
    """A LangChain retriever of laoquan's ranked passages (see the module docstring)."""
    if isinstance(as_of, str):
        as_of = date.fromisoformat(as_of)
    return LaoquanRetriever(bot=bot if bot is not None else default_bot(settings), province=province, as_of=as_of, k=k)


def as_runnable(*, bot: Bot | None = None, settings=None) -> Runnable:
    """The whole answer as a Runnable: input a question (str) or ``{"question", "province" | "city",
    "as_of", "job"}``; output the JSON of ``laoquan ask --json`` (a dict: conclusion, points,
    citations, 行动清单 …). Input the bot cannot take raises :class:`bot.guards.QuestionError`."""
    chosen = bot if bot is not None else default_bot(settings)

    def answer(given: str | dict) -> dict:
        ask = {"question": given} if isinstance(given, str) else dict(given)
        as_of = ask.get("as_of")
        if isinstance(as_of, str):
            as_of = date.fromisoformat(as_of)
        region = ask.get("city") or ask.get("province") or None
        return chosen.ask(ask.get("question") or "", region=region, as_of=as_of).to_json()

    return RunnableLambda(answer, name="laoquan")


__all__ = ["LaoquanRetriever", "as_retriever", "as_runnable", "default_bot"]
