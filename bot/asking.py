"""How both pages ask the bot: the region a profile means, the conversation kept in the browser, a
vetted answer first when staff approved one, the answer streamed as it comes."""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from bot.results import Answer, Vetting
from bot.conversation import Conversation
from bot.protocols import Bot
from bot.records import Records, RecordsUnavailable, VettedAnswer, stale_reasons
from common.settings import Settings
from corpus.regions import province_of

log = logging.getLogger(__name__)

TRANSCRIPT_TURNS = 20
"""Question-and-answer turns a page keeps in its transcript per browser session (older ones drop off
the page). Not :data:`bot.conversation.MAX_TURNS`, the fewer turns a conversation remembers to read
follow-up questions."""


PROFILE_FIELDS = ("chosen", "province", "city", "job")
PROFILE_BROKEN = "地区和工作的设置读不出来，请点「改地区/工作」重新选一次。"
BROKEN = "服务出了点问题，请稍后再试，或直接拨打 12333 咨询。"
"""What every way in (the page, /lite, the API) says when answering failed for a reason of ours."""


def profile_of(value) -> dict | None:
    """The profile a page sent (kept in the browser, so anything may arrive), as the pages use it:
    only its known fields with short text (or ``chosen`` true/false); ``{}`` for none; ``None`` when
    it is not an object at all (say :data:`PROFILE_BROKEN`)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return None
    return {k: v for k, v in value.items()
            if k in PROFILE_FIELDS and ((isinstance(v, str) and len(v) <= 40) or (k == "chosen" and isinstance(v, bool)))}


def region_of(profile: dict | None) -> str | None:
    """The region the bot is asked with: the city when one was chosen, else the province."""
    profile = profile if isinstance(profile, dict) else {}
    return profile.get("city") or profile.get("province") or None


def region_key(region: str | None) -> str:
    """Vetted answers are kept per province ("" = national only): rules differ between provinces."""
    return province_of(region) or ""


@dataclass
class Asker:
    """Asks a :class:`bot.protocols.Bot` the way the pages need it."""

    bot: Bot
    records: Records
    settings: Settings

    def conversation(self, state: dict | None) -> Conversation:
        """The conversation the browser keeps (a new one when it has none)."""
        return Conversation.from_json(state) if state else Conversation()

    def vetted(self, question: str, region: str | None, conversation: Conversation | None) -> dict | None:
        """The approved answer for this question in this province, as the pages keep it (``answer``
        JSON, ``by``, ``at``), unless it has gone stale or a triage question is pending (then the
        words are an answer to it, not a new question)."""
        vetted = self._vetted(question, region, conversation)
        if vetted is None:
            return None
        return {"answer": {**vetted.answer, "question": question}, "by": vetted.vetted_by, "at": vetted.vetted_at}

    def vetted_answer(self, question: str, region: str | None, conversation: Conversation | None) -> Answer | None:
        """The same approved answer as a typed :class:`Answer` with its ``vetted`` mark (the open API
        serves it first, as the pages do); None when there is none that holds."""
        vetted = self._vetted(question, region, conversation)
        if vetted is None:
            return None
        try:
            answer = Answer.from_json({**vetted.answer, "question": question})
        except (TypeError, ValueError, KeyError, AttributeError):  # a record this version cannot read: the bot answers
            log.warning("vetted answer #%s cannot be read; the bot answers instead", vetted.id)
            return None
        answer.vetted = Vetting(at=vetted.vetted_at)
        return answer

    def _vetted(self, question: str, region: str | None, conversation: Conversation | None) -> VettedAnswer | None:
        if conversation is not None and conversation.pending:
            return None
        try:
            vetted = self.records.vetted_for(question, region_key(region))
        except RecordsUnavailable as exc:  # the records cannot be read: the bot answers as if none were vetted
            log.warning("vetted answers unavailable: %s", exc.message)
            return None
        if vetted is None or stale_reasons(vetted, self.bot.catalog, notes_dir=self.settings.paths.notes_dir):
            return None
        return vetted

    def answers(self, question: str, *, region: str | None, job: str | None, conversation: Conversation | None) -> Iterator[Answer]:
        """Progressively complete answers (the last one is the answer)."""
        if conversation is not None and job and not conversation.job:
            conversation.job = job
        yield from self.bot.stream(question, region=region, conversation=conversation)


def topic_of(answer: dict) -> str:
    """What an answer was about, for the dashboard's counts: the 办事指南 it followed, else the
    document it cites first ("" when it cites nothing)."""
    cites = answer.get("citations") or []
    return answer.get("guide") or (cites[0].get("doc_id") if cites else "") or ""
