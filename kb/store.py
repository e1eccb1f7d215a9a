"""The vector store: one Chroma collection of article vectors, local or on a Chroma server.

Only this module talks to Chroma. Vectors are always supplied by us (Chroma's default embedding
function would try to download a model), telemetry is off, and the metadata kept beside each
vector is what a filter needs: document, region, status and the dates in force as integers.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlparse

import numpy as np

from laoquan.settings import Settings

FAR_FUTURE = 99991231


def date_key(value: date | None, *, default: int = FAR_FUTURE) -> int:
    """2025-09-01 → 20250901, the form Chroma can compare."""
    return default if value is None else value.year * 10000 + value.month * 100 + value.day


@dataclass(frozen=True)
class DenseMatch:
    chunk_id: str
    similarity: float
    """Cosine similarity (1 − Chroma's cosine distance)."""
    kind: str = "article"
    """``article`` or ``question`` (a worker question standing for its article)."""


class VectorStore:
    """A Chroma collection with cosine distance, opened once per process."""

    def __init__(self, settings: Settings):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            self.client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
            )
        else:
            settings.chroma_dir.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)
        self.collection = self.client.get_or_create_collection(
            settings.collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def count(self) -> int:
        return self.collection.count()

    def stored_hashes(self) -> dict[str, tuple[str, str]]:
        """chunk id → (content hash, record hash) of everything in the collection."""
        got = self.collection.get(include=["metadatas"])
        return {
            i: ((m or {}).get("content_hash", ""), (m or {}).get("record_hash", ""))
            for i, m in zip(got["ids"], got["metadatas"])
        }

    def embeddings_for(self, ids: list[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self.collection.get(ids=ids, include=["embeddings"])
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}

    def upsert(self, ids: list[str], embeddings: np.ndarray, documents: list[str], metadatas: list[dict], *, batch: int = 500) -> None:
        for start in range(0, len(ids), batch):
            end = start + batch
            self.collection.upsert(
                ids=ids[start:end], embeddings=embeddings[start:end], documents=documents[start:end], metadatas=metadatas[start:end]
            )

    def delete(self, ids: list[str]) -> None:
        if ids:
            self.collection.delete(ids=ids)

    def search(self, vector: np.ndarray, *, k: int, regions: tuple[str, ...] | None = None, as_of: date | None = None) -> list[DenseMatch]:
        """Nearest chunks to ``vector`` that are in force on ``as_of`` and belong to one of ``regions``."""
        total = self.count()
        if total == 0:
            return []
        clauses = []
        if as_of is not None:
            key = date_key(as_of)
            clauses += [{"effective_from": {"$lte": key}}, {"effective_to": {"$gte": key}}]
        if regions:
            clauses.append({"region": {"$in": list(regions)}})
        where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
        result = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=min(k, total), where=where, include=["distances", "metadatas"]
        )
        return [
            DenseMatch(i, 1.0 - float(d), (m or {}).get("kind", "article"))
            for i, d, m in zip(result["ids"][0], result["distances"][0], result["metadatas"][0])
        ]
