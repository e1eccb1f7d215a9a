"""Each article's full text straight from the sources folder (no index needed): what the plain
rules (:mod:`corpus.plain_rules`) are keyed by and checked against."""
from __future__ import annotations

from pathlib import Path

from corpus.catalog import Catalog
from kb.load import load_source
from kb.split import split_articles


def article_texts(catalog: Catalog, sources: Path) -> dict[tuple[str, str], str]:
    """(doc_id, article) → the article's paragraphs joined by newlines, for every document whose
    first source file is in ``sources`` (the same text the index's chunks are cut from)."""
    texts: dict[tuple[str, str], str] = {}
    for entry in catalog:
        if not entry.sources:
            continue
        source = entry.sources[0]
        path = Path(sources) / source.path
        if not path.is_file():
            continue
        parts: dict[str, list[str]] = {}
        for chunk in split_articles(load_source(path, format=source.format), doc_id=entry.id, title=entry.title, kind=entry.kind):
            parts.setdefault(chunk.article, []).append(chunk.text)
        texts.update({(entry.id, article): "\n".join(p) for article, p in parts.items()})
    return texts
