"""Chinese numerals as the legal texts write them: the characters of a number in 第十四条, 第三章,
（一）, the pattern of an article label (``第十四条``, ``第十条之一``), and the conversions to and
from integers. One definition for the splitter (:mod:`kb.split`), the line joiner
(:mod:`kb.normalize`) and the question guards (:mod:`bot.guards`)."""
from __future__ import annotations

NUMERALS = "一二三四五六七八九十百千零〇两"
"""The characters of a Chinese numeral in an article, chapter, section or item number."""
NUMERAL = f"[{NUMERALS}]+"
"""Regex of one such number (``十四``, ``一百零八``)."""
ARTICLE_LABEL = rf"第({NUMERAL})条(之{NUMERAL})?"
"""Regex of an article label: group 1 is its number, group 2 the ``之一`` of an inserted article."""


def chinese_numeral(n: int) -> str:
    """1 → 一, 14 → 十四, 82 → 八十二, 120 → 一百二十 (as article numbers are written)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    rest = n % 100
    tail = "" if rest == 0 else ("零" + digits[rest] if rest < 10 else ("一" + chinese_numeral(rest) if rest < 20 else chinese_numeral(rest)))
    return digits[n // 100] + "百" + tail


def parse_chinese_numeral(text: str) -> int:
    """十四 → 14, 一百零八 → 108, 二百 → 200 (inverse of :func:`chinese_numeral`)."""
    values = {c: i for i, c in enumerate("零一二三四五六七八九")}
    values["两"] = 2
    total, current = 0, 0
    for ch in text:
        if ch in values:
            current = values[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "千":
            total += (current or 1) * 1000
            current = 0
        elif ch == "〇":
            current = 0
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + current
