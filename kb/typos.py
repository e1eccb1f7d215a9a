"""Read a question with its pinyin-input typos corrected (工商 → 工伤, 双陪 → 双倍, 重裁 → 仲裁).

Workers type on a phone with pinyin input; a wrong homophone hides the question from the dense
model (a different word, a different vector) and from BM25 alike. ``corpus/typos.yaml`` lists the
typos that, in questions about work, are practically never the word meant; :func:`correct_typos`
replaces them, longest first, and leaves alone a typo followed by a word that makes it right
or preceded by one (「工商局」, 「个体工商户」, 「市工商」). The retriever applies it to every query; the worker's text is shown as typed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from common.files import read_yaml

TYPOS_FILE = Path(__file__).resolve().parent.parent / "corpus" / "typos.yaml"


@dataclass(frozen=True)
class Typo:
    typo: str
    word: str
    unless_followed_by: tuple[str, ...] = ()
    unless_preceded_by: tuple[str, ...] = ()


def load_typos(path: Path = TYPOS_FILE) -> list[Typo]:
    """The typo table, longest typos first (so 工伤认证 is corrected before 工伤 … would be)."""
    raw = read_yaml(path, error=ValueError, zh="错别字表", en="the typo table") or {}
    typos = [Typo(str(t["typo"]), str(t["word"]), tuple(t.get("unless_followed_by") or ()), tuple(t.get("unless_preceded_by") or ()))
             for t in raw.get("typos") or []]
    return sorted(typos, key=lambda t: -len(t.typo))


@lru_cache(maxsize=4)
def _pattern(path: Path) -> tuple[re.Pattern, dict[str, Typo]]:
    typos = load_typos(path)
    parts = []
    for t in typos:
        after = f"(?!{'|'.join(map(re.escape, t.unless_followed_by))})" if t.unless_followed_by else ""
        before = "".join(f"(?<!{re.escape(w)})" for w in t.unless_preceded_by)  # one lookbehind per width
        parts.append(before + re.escape(t.typo) + after)
    return re.compile("|".join(parts)), {t.typo: t for t in typos}


def correct_typos(text: str, path: Path = TYPOS_FILE) -> str:
    """``text`` with each listed typo replaced by the word meant (same length, so offsets hold)."""
    if not text or text.isascii():
        return text
    pattern, by_typo = _pattern(Path(path))
    return pattern.sub(lambda m: by_typo[m.group(0)].word, text)


__all__ = ["Typo", "load_typos", "correct_typos"]
