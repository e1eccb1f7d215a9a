"""Split a legal text along its own structure: 章 / 节 / 条, keeping the 款 and 项 of an article together.

One chunk is one article (条). An article too long for the embedding model (512 tokens) is split at
款 boundaries, an item list (项) staying with the paragraph that introduces it; only a single
paragraph longer than the budget is cut, at sentence ends. Texts without articles (a notice, a
collection of cases) are split at their headings instead. Every chunk knows its document,
chapter, section, article label, 款 range and pages, and its text is a verbatim slice of the
source (so it can be quoted); the text that is *embedded* also starts with the title and the
article heading, so that an article is found by the law's name and its place in the law.

The approach follows RAGFlow's ``rag/app/laws.py``: chunk by the law's own hierarchy, not by size.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kb.load import Line, SourceText
from kb.numerals import ARTICLE_LABEL, NUMERAL, chinese_numeral

ARTICLE_RE = re.compile(rf"^{ARTICLE_LABEL}(?=\s|$)")
CHAPTER_RE = re.compile(rf"^第{NUMERAL}[编章](\s|$)")
SECTION_RE = re.compile(rf"^第{NUMERAL}节(\s|$)")
ITEM_RE = re.compile(rf"^[（(]{NUMERAL}[）)]")

DEFAULT_MAX_TOKENS = 480
"""Budget for the embedded text: the model truncates at 512 tokens, and the title prefix needs room."""


@dataclass(frozen=True)
class Chunk:
    """A retrievable unit: one article (or one part of a long article) of one document."""

    doc_id: str
    title: str
    article: str
    """``第十四条``; ``案例三`` in a case collection; a heading or ``前言`` elsewhere."""
    text: str
    """Verbatim source text: the article's paragraphs joined by newlines."""
    chapter: str = ""
    section: str = ""
    part: int = 1
    parts: int = 1
    paragraphs: tuple[int, int] = (1, 1)
    """First and last 款 (paragraph) of the article that this chunk holds."""
    pages: tuple[int, ...] = ()
    metadata: dict = field(default_factory=dict, compare=False, hash=False)
    """Catalog metadata attached by the indexer (status, dates, region, 文号, URL …)."""

    @property
    def chunk_id(self) -> str:
        suffix = f"~{self.part}" if self.parts > 1 else ""
        return f"{self.doc_id}#{self.article}{suffix}"

    @property
    def embed_text(self) -> str:
        """What the embedding model and BM25 see: title, chapter, section, article heading, text."""
        head = " ".join(x for x in (self.title, self.chapter, self.section) if x)
        if not self.text.startswith(self.article):
            head = f"{head} {self.article}"
        return f"{head}\n{self.text}"

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.embed_text.encode("utf-8")).hexdigest()


def group_paragraphs(lines: list, *, text=lambda line: line) -> list[list]:
    """Lines of an article grouped into 款: each paragraph with the item lines (项) that follow it.
    ``text`` gives a line's text when the lines are not plain strings."""
    groups: list[list] = []
    for line in lines:
        if groups and ITEM_RE.match(text(line)):
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def split_articles(
    source: SourceText,
    *,
    doc_id: str,
    title: str,
    kind: str = "",
    max_tokens: int = DEFAULT_MAX_TOKENS,
    count_tokens: Callable[[str], int] = len,
) -> list[Chunk]:
    """Split ``source`` into chunks along its articles (or headings when it has no articles).

    ``count_tokens`` measures a text against ``max_tokens``; the default (characters) is a safe
    over-estimate for Chinese with the e5 tokenizer.
    """
    lines = list(source.lines)
    has_articles = any(ARTICLE_RE.match(line.text) for line in lines)
    units = _article_units(lines) if has_articles else _heading_units(lines, case_labels=kind == "典型案例")
    chunks: list[Chunk] = []
    for unit in units:
        budget = max_tokens - count_tokens(" ".join((title, unit.chapter, unit.section, unit.label))) - 4
        groups = _pack(unit.lines, budget, count_tokens)
        for number, (group, first_para, last_para) in enumerate(groups, start=1):
            pages = sorted({p for line in group for p in (line.page, line.last_page) if p is not None})
            chunks.append(
                Chunk(
                    doc_id=doc_id,
                    title=title,
                    article=unit.label,
                    text="\n".join(line.text for line in group),
                    chapter=unit.chapter,
                    section=unit.section,
                    part=number,
                    parts=len(groups),
                    paragraphs=(first_para, last_para),
                    pages=tuple(pages),
                )
            )
    return _unique_ids(chunks)


