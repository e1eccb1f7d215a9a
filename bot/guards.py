"""Checks on a question before (and beside) retrieval: length, prompt injection, cited articles.

These are general rules about the *form* of a question, never about one particular question:
an instruction to ignore the rules, a request for the system prompt, or a reference to an
article number that the named law does not have.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from kb.split import parse_chinese_numeral


class QuestionError(ValueError):
    """A question the bot cannot take; ``message`` is for the user, in Chinese."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def clean_question(raw: str, *, max_chars: int) -> str:
    """Trim, drop control characters, refuse empty or overlong input (nothing is silently cut)."""
    if raw is None:
        raise QuestionError("请先输入你的问题。", code="empty")
    text = "".join(ch for ch in str(raw) if unicodedata.category(ch)[0] != "C" or ch in "\n\t")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise QuestionError("请先输入你的问题。", code="empty")
    if len(text) > max_chars:
        raise QuestionError(
            f"问题太长了（{len(text)} 字），请控制在 {max_chars} 字以内，说清楚发生了什么、想问什么就好。", code="too_long"
        )
    if not re.search(r"[\w\u4e00-\u9fff]", text):
        raise QuestionError("没看懂这个问题，请用文字描述一下你遇到的情况。", code="no_text")
    return text


_INJECTION = re.compile(
    r"忽略(以上|上面|之前|前面|所有|你的)|无视(以上|上面|之前|规则|你的)|不要管(以上|上面|规定|规则)|"
    r"(系统|system)\s*(提示|prompt)|提示词|你的(指令|设定|规则)是|扮演|越狱|"
    r"ignore (all |the |your |any )?(previous|prior|above|earlier)? ?(instructions|rules|prompts?)|"
    r"disregard (the |your |all )?(previous |above )?(instructions|rules)|system prompt|jailbreak|you are now",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """An attempt to change the bot's rules rather than ask about the worker's situation."""
    return bool(_INJECTION.search(text))


_NUM = "一二三四五六七八九十百千零〇两"
_ARTICLE_REF = re.compile(rf"《?([\u4e00-\u9fff（）()]{{2,40}}?)》?\s*第\s*([{_NUM}]+|\d+)\s*条")


@dataclass(frozen=True)
class ArticleRef:
    law: str
    """The law's name as the user wrote it."""
    number: int
    label: str
    """``第十四条``: the article heading as the texts write it."""


def article_refs(text: str) -> list[ArticleRef]:
    """Explicit article references like 「劳动合同法第八十二条」 or 「工伤保险条例第14条」."""
    from kb.split import chinese_numeral

    refs = []
    for m in _ARTICLE_REF.finditer(text):
        raw = m.group(2)
        try:
            number = int(raw) if raw.isdigit() else parse_chinese_numeral(raw)
        except ValueError:
            continue
        if number <= 0:
            continue
        refs.append(ArticleRef(law=m.group(1), number=number, label=f"第{chinese_numeral(number)}条"))
    return refs


_PLACES = (
    "美国|美國|日本|英国|英國|德国|德國|法国|法國|韩国|韓國|新加坡|加拿大|澳大利亚|澳大利亞|澳洲|新西兰|欧盟|歐盟|"
    "香港|澳门|澳門|台湾|台灣|泰国|越南|马来西亚|印度|俄罗斯|迪拜|沙特"
)
_LAW_WORDS = "法|规定|規定|政策|最低工资|最低工資|工资标准|加班|工伤|工傷|劳工|勞工|签证|簽證|社保|保险"
_FOREIGN = re.compile(rf"({_PLACES})[^，。？！,.?!]{{0,8}}?({_LAW_WORDS})")
_FOREIGN_EN = re.compile(
    r"\b(us|u\.s\.|usa|america|american|uk|britain|british|japan|japanese|hong kong|canada|canadian|australia|australian|"
    r"germany|german|france|french|singapore|california|new york|texas)\b",
    re.IGNORECASE,
)
_LAW_EN = re.compile(r"\b(law|laws|labor|labour|wage|wages|overtime|visa|legal|statute|osha|flsa)\b", re.IGNORECASE)


def mentions_foreign_law(text: str) -> bool:
    """A question about another country's or region's rules: the knowledge base holds mainland
    Chinese texts only, so such a question is refused rather than answered with the wrong law."""
    if _FOREIGN.search(text):
        return True
    return bool(_FOREIGN_EN.search(text) and _LAW_EN.search(text))
