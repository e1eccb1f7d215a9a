"""One worker's conversation: what they already told the bot, so they never have to repeat it.

A :class:`Conversation` remembers the region, the job, the facts given in answer to triage
questions (per guide), the last questions, and a pending triage question. The bot reads and
updates it on every turn; the web page keeps one per browser session (as JSON) and the CLI none.

Follow-ups such as 「那我要去哪里申请？」 or 「要多久？」 say nothing on their own; they are rewritten
with the previous question before retrieval (:func:`rewrite_follow_up`). A tapped triage button
(its label sent as the next message) answers the pending question (:meth:`Conversation.take_choice`).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

MAX_TURNS = 6

_FOLLOW_UP_START = re.compile(r"^(那|那么|那要|那我|还有|另外|这个|那个|这种|这样|如果|要是|假如|然后|所以|可是|但是|请问那)")
_FOLLOW_UP_ASK = re.compile(
    r"要多久|多长时间|多久|去哪|在哪|哪里|找谁|怎么申请|怎么办理|如何申请|多少钱|能赔多少|赔多少|需要什么|带什么|什么材料|什么时候|"
    r"有期限吗|过期|来得及|还能|可以吗|行吗|呢[？?]?$"
)
_TOPIC_WORDS = re.compile(r"工伤|合同|工资|加班|社保|保险|辞退|辞职|仲裁|押金|罚款|休息|最低工资|试用期|派遣|年假|产假|抽成|职业伤害|补偿|赔偿金")


@dataclass
class Turn:
    question: str
    asked: str
    """What was searched for (the question, or the follow-up rewritten with the one before)."""
    outcome: str = ""
    guide: str | None = None


@dataclass
class Conversation:
    region: str | None = None
    job: str | None = None
    facts: dict[str, str] = field(default_factory=dict)
    """Guide id → the branch the worker's answer selected (e.g. ``injury-while-delivering`` → ``platform``)."""
    turns: list[Turn] = field(default_factory=list)
    pending: dict | None = None
    """The triage question awaiting an answer: ``{"guide": id, "question": asked, "choices": {label: branch}}``
    (``guide`` None for the general question about employment status)."""

    def remember(self, turn: Turn) -> None:
        self.turns = [*self.turns, turn][-MAX_TURNS:]

    @property
    def last_asked(self) -> str | None:
        return self.turns[-1].asked if self.turns else None

    def take_choice(self, text: str) -> tuple[str, str, str] | None:
        """If ``text`` answers the pending triage question (a button label, or a choice's label
        typed back), record the fact and return ``(question to answer, guide id, branch)``."""
        if not self.pending:
            return None
        label = text.strip().rstrip("。.!！")
        branch = self.pending["choices"].get(label)
        if branch is None:
            return None
        guide = self.pending["guide"]
        question = self.pending["question"]
        self.pending = None
        if guide is None:  # a general question (no guide): the answer joins the question as a fact
            return f"{question}（{label}）", None, branch
        self.facts[guide] = branch
        return question, guide, branch

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> "Conversation":
        data = dict(data or {})
        turns = [Turn(**t) for t in data.pop("turns", []) or []]
        known = {k: v for k, v in data.items() if k in ("region", "job", "facts", "pending")}
        return cls(**known, turns=turns)


def is_follow_up(text: str) -> bool:
    """A short question that leans on the one before («那我要去哪里申请？», «要多久？»): it names no
    topic of its own and either starts like a continuation or asks where / how long / how much."""
    if len(text) > 24 or _TOPIC_WORDS.search(text):
        return False
    return bool(_FOLLOW_UP_START.search(text) or _FOLLOW_UP_ASK.search(text))


def rewrite_follow_up(text: str, conversation: Conversation | None) -> str:
    """The text to search for: a follow-up joined to the previous question, else the text itself."""
    if conversation is None or not conversation.last_asked or not is_follow_up(text):
        return text
    return f"{conversation.last_asked} {text}"