@dataclass
class _Unit:
    label: str
    chapter: str = ""
    section: str = ""
    lines: list[Line] = field(default_factory=list)


def _article_units(lines: list[Line]) -> list[_Unit]:
    units: list[_Unit] = []
    preamble = _Unit("前言")
    chapter = section = ""
    current: _Unit | None = None
    for line in lines:
        text = line.text
        if CHAPTER_RE.match(text) and len(text) < 40:
            chapter, section, current = text, "", None
            continue
        if SECTION_RE.match(text) and len(text) < 40:
            section, current = text, None
            continue
        m = ARTICLE_RE.match(text)
        if m:
            current = _Unit(m.group(0), chapter, section, [line])
            units.append(current)
        elif current is not None:
            current.lines.append(line)
        elif line.heading == 0 or units:
            preamble.lines.append(line)
    if sum(len(line.text) for line in preamble.lines) >= 30:
        units.insert(0, preamble)
    return units


def _heading_units(lines: list[Line], *, case_labels: bool) -> list[_Unit]:
    """Units at the highest heading level that has body text under it."""
    levels = sorted({line.heading for line in lines if line.heading})
    units: list[_Unit] = []
    preamble = _Unit("前言")
    top = levels[0] if levels else None
    current: _Unit | None = None
    for line in lines:
        if top is not None and line.heading == top:
            current = _Unit(line.text)
            units.append(current)
        elif current is not None:
            current.lines.append(line)
        else:
            preamble.lines.append(line)
    units = [u for u in units if u.lines]
    for unit in units:
        unit.lines.insert(0, Line(unit.label, heading=top or 0))
        if case_labels:
            unit.section = unit.label
    if case_labels:
        for number, unit in enumerate(units, start=1):
            unit.label = f"案例{chinese_numeral(number)}"
    if preamble.lines and sum(len(line.text) for line in preamble.lines) >= 30:
        units.insert(0, preamble)
    if not units:  # no headings at all: the whole text is one unit (split by size below)
        units = [_Unit("全文", lines=list(lines))]
    return units


def _pack(lines: list[Line], budget: int, count_tokens: Callable[[str], int]) -> list[tuple[list[Line], int, int]]:
    """Group an article's lines into chunks within ``budget``, breaking only between 款.

    Returns ``(lines, first 款, last 款)`` per chunk. A 款 is a paragraph with the item lines (项)
    that follow it; a 款 larger than the budget is packed line by line, and a line larger than
    the budget is cut at sentence ends.
    """
    paras = list(enumerate(group_paragraphs(lines, text=lambda line: line.text), start=1))  # (款 number, its lines)

    pieces: list[tuple[int, list[Line]]] = []
    for number, para_lines in paras:
        if count_tokens("\n".join(l.text for l in para_lines)) <= budget:
            pieces.append((number, para_lines))
            continue
        for line in para_lines:
            for sentence_group in _cut_line(line, budget, count_tokens):
                pieces.append((number, [sentence_group]))

    chunks: list[tuple[list[Line], int, int]] = []
    current: list[Line] = []
    first = last = 0
    for number, piece in pieces:
        candidate = current + piece
        if current and count_tokens("\n".join(l.text for l in candidate)) > budget:
            chunks.append((current, first, last))
            current, first = list(piece), number
        else:
            if not current:
                first = number
            current = candidate
        last = number
    if current:
        chunks.append((current, first, last))
    return chunks


def _cut_line(line: Line, budget: int, count_tokens: Callable[[str], int]) -> list[Line]:
    sentences = re.findall(r"[^。；！？]*[。；！？]|[^。；！？]+$", line.text)
    out: list[Line] = []
    buf = ""
    for sentence in sentences:
        if buf and count_tokens(buf + sentence) > budget:
            out.append(Line(buf, line.page, line.last_page, line.heading))
            buf = ""
        buf += sentence
    if buf:
        out.append(Line(buf, line.page, line.last_page, line.heading))
    return out


def _unique_ids(chunks: list[Chunk]) -> list[Chunk]:
    """Disambiguate repeated labels (two ``第一条`` in one text, two headings alike) by suffixing."""
    seen: dict[str, int] = {}
    out = []
    for chunk in chunks:
        key = chunk.chunk_id
        if key in seen:
            seen[key] += 1
            chunk = Chunk(**{**chunk.__dict__, "article": f"{chunk.article}（{seen[key]}）"})
        else:
            seen[key] = 1
        out.append(chunk)
    return out
