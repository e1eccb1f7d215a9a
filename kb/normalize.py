"""Repairs for text extracted from PDFs, kept apart from the loaders so each fix can be tested alone.

Text from Markdown and plain-text sources is *not* passed through these: its full-width punctuation
(，（）) is the official wording and quotes must stay verbatim. PDF text needs three repairs:

- ``fix_radicals``: some PDF producers (a browser printing a web page) emit Kangxi radicals and CJK
  radical supplements that look like ordinary characters (``⼈`` U+2F08 for 人, ``⺠`` U+2EA0 for 民).
  Kangxi radicals have an NFKC mapping; the supplement block does not, so it needs a map.
- ``is_page_mark``: page footers/headers such as ``—27—`` (sometimes in the middle of an article).
- ``join_wrapped_lines``: PDF lines are wrapped at the page width; paragraphs (款) must be rebuilt.
"""
from __future__ import annotations

import re
import unicodedata

from kb.numerals import NUMERAL

# CJK Radicals Supplement (U+2E80–U+2EFF) look-alikes seen in official PDFs, mapped to the
# ordinary ideograph. NFKC leaves this block alone (only U+2E9F and U+2EF3 have mappings).
RADICAL_SUPPLEMENT_MAP = {
    "\u2e80": "丶",
    "\u2e8c": "小",
    "\u2e8d": "小",
    "\u2e94": "彑",
    "\u2e95": "彐",
    "\u2e9b": "旡",
    "\u2e9f": "母",
    "\u2ea0": "民",
    "\u2ea7": "牛",
    "\u2eaa": "疋",
    "\u2eae": "竹",
    "\u2eb3": "网",
    "\u2eb6": "羊",
    "\u2eb7": "羊",
    "\u2ebc": "肉",
    "\u2ebe": "艸",
    "\u2eca": "西",
    "\u2ecc": "辶",
    "\u2ecd": "辶",
    "\u2ed1": "长",
    "\u2ed2": "長",
    "\u2ed4": "门",
    "\u2ed6": "阜",
    "\u2edd": "食",
    "\u2ee0": "饣",
    "\u2ee3": "骨",
    "\u2ee9": "黄",
    "\u2eeb": "齐",
    "\u2eed": "齿",
    "\u2eef": "龙",
    "\u2ef2": "亀",
    "\u2ef3": "龟",
}

_KANGXI = re.compile("[\u2f00-\u2fdf]")
_SUPPLEMENT = re.compile("[\u2e80-\u2eff]")


def fix_radicals(text: str) -> str:
    """Replace radical look-alikes with the ideographs they stand for; touch nothing else."""
    text = _KANGXI.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return _SUPPLEMENT.sub(lambda m: RADICAL_SUPPLEMENT_MAP.get(m.group(), m.group()), text)


_PAGE_MARK = re.compile(r"^\s*[—－\-–]{1,2}\s*\d{1,4}\s*[—－\-–]{1,2}\s*$|^\s*第\s*\d{1,4}\s*页(\s*共\s*\d+\s*页)?\s*$")


def is_page_mark(line: str) -> bool:
    """True for a line that is only a page number mark like ``—27—`` or ``第 3 页``."""
    return bool(_PAGE_MARK.match(line))


# A heading is followed by a space ("第四十六条 " starts an article; "第四十六条规定" wrapped to
# the start of a line is a cross-reference inside the previous paragraph).
_BLOCK_START = re.compile(
    rf"^(第{NUMERAL}[编章节条](之{NUMERAL})?\s|[（(]{NUMERAL}[）)]|{NUMERAL}、|目\s*录)"
)
_SENTENCE_END = tuple("。；：！？;:")


def _typical_width(lines: list[str]) -> int:
    """The most common length of long lines: the width at which the page wraps."""
    lengths = [len(line.strip()) for line in lines if len(line.strip()) >= 12]
    if not lengths:
        return 10**6
    return max(set(lengths), key=lambda n: (lengths.count(n), n))


def join_wrapped_lines(lines: list[tuple[str, int]]) -> list[tuple[str, int, int]]:
    """Rebuild paragraphs from ``(line, page)`` pairs hard-wrapped at the page width.

    Returns ``(paragraph, first_page, last_page)``. A line starts a new paragraph when it is
    indented (browser-printed PDFs indent each paragraph with ideographic spaces), when it starts
    a chapter, section, article or item (``第X章``, ``第X条``, ``（一）``), or when the previous
    line ended a sentence and was shorter than the page width. Otherwise it continues the previous
    line (Chinese needs no space at the join), possibly across a page break.
    """
    paragraphs: list[list] = []
    width = _typical_width([line for line, _ in lines])
    prev_raw = ""
    for raw, page in lines:
        if not raw.strip():
            prev_raw = ""
            continue
        stripped = re.sub(r"[ \u3000\xa0]+", " ", raw.strip().replace("\u3000", " ")).strip()
        indented = raw[:1] in (" ", "\u3000", "\xa0")
        starts_block = bool(_BLOCK_START.match(stripped))
        prev = prev_raw.strip()
        prev_closed = prev.endswith(_SENTENCE_END) and len(prev) < width - 1
        if not paragraphs or not prev_raw or indented or starts_block or prev_closed:
            paragraphs.append([stripped, page, page])
        else:
            paragraphs[-1][0] += stripped
            paragraphs[-1][2] = page
        prev_raw = raw
    return [(text, first, last) for text, first, last in paragraphs]
