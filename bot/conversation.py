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
from enum import StrEnum

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
    conclusion: str = ""
    """The article the answer's conclusion stated (``doc_id|article``), so a follow-up says something new."""
    topic: str = ""
    """The question this turn's thread is about: its own (simplified) question for a new topic, the
    topic of the turn before for a follow-up — what the next follow-up is read with (never the
    chain of every question asked, in which the old topic drowns the new one)."""
    said: str = ""
    """The conclusion the worker read (a follow-up's conclusion must not say it again)."""
    cited: list[str] = field(default_factory=list)
    """The route of the answer: its first law citations (``doc_id|article``), in order."""
    referrals: list[str] = field(default_factory=list)
    """The ids of the referrals it gave (劳动保障监察, 仲裁 …): the offices a follow-up may ask about."""


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
    topic of its own and either starts like a continuation or asks where / how long / how much —
    or any aspect of the previous answer's route (「他不给咋办」「要带啥」: :func:`asked_aspect`)."""
    if len(text) > 24 or _TOPIC_WORDS.search(text):
        return False
    return bool(_FOLLOW_UP_START.search(text) or _FOLLOW_UP_ASK.search(text) or asked_aspect(text) is not None)


def rewrite_follow_up(text: str, conversation: Conversation | None) -> str:
    """The text to search for: a follow-up joined to the previous question, else the text itself."""
    if conversation is None or not conversation.last_asked or not is_follow_up(text):
        return text
    return joined_with_previous(text, conversation)


def joined_with_previous(text: str, conversation: Conversation) -> str:
    """The follow-up read together with the topic of the turn before it (the thread's opening
    question; the turn's searched text for a turn remembered without one)."""
    last = conversation.turns[-1]
    return f"{last.topic or last.asked} {text}"


class Aspect(StrEnum):
    """What a follow-up asks of the previous answer's route."""

    WHERE = "where"
    """哪里 / 找谁: the office or body to turn to."""
    WHAT = "what"
    """带什么 / 什么材料: what to bring or hand in."""
    HOW_LONG = "how_long"
    """多久出结果: how long the office takes."""
    DEADLINE = "deadline"
    """还来得及吗 / 过期: the time limit for acting."""
    HOW_MUCH = "how_much"
    """能赔多少: an amount."""
    WHAT_IF = "what_if"
    """他不给咋办 / 不服呢: the next step when the other side refuses or the decision goes against the worker."""


_ASPECT_ASKED = {
    Aspect.WHAT: re.compile(r"带什么|带啥|拿什么|拿啥|什么材料|啥材料|哪些材料|要准备|准备什么|交什么|需要什么|证明"),
    Aspect.WHERE: re.compile(r"去哪|在哪|哪里|哪儿|找谁|哪个部门|什么部门|向谁|归谁|谁管|哪办|怎么申请|如何申请|去哪办"),
    Aspect.HOW_LONG: re.compile(r"多久.{0,4}(出|有|给|下来|结果|答复|查完|办完|处理)|多长时间.{0,4}(出|有|结果|答复|处理)|几天.{0,2}(出|有|结果)|什么时候.{0,3}(出|有|结果|答复)|查完|办完"),
    Aspect.DEADLINE: re.compile(r"来得及|过期|期限|时效|还能|多久之内|多长时间内|几天内|最晚|截止|过了.{0,6}(不能|没法)|算不算数|中断|要不回来|过多久|过多长时间"),
    Aspect.HOW_MUCH: re.compile(r"多少钱|赔多少|能拿多少|拿多少|领多少|几个月|多少个月|哪些钱|什么钱|啥钱|多少"),
    Aspect.WHAT_IF: re.compile(r"(不给|不服|不履行|不认|不掏|赖着|拒绝|不同意|不执行|还是不|不理|不管).{0,6}(咋办|怎么办|咋整|呢|吗|[？?]|$)"),
}

_ASPECT_STATED = {
    Aspect.WHAT: re.compile(r"材料|提交|提供|证明|申请表|申请书|复印件|证件"),
    Aspect.WHERE: re.compile(r"向.{1,30}(部门|委员会|机构|法院|组织|工会)(.{0,6})(申请|投诉|举报|提出|提起|办理|登记)|(部门|委员会|机构)(受理|管辖|负责|办理)"),
    Aspect.HOW_LONG: re.compile(r"(\d+|[一二三四五六七八九十]+)个?(工作)?日内.{0,10}(作出|结束|调查|审结|完成|决定|裁决|答复)|(作出|完成).{0,12}(\d+|[一二三四五六七八九十]+)个?(工作)?日"),
    Aspect.DEADLINE: re.compile(r"时效|(\d+|[一二三四五六七八九十]+)(年|个月|日|天)内|之日起|中断|中止|期间"),
    Aspect.HOW_MUCH: re.compile(r"元|倍|%|％|个月的?(本人)?工资|补助金|津贴|标准"),
    Aspect.WHAT_IF: re.compile(r"申请仲裁|提起诉讼|向人民法院|行政复议|支付令|强制执行|先行支付|追偿|投诉|举报|责令"),
}


def asked_aspect(text: str) -> Aspect | None:
    """The aspect a follow-up asks for (the first that its words name), None when it names none."""
    for aspect, pattern in _ASPECT_ASKED.items():
        if pattern.search(text):
            return aspect
    return None


def states_aspect(article_text: str, aspect: Aspect) -> bool:
    """Whether an article's text states that aspect (an office one applies to, materials, a period …)."""
    return bool(_ASPECT_STATED[aspect].search(article_text))
