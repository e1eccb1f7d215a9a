"""Stage 1 of an answer — read the question: clean it, take a tapped triage choice, read a
follow-up together with the turn before (and the aspect it asks for), find the articles and
documents it names, and the reasons to refuse it outright (an injection, a law not indexed, an
article that does not exist, a request for writing, another branch of law, foreign law).

The result is a :class:`Reading`; nothing here ranks or composes."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.citation_requests import asks_only_for_articles, without_article_mentions, without_citation_instructions
from bot.conversation import Aspect, Conversation, asked_aspect, joined_with_previous, rewrite_follow_up
from bot.guards import (
    article_refs,
    asks_for_writing,
    clean_question,
    looks_like_injection,
    mentions_foreign_law,
    asks_for_a_local_figure,
    asks_for_a_private_contact,
    outside_labour_law,
    threatens_violence,
)
from bot.results import Reason
from common.settings import Settings
from corpus.catalog import Catalog
from kb.protocols import Retriever
from kb.simplified import to_simplified


FOLLOW_UP_SCOPE_FLOOR = 0.03
"""A question out of scope alone is read with the turn before only if its own in-scope probability
is at least this: on the multi-turn dev half the follow-ups that need the turn before score 0.035–0.08
alone, while «火星上的房子怎么买» scores ~0 (and 40% of the must-refuse dev questions of the single-turn
sets score below 0.012). A hand-set cut, chosen on dev; a learned follow-up classifier would replace it
once a larger multi-turn set exists."""


BARE_CONTINUATION_CHARS = 5
"""A continuation this short (「然后呢」「那怎么办」) has no content of its own to judge: it is read with the topic."""


@dataclass(frozen=True)
class FollowUp:
    """A question read as a follow-up of the turn before."""

    aspect: Aspect | None
    previous: str
    """The article the previous answer led with (``doc_id|article``; "" for none)."""
    said: str = ""
    """The previous answer's conclusion (not to be said again)."""
    cited: tuple[str, ...] = ()
    """The previous answer's route: its first law citations (``doc_id|article``)."""
    referrals: tuple[str, ...] = ()
    """The ids of the offices the previous answer referred to."""
    topic: str = ""
    """The thread's topic (the question it opened with) that the follow-up is asked of."""


@dataclass(frozen=True)
class Refusal:
    """Why the question is not answered, and the sentence that says so."""

    reason: Reason
    why: str


@dataclass(frozen=True)
class Reading:
    """The question as the answer stages use it."""

    text: str
    """What the worker typed, cleaned."""
    asked: str
    """What is searched for: the text (in simplified characters), a tapped choice's question, or a
    follow-up joined to the question before it."""
    region: str | None
    as_of: date
    facts: dict = field(default_factory=dict)
    """Facts given in answer to triage questions (guide id → branch)."""
    follow_up: FollowUp | None = None
    named: list = field(default_factory=list)
    """(catalog entry, ``第X条``) of each article the question names of an indexed law."""
    documents: list = field(default_factory=list)
    """Catalog documents without indexed text that the question names."""
    refusal: Refusal | None = None
    said_before: str = ""
    """The conclusion of the conversation's previous answer ("" without one): a new answer in the
    same conversation does not open with it again."""

    def base(self) -> dict:
        """The fields every Answer to this question starts from."""
        return {"question": self.text, "region": self.region, "as_of": self.as_of.isoformat(), "asked": self.asked}


def refusal_of_its_own(text: str) -> Refusal | None:
    """Why the worker's own words (not the follow-up read with its topic) are not for the bot: a
    request for a particular lawyer's or office's phone number, a plan to hit someone, the current
    local amount of a figure each place sets (the knowledge base holds the rule, not the amounts)."""
    if asks_for_a_private_contact(text):
        return Refusal(Reason.CHAT, "我不能推荐具体的律师或律师事务所，也没有他们的电话。需要法律帮助可以拨打12348公共法律服务热线，问问能不能申请法律援助。")
    if threatens_violence(text):
        return Refusal(Reason.OTHER_LAW, "动手打人解决不了问题，还可能要承担法律责任；工资、工伤这些事可以通过投诉、调解、仲裁来解决。")
    if asks_for_a_local_figure(text):
        return Refusal(Reason.NOT_FOUND, "知识库里没有各地现行的具体数额（最低工资、社平工资这类由各省市公布的标准）。")
    return None


