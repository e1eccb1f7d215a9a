"""Assembles the running bot from settings: catalog → retriever → answerer, each loaded once.

The CLI, the web UI and the evals all start here, so a process loads the model and the index one
time and every request shares them.
"""
from __future__ import annotations

from laoquan.settings import Settings


def load_bot(settings: Settings, *, embedder=None, chat_model=None):
    """The :class:`bot.answer.AnswerBot` over the current index — LLM-free, the default — or, when
    ``settings.llm`` names a backend (or ``chat_model`` is given), that bot wrapped so an LLM
    rewrites its answers and :mod:`bot.faithfulness` checks them (:class:`bot.llm.LLMAnswerBot`)."""
    from bot.answer import AnswerBot
    from corpus.catalog import load_catalog_for
    from kb.retriever import HybridRetriever

    catalog = load_catalog_for(settings)  # the repo's catalog plus texts fetched or added locally
    retriever = HybridRetriever(settings, embedder=embedder)
    bot = AnswerBot(retriever, catalog, settings)
    if not settings.llm and chat_model is None:
        return bot
    from bot.llm import with_llm_writer

    return with_llm_writer(bot, settings, chat_model=chat_model)
