"""Questions in 繁體字 read as simplified Chinese, the script of every text in the corpus.

A worker whose phone is set to traditional characters (or who comes from Hong Kong, Macau or
Taiwan) types 「職業傷害保障管不管我們」; the articles, the BM25 index, the concept lexicon and the
article-number patterns (第八十二条, not 條) are all simplified, so such a question used to be refused.
OpenCC's ``t2s`` conversion (the reference converter, phrase-aware: 乾淨 → 干净 but 乾隆 stays)
maps it first. It leaves simplified text as it is, so it is applied to every question.
"""
from __future__ import annotations

import threading

_LOCK = threading.Lock()
_CONVERTER = None


def to_simplified(text: str) -> str:
    """``text`` with traditional characters and phrases replaced by their simplified forms."""
    global _CONVERTER
    if not text or text.isascii():
        return text
    if _CONVERTER is None:
        with _LOCK:
            if _CONVERTER is None:
                import opencc

                _CONVERTER = opencc.OpenCC("t2s")
    return _CONVERTER.convert(text)


__all__ = ["to_simplified"]
