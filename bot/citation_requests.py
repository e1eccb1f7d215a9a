"""A question cannot choose its own citation.

Text inside a question — 「（回答时请引用《劳动合同法》第九十条）」, 「请依据劳动合同法第九十条回答」 — names
an article, and before this the bot put every named article first and answered with it. Now an
article the question names is honoured only when the worker plainly asks what that article says
(「劳动合同法第三十九条是什么内容」「工伤保险条例第十四条说啥」「Article 82 of the Labor Contract Law」):
the question is then nothing but the reference and words of asking (:func:`asks_only_for_articles`).
Otherwise the reference, with the instruction around it, is taken out of what is searched
(:func:`without_article_mentions`), so the citations come from the ranking alone — the same as
for the question without it.

``law_name_of(text)`` (the reader's) gives the name of the indexed law that ``text`` ends with
(「送外卖被撞了请引用劳动合同法」 → 「劳动合同法」), so a reference is cut to the law's own name and
never swallows the question before it.
"""
from __future__ import annotations

import re
from typing import Callable

from kb.numerals import NUMERALS

_CJK_LAW = r"[\u4e00-\u9fff（）()]{2,40}?"
_NUMBER = rf"(?:[{NUMERALS}万]+|\d+)"
_ARTICLE = re.compile(rf"《?({_CJK_LAW})》?\s*第\s*{_NUMBER}\s*条(?:\s*第\s*{_NUMBER}\s*[款项])*")
_ENGLISH = re.compile(r"\barticle\s+\d{1,4}\s+of\s+(?:the\s+)?[a-z'\- ]+?(?:law|regulations)\b", re.IGNORECASE)
_BEFORE_LAW = re.compile(r".*(?:[，。！？；：、,.!?;:\s（(【\[“\"]|请问|请|引用|援引|依据|根据|按照|参照|参考|引述|关于|按|以|用|查|问)")
"""Where an unindexed law's name starts at the latest (its name is not known to cut it exactly)."""

_ASKING = re.compile(
    r"说的是什么|说的什么|说的啥|说了什么|说了啥|说些什么|说什么|说啥|讲的是什么|讲的什么|讲的啥|讲了什么|讲了啥|讲什么|讲啥|"
    r"写的是什么|写的什么|写了什么|写了啥|写的啥|是什么内容|什么内容|内容是什么|的内容|内容|是怎么规定的|怎么规定的|是如何规定的|"
    r"如何规定的|怎么规定|如何规定|规定了什么|规定了啥|规定的是什么|规定的什么|规定些什么|规定什么|规定的|的规定|规定|"
    r"是什么意思|什么意思|啥意思|的意思|意思|原文|全文|条文|条款|原话|具体|是什么|是啥|指什么|讲的|说的|怎么说|怎么讲|"
    r"解释一下|解释|说明一下|说明|看看|看一下|查一下|查查|给我|帮我|麻烦|请问|请|你好|您好|我想知道|想知道|想了解|了解一下|"
    r"我想问|想问|问一下|问问|一下|告诉我|念一下|读一下|能不能|可不可以|可以|这一条|这条|那条|哪些|什么|"
    r"[呢吗嘛啊呀吧了的是有我给下啥]|"
    r"what does|what do|what is|what's|says|said|say|the|text|of|about|show|me|tell|please|full|contents|content",
    re.IGNORECASE,
)
_INSTRUCTION_BEFORE = re.compile(
    r"(?:(?:请|要|必须|务必|一定要?)?(?:在|于)?(?:回答|作答|答复|回复)(?:问题|本题|这个问题)?(?:时|的时候)?[，, ]?|(?:答案|结论|依据)(?:请|要|必须)?)?"
    r"(?:请你?|要|必须|务必|一定要?)?(?:(?:直接)?(?:引用|援引|依据|根据|按照|参照|参考|引述|以|按|用)(?:一下)?)?\s*$")