class QuestionReader:
    """Reads questions against the catalog and the indexed articles."""

    def __init__(self, retriever: Retriever, catalog: Catalog, settings: Settings):
        self.retriever = retriever
        self.catalog = catalog
        self.settings = settings
        self._articles_by_doc: dict[str, set[str]] = {}
        for chunk_id in retriever.chunk_ids():
            record = retriever.record(chunk_id)
            self._articles_by_doc.setdefault(record["doc_id"], set()).add(record["article"])

    def read(self, question: str, *, region: str | None, as_of: date, conversation: Conversation | None) -> Reading:
        """The Reading of ``question``; the conversation (if any) takes the region and a tapped
        choice. Raises :class:`bot.guards.QuestionError` for input it cannot take."""
        text = clean_question(question, max_chars=self.settings.answer.max_question_chars)
        asked, follow_up = text, None
        if conversation is not None:
            region = region or conversation.region
            conversation.region = region
            choice = conversation.take_choice(text)  # records the fact given for its guide
            if choice:
                asked = choice[0]
            else:
                asked, follow_up = self._read_follow_up(text, conversation, region=region, as_of=as_of)
        asked = to_simplified(asked)  # 繁體 questions read against the simplified texts
        facts = dict(conversation.facts) if conversation is not None else {}
        lookup = asks_only_for_articles(asked, self._law_name_of)  # only then may a named article be cited first
        stated = asked if lookup else without_citation_instructions(asked, self._law_name_of)
        if not lookup:
            asked = without_article_mentions(asked, self._law_name_of)  # a question cannot choose its citation
        mentioned = self._named_articles(stated)  # the worker's own mentions: one that does not exist is said so
        named = mentioned if lookup else []
        refusal = self._refusal_for(text, asked, mentioned, stated)
        if refusal is None:
            refusal = refusal_of_its_own(to_simplified(text))  # read alone: a conversation's topic does not make it a labour question
        documents = self._named_documents(asked, as_of) if refusal is None else []
        said_before = conversation.turns[-1].said if conversation is not None and conversation.turns else ""
        return Reading(text=text, asked=asked, region=region, as_of=as_of, facts=facts, follow_up=follow_up,
                       named=named, documents=documents, refusal=refusal, said_before=said_before)

    def _refusal_for(self, text: str, asked: str, named: list, stated: str | None = None) -> Refusal | None:
        """The first reason to refuse the question without searching, in this order (``stated``: the
        question with its citation instructions taken out, where named laws are looked for)."""
        if looks_like_injection(text):
            return Refusal(Reason.INJECTION, "我只能根据劳动保障法规回答你遇到的实际问题，不能按要求改变规则。")
        unknown_law = self._unknown_law(stated if stated is not None else asked)
        if unknown_law:
            return Refusal(Reason.LAW_NOT_INDEXED, f"知识库里没有《{unknown_law}》的原文，不能告诉你它的条文。")
        missing = self._missing_articles(named)
        if missing:
            return Refusal(Reason.NO_SUCH_ARTICLE, f"知识库里的{missing}并不存在，请核对条文序号。")
        if asks_for_writing(asked):
            return Refusal(Reason.CHAT, "我只回答劳动保障方面的问题（工资、工伤、合同、社保、维权途径），写诗、讲故事这类请求做不了。")
        if outside_labour_law(asked):
            return Refusal(Reason.OTHER_LAW, "这个问题不属于劳动保障政策的范围，知识库里没有相关规定。")
        if mentions_foreign_law(asked):
            return Refusal(Reason.FOREIGN_LAW, "我只能回答中国内地的劳动保障规定，其他国家和地区的法律不在知识库里。")
        return None

    def _read_follow_up(self, text: str, conversation: Conversation, *, region: str | None, as_of: date) -> tuple[str, "FollowUp | None"]:
        """What to search for when there is a turn before: a follow-up (it leans on the previous
        question by its words, or it is out of scope alone but in scope with the previous question,
        by the calibrated in-scope model) is joined to it, with the aspect it asks for."""
        if not conversation.last_asked:
            return text, None
        last = conversation.turns[-1]
        previous = FollowUp(aspect=asked_aspect(text), previous=last.conclusion, said=last.said,
                            cited=tuple(last.cited), referrals=tuple(last.referrals), topic=last.topic or last.asked)
        rewritten = rewrite_follow_up(text, conversation)
        if rewritten != text:  # it leans on the question before by its words
            if previous.aspect is None and len(text) > BARE_CONTINUATION_CHARS:
                # 「那明天天气咋样」 starts like a continuation but asks nothing of the route: read with the
                # topic only when it is not out of scope alone
                alone = self.retriever.search(to_simplified(text), region=region, as_of=as_of)
                if alone.in_scope < FOLLOW_UP_SCOPE_FLOOR:
                    return text, None
            return rewritten, previous
        joined = joined_with_previous(text, conversation)
        alone = self.retriever.search(to_simplified(text), region=region, as_of=as_of)
        if alone.in_scope >= alone.answer_above or alone.in_scope < FOLLOW_UP_SCOPE_FLOOR:
            return text, None
        together = self.retriever.search(to_simplified(joined), region=region, as_of=as_of)
        return (joined, previous) if together.in_scope >= together.answer_above else (text, None)

    def _named_documents(self, text: str, as_of: date) -> list:
        """Catalog documents without indexed text that the question names (title, short name, 文号
        or a common alias such as 「56号文」), in force on ``as_of``; the longest name wins, at most two."""
        wanted = normalise_doc_name(text)
        found: dict[str, tuple[int, object]] = {}
        for entry in self.catalog:
            if entry.sources or not entry.in_force(as_of):
                continue  # texts are found article by article by the retriever
            for name in entry.names():
                if normalise_doc_name(name) in wanted:
                    found[entry.id] = max(found.get(entry.id, (0, entry)), (len(name), entry), key=lambda x: x[0])
        if not found:
            return []
        best = max(length for length, _ in found.values())
        return [entry for length, entry in sorted(found.values(), key=lambda x: -x[0]) if length == best][:2]

    def _law_of(self, name: str):
        """The catalog entry whose short name (or title) the user's law name ends with."""
        name = name.strip("《》 的")
        best = None
        for entry in self.catalog.with_text():
            for candidate in (entry.title, entry.short_name):
                if candidate and name.endswith(candidate) and (best is None or len(candidate) > best[1]):
                    best = (entry, len(candidate))
        return best[0] if best else None

    def _law_name_of(self, name: str) -> str | None:
        """The indexed law's name (title or short name) that ``name`` ends with."""
        entry = self._law_of(name)
        if entry is None:
            return None
        stripped = name.strip("《》 的")
        return max((c for c in (entry.title, entry.short_name) if c and stripped.endswith(c)), key=len, default=None)

    def _unknown_law(self, text: str) -> str:
        """The name of a law whose article the question asks for («职业病防治法第三十五条») when the
        knowledge base has neither its text nor a catalog entry for it; empty otherwise."""
        for ref in article_refs(text):
            name = ref.law.strip("《》 的")
            if len(name) < 3 or not re.search(r"(法|条例|规定|办法|解释|细则)$", name):
                continue
            if self._law_of(name) is None and not any(normalise_doc_name(name) in normalise_doc_name(n) for e in self.catalog for n in e.names()):
                return name
        return ""

    def _named_articles(self, text: str) -> list[tuple[object, str]]:
        """(catalog entry, ``第X条``) for each article the question names of an indexed law."""
        return [(entry, ref.label) for ref in article_refs(text) if (entry := self._law_of(ref.law))]

    def _missing_articles(self, named: list[tuple[object, str]]) -> str:
        """「劳动法第二百条」 → "《劳动法》第二百条" when that law is indexed but has no such article."""
        for entry, label in named:
            if label not in self._articles_by_doc.get(entry.id, set()):
                return f"《{entry.short_name}》{label}"
        return ""


