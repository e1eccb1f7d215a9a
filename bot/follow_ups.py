"""A follow-up answered from the previous answer's route (issue 15 §3).

「那去哪儿办」「要带啥」「多久有结果」「他不给咋办」 ask the where / what / how-long / next step of the
procedure the previous answer was about. The previous turn remembers its route — the articles it
cited first and the offices it referred to (:class:`bot.conversation.Turn`) — and the answer to the
follow-up is chosen from that route and from what the follow-up itself retrieves:

- the candidates are the articles that *state* the aspect asked (an office one applies to, the
  materials, a period for deciding, a time limit, the next remedy — :func:`bot.conversation.states_aspect`):
  among the follow-up's own ranked articles, the articles of the documents the previous answer cited,
  and the articles that back the offices it referred to (the 劳动保障监察 referral rests on
  《劳动保障监察条例》第九条, 仲裁 on the 时效 article);
- the one whose text is closest to the follow-up read with its topic (the retriever's embeddings)
  leads, unless it is what the previous answer already led with;
- the conclusion is the clause of that article's plain rule that states the aspect (「单位没申请的，
  你或近亲属、工会可在…1年内直接申请」 for 「家属最晚多久之内得去申请」), never the previous
  conclusion again.

Nothing here ranks the corpus or composes the whole answer; :mod:`bot.compose` calls it."""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bot.conversation import Aspect, states_aspect
from kb.keywords import tokenize

TOPIC_WEIGHT = 0.5
"""How much the thread's topic counts beside the follow-up's own words when the lead article is
chosen among those stating the aspect (:func:`closest_candidate`; chosen on the dev conversations)."""

ROUTE_DOCUMENTS = 3
"""How many of the previous answer's cited documents the candidates are drawn from (in citation order)."""


@dataclass(frozen=True)
class Route:
    """What the previous answer was about: its first law citations and the offices it referred to."""

    cited: tuple[str, ...] = ()
    """``doc_id|article`` of its first law citations, in order."""
    offices: tuple[tuple[str, str], ...] = ()
    """(doc_id, article) backing each referral it gave (劳动保障监察 → 《劳动保障监察条例》第九条)."""

    def documents(self, *, limit: int = ROUTE_DOCUMENTS) -> list[str]:
        """The documents it cited, first cited first, at most ``limit``."""
        docs = list(dict.fromkeys(key.split("|", 1)[0] for key in self.cited if "|" in key))
        return docs[:limit]


def candidates(aspect: Aspect, *, ranked: Iterable[tuple[str, str]], route: Route,
               article_texts: Mapping[tuple[str, str], str], previous: str = "") -> list[tuple[str, str]]:
    """The articles that state ``aspect``: the follow-up's own ranked ones first, then the articles of
    the route's documents (in their order in the index), then those backing the route's offices —
    without the article the previous answer led with (``previous``: ``doc_id|article``)."""
    docs = set(route.documents())
    pool = [*ranked, *(key for key in article_texts if key[0] in docs), *route.offices]
    out = []
    for key in dict.fromkeys(pool):
        text = article_texts.get(key)
        if text and f"{key[0]}|{key[1]}" != previous and states_aspect(text, aspect):
            out.append(key)
    return out


def closest_candidate(own: str, topic: str, keys: list[tuple[str, str]], *, article_texts: Mapping[tuple[str, str], str],
                      similarities: Callable[[str, list[str]], Sequence[float]], topic_weight: float | None = None) -> tuple[str, str] | None:
    """The candidate closest to the follow-up: its similarity to the worker's own words (``own``:
    「要带啥材料过去」 says what is asked) plus ``topic_weight`` times its similarity to the thread's
    topic (``topic``: which procedure it is asked of) — by the retriever's embeddings
    (``similarities``); None without candidates. Own words alone pick an article of another
    procedure that happens to say 材料; the topic alone drowns what is asked."""
    if not keys:
        return None
    weight = TOPIC_WEIGHT if topic_weight is None else topic_weight
    texts = [article_texts[k] for k in keys]
    scores = np.asarray(similarities(own, texts), dtype=float)
    if topic and weight:
        scores = scores + weight * np.asarray(similarities(topic, texts), dtype=float)
    return keys[int(np.argmax(scores))]