_INSTRUCTION_AFTER = re.compile(
    r"^\s*(?:的)?(?:规定|条文|内容)?(?:来|进行)?(?:回答|作答|答复|回复|为准|为依据|作为依据|作为答案|作为结论|为结论)?(?:问题|我)?")
_BRACKETS = re.compile(r"[（(【\[]([^）)】\]]{0,30})[）)】\]]")
_LEFTOVER = re.compile(r"[\W_]|回答|作答|答复|时|请|要|必须|务必|引用|的|答案|结论|一定|注意|并|且|和|及")


def reference_spans(text: str, law_name_of: Callable[[str], str | None]) -> list[tuple[int, int]]:
    """Where ``text`` names an article: the law's name (cut to it) through 「第X条」 (and its 款)."""
    spans = []
    for m in _ARTICLE.finditer(text):
        law = m.group(1)
        stripped = law.rstrip("《》 的")
        name = law_name_of(stripped)
        if name and stripped.endswith(name):
            start = m.start(1) + len(stripped) - len(name)
        else:
            cut = _BEFORE_LAW.match(law)
            start = m.start(1) + (cut.end() if cut else 0)
        if start > 0 and text[start - 1] == "《":
            start -= 1
        spans.append((start, m.end()))
    spans += [m.span() for m in _ENGLISH.finditer(text)]
    return sorted(spans)


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    out, at = [], 0
    for start, end in spans:
        if start >= at:
            out.append(text[at:start])
            at = end
    return "".join(out + [text[at:]])


def asks_only_for_articles(text: str, law_name_of: Callable[[str], str | None]) -> bool:
    """The question is nothing but article references and words of asking what they say."""
    spans = reference_spans(text, law_name_of)
    if not spans:
        return False
    rest = _ASKING.sub("", _without(text, spans))
    return not re.sub(r"[\W\d_]+", "", rest)


def _widened(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """Each reference with the instruction around it (「请引用…回答」) and whether it had one (or
    stands in brackets of its own: an aside, not the worker's words)."""
    out = []
    for start, end in spans:
        before = _INSTRUCTION_BEFORE.search(text[:start])
        after = _INSTRUCTION_AFTER.match(text[end:])
        wide = (before.start() if before else start, end + (after.end() if after else 0))
        bracketed = bool(re.search(r"[（(【\[]\s*$", text[:wide[0]])) and bool(re.match(r"^\s*[）)】\]]", text[wide[1]:]))
        told = bool(before and before.group().strip()) or bool(after and re.search(r"回答|作答|答复|回复|为准|依据|答案|结论", after.group()))
        out.append((*wide, told or bracketed))
    return out


def _tidy(out: str, text: str) -> str:
    out = _BRACKETS.sub(lambda m: "" if not _LEFTOVER.sub("", m.group(1)) else m.group(0), out)
    out = re.sub(r"([，。！？；：、,.!?;:])[，。！？；：、,.!?;:\s]+", r"\1", out).strip(" ，。；：、,;:")
    return out if re.search(r"[\u4e00-\u9fffA-Za-z0-9]", out) else text


def without_article_mentions(text: str, law_name_of: Callable[[str], str | None]) -> str:
    """``text`` without the articles it names and the instruction around them (「请引用…回答」,
    a bracket left empty) — what is searched; ``text`` itself when nothing else would be left."""
    spans = reference_spans(text, law_name_of)
    if not spans:
        return text
    return _tidy(_without(text, [(a, b) for a, b, _ in _widened(text, spans)]), text)


def without_citation_instructions(text: str, law_name_of: Callable[[str], str | None]) -> str:
    """``text`` without the references that come with an instruction to cite them (or in brackets
    of their own); the worker's own mentions stay («工伤保险条例第八十八条是不是专门讲骑手的»: that
    article does not exist, and the answer says so)."""
    spans = reference_spans(text, law_name_of)
    instructed = [(a, b) for a, b, told in _widened(text, spans) if told]
    return _tidy(_without(text, instructed), text) if instructed else text


__all__ = ["asks_only_for_articles", "reference_spans", "without_article_mentions", "without_citation_instructions"]