_PROBLEM = re.compile(
    r"怎么办|咋办|咋整|咋弄|怎么弄|怎么处理|怎么维权|维权|投诉|举报|告他|告公司|起诉|仲裁|要回|讨薪|讨回|不给|不发|没发|拖欠|欠薪|欠我|克扣|扣了|扣我|扣钱|"
    r"罚款|罚了|罚我|辞退|开除|炒了|赶走|不让|不签|不交|不缴|没交|没缴|受伤|摔|撞了|砸伤|骨折|伤了|工伤|职业病|尘肺|赔偿|赔钱|不赔|押金|扣押|强迫|逼我|违法|"
    r"让我走|走人|不用来|不要我了|岗位没了|自己扛|不认|不管|合理吗|合法吗|违法吗|能这样吗|还能补|后悔|没见过合同|"
    r"不肯|拒绝|不同意|少给|克扣|拖着|欺负|骗|坑|威胁|强制|违规|不合理|不公平|凭什么|能要|要求赔|索赔|申诉|帮帮|有什么办法|咋个办|"
    r"what can i do|what should i do|not paid|unpaid|fired|injured|complain|allowed|legal\?|refus|won't pay|owe|deduct|cheat|help me"
)


_STATUS_GIVEN = re.compile(
    r"劳动合同|签了合同|没签合同|没有合同|员工|专送|众包|(?<!说我是)(?<!让我注册)(?<!注册成)(?<!算)个体户|兼职|外包|劳务|合作协议|承揽|派遣|正式工|临时工|上班|发工资|月薪|底薪|考勤|contract|employee"
)
"""Words that say what the work relation is. A label the platform puts on the worker («平台说我是个体户»,
«让我注册个体户») does not: whether there is a 劳动关系 is decided by the facts, so it is still asked."""


