"""The seams of the answer layer, as ``typing.Protocol``s: what a page, the CLI or the evals may
call on a bot, and what the optional LLM writer needs of a chat model.

:class:`bot.answer.AnswerBot` (LLM-free, the default), :class:`bot.llm.LLMAnswerBot` and
:class:`laoquan.app.ReloadingBot` implement :class:`Bot` — explicitly, with no attribute forwarding;
LangChain chat models (and the fakes in ``tests/fakes.py``) implement :class:`ChatModel`.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bot.results import Answer
    from bot.conversation import Conversation
    from corpus.catalog import Catalog
    from kb.protocols import Retriever


@runtime_checkable
class Bot(Protocol):
    """Answers one question at a time; holds nothing per user (the conversation is passed in)."""

    @property
    def catalog(self) -> "Catalog": ...

    @property
    def retriever(self) -> "Retriever": ...

    def ask(self, question: str, *, region: str | None = None, as_of: date | None = None,
            conversation: "Conversation | None" = None) -> "Answer":
        """The answer; raises :class:`bot.guards.QuestionError` for input it cannot take."""

    def stream(self, question: str, *, region: str | None = None, as_of: date | None = None,
               conversation: "Conversation | None" = None) -> Iterator["Answer"]:
        """Answers of growing completeness; the last one is the answer."""


@runtime_checkable
class ChatModel(Protocol):
    """The one call the LLM writer makes: stream a reply to a list of chat messages. Chunks have a
    ``content`` (a str, or a list of parts); the returned iterator has ``close()``."""

    def stream(self, messages: Sequence[Any]) -> Iterator[Any]: ...


__all__ = ["Bot", "ChatModel"]
