"""The textbook baseline the report compares against, run over the same texts in the same process:
LangChain's ``RecursiveCharacterTextSplitter`` (1000 characters, 200 overlap) and dense top-4.

Its chunks cut across articles, so each returned chunk is credited with every article whose
heading it contains plus the article it starts inside. Vectors are cached by chunk text under the
data folder so that a second eval run does not embed the baseline again.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from corpus.catalog import Catalog
from kb.load import load_source

_HEADING = re.compile(r"(?m)^第[一二三四五六七八九十百千零〇两]+条(?=\s)")


class TextbookBaseline:
    top_k = 4

    def __init__(self, *, catalog: Catalog, sources: Path, embedder, cache_dir: Path):
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        self.embedder = embedder
        self.chunks: list[tuple[str, list[str], str]] = []  # (doc_id, articles, text)
        for entry in catalog.with_text():
            text = load_source(sources / entry.primary_source.path, format=entry.primary_source.format).text
            headings = [(m.start(), m.group(0)) for m in _HEADING.finditer(text)]
            for doc in splitter.create_documents([text]):
                start = doc.metadata["start_index"]
                end = start + len(doc.page_content)
                inside = [h for pos, h in headings if start <= pos < end]
                before = [h for pos, h in headings if pos < start]
                articles = ([before[-1]] if before else []) + inside
                self.chunks.append((entry.id, articles or ["全文"], doc.page_content))
        self.vectors = self._cached_vectors(cache_dir)

    def _cached_vectors(self, cache_dir: Path) -> np.ndarray:
        texts = [text for _, _, text in self.chunks]
        key = hashlib.sha256("\u0000".join(texts).encode()).hexdigest()[:16]
        path = cache_dir / f"baseline-{key}.npy"
        if path.is_file():
            return np.load(path)
        vectors = self.embedder.embed_passages(texts)
        cache_dir.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors

    def search(self, question: str) -> list[tuple[str, str]]:
        """(doc_id, article) pairs of the top-4 chunks, in rank order."""
        scores = self.vectors @ self.embedder.embed_query(question)
        ranked = []
        for i in np.argsort(-scores)[: self.top_k]:
            doc_id, articles, _ = self.chunks[i]
            ranked.extend((doc_id, a) for a in articles)
        return ranked

