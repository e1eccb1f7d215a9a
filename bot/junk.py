"""Junk in the staff's lists: what a worker typed that is no question at all (「啊啊啊啊」, 「？？？」,
「123」, 「ok」), and the same words sent again. The staff queue and the dashboard's 「最需要审核答案
的问题」 put such input in a collapsed 「无效输入」 group instead of at the top.

Only for ordering what staff see: nothing is deleted, and a worker is never told their input was junk.
"""
from __future__ import annotations

import re
from collections import Counter
from enum import StrEnum

MIN_CHARS = 4
"""Fewer Han characters and letters than this is not a question one can vet (「工伤」 alone is a topic)."""


class Junk(StrEnum):
    EMPTY = "清理后是空的"
    NO_CHINESE = "没有中文"
    TOO_SHORT = "太短"
    REPEATED = "重复的字"
    DUPLICATE = "重复提交"


_HAN = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[\u3400-\u9fffA-Za-z]")


def junk_reason(text: str | None) -> Junk | None:
    """Why ``text`` is no question (None: it may be one). Masks the redaction left (「〔手机号〕」) do not count."""
    words = "".join(_WORD.findall(re.sub(r"[\[〔][^\]〕]{1,8}[\]〕]", "", text or "")))
    if not words:
        return Junk.EMPTY
    if not _HAN.search(words):
        return Junk.NO_CHINESE
    if len(words) < MIN_CHARS:
        return Junk.TOO_SHORT
    counts = Counter(words)
    if len(counts) <= 2 or counts.most_common(1)[0][1] * 2 > len(words):
        return Junk.REPEATED
    return None


def normalised(text: str | None) -> str:
    """The words of ``text`` only (no spaces, punctuation, case): 「工伤 怎么认定？」 = 「工伤怎么认定」."""
    return "".join(_WORD.findall(text or "")).lower()


def split_junk(items: list, text=lambda item: item) -> tuple[list, list[tuple[object, Junk]]]:
    """(the items that may be questions, in order; the junk with its reason). The second and later
    items with the same words as an earlier one are :attr:`Junk.DUPLICATE`."""
    kept, junk, seen = [], [], set()
    for item in items:
        words = text(item)
        reason = junk_reason(words)
        if reason is None and normalised(words) in seen:
            reason = Junk.DUPLICATE
        if reason is None:
            seen.add(normalised(words))
            kept.append(item)
        else:
            junk.append((item, reason))
    return kept, junk


__all__ = ["Junk", "junk_reason", "split_junk", "normalised", "MIN_CHARS"]
