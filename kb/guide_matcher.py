"""Which 办事指南 (corpus/guides) a worker's question is about: dense similarity to the guides'
own worker phrasings.

The phrasings are embedded once and cached by content hash in ``data/index/guide_vectors.npz``
(a phrasing already embedded is never embedded again); ``laoquan index`` fills the cache, and a
retriever that finds a phrasing missing from it embeds that one in memory.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.guides import Guide, load_guides
from common.files import write_atomic

CACHE_NAME = "guide_vectors.npz"


@dataclass(frozen=True)
class GuideMatch:
    guide: Guide
    similarity: float
    question: str
    """The guide phrasing closest to the worker's question."""


def _key(text: str) -> str:
    return hashlib.sha256(("query: " + text).encode("utf-8")).hexdigest()


def _read_cache(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        return {}
    try:
        with np.load(path) as data:
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, ValueError, KeyError):
        return {}  # a damaged cache is rebuilt, never trusted


def build_guide_vectors(guides: list[Guide], index_dir: Path, *, get_embedder) -> int:
    """Embed the phrasings not yet in the cache and rewrite it atomically (dropping phrasings no
    guide has any more). ``get_embedder()`` is called only when something needs embedding.
    Returns how many phrasings were embedded."""
    path = index_dir / CACHE_NAME
    cache = _read_cache(path)
    wanted = {_key(q): q for g in guides if g.use == "match" for q in g.questions}
    missing = [k for k in wanted if k not in cache]
    if missing:
        vectors = get_embedder().embed_queries([wanted[k] for k in missing])
        cache.update(zip(missing, vectors))
    keep = sorted(wanted)
    if missing or set(cache) != set(keep):
        buffer = io.BytesIO()
        # No phrasings: an empty matrix (its width is never read; no embedder is loaded to learn it).
        matrix = np.stack([cache[k] for k in keep]).astype(np.float32) if keep else np.zeros((0, 0), np.float32)
        np.savez(buffer, keys=np.array(keep), vectors=matrix)
        index_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(path, buffer.getvalue())
    return len(missing)


class GuideMatcher:
    """Holds every phrasing's vector in memory (a few hundred rows) and ranks guides by their best one."""

    def __init__(self, guides: list[Guide], index_dir: Path, *, embedder):
        self.guides = {g.id: g for g in guides}
        self.fallbacks = [g for g in guides if g.use == "fallback"]
        """General routes for problems no guide fits (their 行动清单 and referrals): the ones with
        ``when`` words first, then the catch-all."""
        self.fallbacks.sort(key=lambda g: not g.when)
        guides = [g for g in guides if g.use == "match"]
        cache = _read_cache(index_dir / CACHE_NAME)
        rows, owners, texts = [], [], []
        missing = [(g, q) for g in guides for q in g.questions if _key(q) not in cache]
        fresh = embedder.embed_queries([q for _, q in missing]) if missing else []
        extra = {_key(q): v for (_, q), v in zip(missing, fresh)}
        for g in guides:
            for q in g.questions:
                rows.append(cache.get(_key(q), extra.get(_key(q))))
                owners.append(g.id)
                texts.append(q)
        self._owners = owners
        self._texts = texts
        self._matrix = np.stack(rows).astype(np.float32) if rows else np.zeros((0, embedder.dim), np.float32)

    def __len__(self) -> int:
        return len(self.guides)

    def fallback_for(self, question: str) -> Guide | None:
        """The general route for a problem: the first whose ``when`` words the question has, else the catch-all."""
        text = question.lower()
        return next((g for g in self.fallbacks if not g.when or any(w.lower() in text for w in g.when)), None)

    def match(self, vector: np.ndarray, *, k: int = 3) -> list[GuideMatch]:
        """The ``k`` best guides for a query vector, each with its best phrasing's similarity."""
        if not len(self._owners):
            return []
        sims = self._matrix @ vector
        best: dict[str, tuple[float, str]] = {}
        for owner, text, sim in zip(self._owners, self._texts, sims):
            if owner not in best or sim > best[owner][0]:
                best[owner] = (float(sim), text)
        ranked = sorted(best.items(), key=lambda kv: -kv[1][0])[:k]
        return [GuideMatch(self.guides[g], sim, text) for g, (sim, text) in ranked]


def load_guide_matcher(guides_dir: Path, index_dir: Path, *, embedder) -> GuideMatcher:
    return GuideMatcher(load_guides(guides_dir), index_dir, embedder=embedder)