_CLAUSE_END = re.compile(r"(?<=[。；！？])")


def aspect_clause(rule: str, aspect: Aspect | None, question: str, *, max_chars: int = 80) -> str:
    """The clause (up to 。 or ；) of a plain rule that answers the follow-up: among the clauses that
    state ``aspect`` (or all, without one), the one sharing most words with ``question`` — the first
    on a tie —, ending in 。; empty when no clause of 8 to ``max_chars`` characters does."""
    clauses = [c.strip() for c in _CLAUSE_END.split(rule) if c.strip()]
    fitting = [c for c in clauses if 8 <= len(c) <= max_chars + 1 and (aspect is None or _states_in_words(c, aspect))]
    if not fitting:
        return ""
    words = {w for w in tokenize(question) if len(w) >= 2}
    best = max(fitting, key=lambda c: (len(words & set(tokenize(c))), -fitting.index(c)))
    return best[:-1] + "。" if best[-1] in "；，" else best


_STATED_IN_WORDS = {
    Aspect.WHERE: re.compile(r"向|到|找|部门|人社|社保|仲裁委|监察|法院|机构|工会|调解组织|申请|投诉"),
    Aspect.WHAT: re.compile(r"材料|申请表|证明|提交|提供|带上|申请书|证据"),
    Aspect.HOW_LONG: re.compile(r"(\d+|[一二三四五六七八九十]+)个?(工作)?(日|天|个月)内?[^。；]{0,14}(作出|决定|结论|结果|完成|办结|答复|审结|结案|查完|处理完)"
                                r"|(作出|完成|办结|审结)[^。；]{0,12}(\d+|[一二三四五六七八九十]+)个?(工作)?(日|天)|延长|最长"),
    Aspect.DEADLINE: re.compile(r"\d+(年|个月|日|天)内|[一二三四五六七八九十]+(年|个月|日|天)内|时效|中断|重新计算|之日起|起算"),
    Aspect.HOW_MUCH: re.compile(r"\d|元|倍|%|个月工资|补助金|津贴|标准"),
    Aspect.WHAT_IF: re.compile(r"仲裁|起诉|法院|复议|诉讼|支付令|强制执行|先行支付|追偿|投诉|举报|责令"),
}
"""How a plain rule (the project's everyday words, not the article's) states each aspect."""


def _states_in_words(clause: str, aspect: Aspect) -> bool:
    return bool(_STATED_IN_WORDS[aspect].search(clause))


def without_marks(point: str) -> str:
    """A point as a sentence: its 「《…》第N条：」 label and its ``[n]`` markers taken off."""
    text = re.sub(r"\[\d+\]", "", point).strip()
    return re.sub(r"^《[^》]+》[^：]{0,20}：", "", text).strip()


def not_said_again(conclusion: str, said: str, alternatives: Iterable[str], *, max_chars: int = 85) -> str:
    """``conclusion`` unless the worker read it in the previous answer (``said``): then the first of
    ``alternatives`` (sentences in the order the answer gives them) that is new and short enough —
    its first clause when it is long —, or ``conclusion`` when none is."""
    if not said or conclusion != said:
        return conclusion
    for text in alternatives:
        text = text.strip()
        if len(text) > max_chars:
            text = next((c for c in _CLAUSE_END.split(text) if 8 <= len(c) <= max_chars), "")
            text = text[:-1] + "。" if text and text[-1] in "；，" else text
        if text and text != said and not said.startswith(text.rstrip("。")):
            return text
    return conclusion


__all__ = ["ROUTE_DOCUMENTS", "TOPIC_WEIGHT", "Route", "aspect_clause", "candidates", "closest_candidate", "not_said_again", "without_marks"]
