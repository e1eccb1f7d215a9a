"""Assembles the running bot from settings: catalog → retriever → answerer, each loaded once.

The CLI, the web UI and the evals all start here, so a process loads the model and the index one
time and every request shares them.
"""
from __future__ import annotations

from laoquan.settings import Settings


def load_bot(settings: Settings, *, embedder=None):
    """The default (LLM-free) :class:`bot.answer.AnswerBot` over the current index."""
    from bot.answer import AnswerBot
    from corpus.catalog import load_catalog_for
    from kb.retriever import HybridRetriever

    catalog = load_catalog_for(settings)  # the repo's catalog plus texts fetched or added locally
    retriever = HybridRetriever(settings, embedder=embedder)
    return AnswerBot(retriever, catalog, settings)