def needs_employment_status(question: str) -> bool:
    """A platform worker's problem whose answer turns on whether they are an employee (工伤 vs
    职业伤害保障, 仲裁 vs civil claim), when the question does not say."""
    return about_platform_work(question) and bool(_PROBLEM.search(question.lower())) and not _STATUS_GIVEN.search(question)


_INFORMATION_ONLY = re.compile(
    r"第[一二三四五六七八九十百零〇\d]+条.{0,6}(怎么|如何)?(规定|说|讲|写)|是怎么规定的|是什么意思|什么意思|讲的是什么|讲的啥|说了什么|说的啥|"
    r"什么是|是指什么|指的是|定义|哪一年|哪个部门发|文号|what does .* say|what is (a|an|the) "
)


def describes_problem(question: str) -> bool:
    """Whether the answer should carry a 行动清单: the worker describes something that went wrong —
    or at least does not merely ask what a text says. Workers ask because something happened to
    them, so only a pure lookup («第十条是怎么规定的», «什么是非全日制用工») goes without one."""
    text = question.lower()
    return bool(_PROBLEM.search(text)) or not _INFORMATION_ONLY.search(text)


_PLATFORM_WORK = re.compile(
    r"平台|外卖|骑手|騎手|跑单|跑單|接单|接單|派单|派單|网约|網約|快递|快遞|主播|代驾|代駕|众包|眾包|专送|货拉拉|滴滴|美团|美團|"
    r"饿了么|闪送|新就业形态|新就業形態|灵活就业|個體戶|个体户|职业伤害|職業傷害|rider|delivery|platform|gig"
)


def about_platform_work(question: str) -> bool:
    """Questions from platform workers: the new-employment-form policies (as 要点) are relevant."""
    return bool(_PLATFORM_WORK.search(question.lower()))


_BRACKETS = str.maketrans({"〔": "(", "［": "(", "[": "(", "【": "(", "（": "(", "〕": ")", "］": ")", "]": ")", "】": ")", "）": ")", " ": None, "　": None, "—": "-", "－": "-"})


def normalise_doc_name(text: str) -> str:
    """Names compared loosely: 〔2021〕, [2021], （2021） and (2021) are the same; spaces dropped."""
    return text.translate(_BRACKETS)


__all__ = ["FollowUp", "QuestionReader", "Reading", "Refusal", "about_platform_work", "describes_problem", "needs_employment_status"]
