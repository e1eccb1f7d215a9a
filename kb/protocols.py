"""The seams of the knowledge base: what the rest of laoquan may rely on, as ``typing.Protocol``s.

:class:`kb.embeddings.Embedder` (e5 through sentence-transformers), :class:`kb.store.VectorStore`
(Chroma) and :class:`kb.retriever.HybridRetriever` implement them; the unit tests use the small fakes
in ``tests/fakes.py`` (a hashing embedder, an in-memory store, a retriever over a few passages), so
only the integration tests need the model, a real Chroma and the sources folder.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from kb.retriever import Hit, Retrieval
    from kb.store import DenseMatch


@runtime_checkable
class Embedder(Protocol):
    """Texts to L2-normalised float32 vectors (a dot product is the cosine)."""

    dim: int

    def embed_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Vectors (n, dim) of texts to be searched."""

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, dim) of questions."""

    def embed_query(self, text: str) -> np.ndarray:
        """Vector (dim,) of one question."""


@runtime_checkable
class Store(Protocol):
    """One collection of vectors with their texts and metadata (the index's store of record)."""

    name: str

    def count(self) -> int: ...

    def stored_hashes(self) -> dict[str, tuple[str, str]]:
        """chunk id → (content hash, record hash) of everything stored."""

    def embeddings_for(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vector of each id that is there."""

    def upsert(self, ids: list[str], embeddings: np.ndarray, documents: list[str], metadatas: list[dict]) -> None: ...

    def delete(self, ids: list[str]) -> None: ...

    def search(self, vector: np.ndarray, *, k: int, regions: tuple[str, ...] | None = None, as_of: date | None = None) -> list["DenseMatch"]: ...


@runtime_checkable
class Retriever(Protocol):
    """Ranked passages for a question: the articles in the learned ranker's order, the best 要点
    beside them, and lookups by name. It knows nothing of guides, answers or pages."""

    embedder: Embedder
    generation: int
    collection: str

    def search(self, query: str, *, k: int | None = None, region: str | None = None, as_of: date | None = None) -> "Retrieval": ...

    def lookup(self, doc_id: str, article: str, *, query: str = "", containing: str = "") -> "Hit | None": ...

    def lookup_note(self, doc_id: str, point_id: str) -> "Hit | None": ...

    def search_notes(self, query: str, *, k: int = 3, region: str | None = None, as_of: date | None = None,
                     vector: np.ndarray | None = None, doc_id: str | None = None) -> list["Hit"]: ...

    def query_vector(self, query: str) -> np.ndarray:
        """The embedding of ``query`` as the retriever reads it (recent ones are kept: :mod:`kb.query_vectors`)."""

    def closest(self, query: str, texts: Sequence[str]) -> int:
        """Index of the text most similar to ``query``."""

    def similarities(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """The similarity of each text to ``query`` (what :meth:`closest` takes the best of)."""

    def applies(self, chunk_id: str, *, as_of: date, regions: tuple[str, ...]) -> bool:
        """Whether a passage is in force on ``as_of`` and belongs to one of ``regions``."""

    def record(self, chunk_id: str) -> dict: ...

    def chunk_ids(self) -> list[str]: ...

    def article_texts(self) -> dict[tuple[str, str], str]: ...


__all__ = ["Embedder", "Retriever", "Store"]
