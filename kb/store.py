"""The vector store: Chroma collections of article vectors, local or on a Chroma server.

Only this module talks to Chroma. Vectors are always supplied by us (Chroma's default embedding
function would try to download a model), telemetry is off, and the metadata kept beside each
vector is what a filter needs: document, region, status and the dates in force as integers.

The index is kept in *generations* (see :mod:`kb.generations`): each is its own collection,
``<settings.index.collection>_g<N>``, written once by the index run that creates it and then only read.
:class:`VectorStore` opens one of them; :func:`generation_collections` lists them for clean-up.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlparse

import numpy as np

from common.files import write_atomic
from common.settings import Settings
from kb.faults import REBUILD_HINT, TEXT_HASH_KEY, IndexCorruptError, IndexFault, store_fault
from kb.generations import Pointer, generation_of, read_pointer

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


class CollectionMissingError(RuntimeError):
    """The collection a manifest names is not in the store (dropped, or another store is configured)."""


@contextmanager
def store_faults(what: str) -> Iterator[None]:
    """Turn a Chroma or SQLite error (garbled files, a deleted segment, a full disk) into the
    :class:`kb.faults.IndexFault` that says what to do, instead of a traceback."""
    try:
        yield
    except Exception as exc:
        fault = store_fault(exc, what)
        if fault is None:
            raise
        raise fault from exc


def forget_local_clients() -> None:
    """Drop chromadb's cached local clients (after their folder was moved aside)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def chroma_client(settings: Settings):
    """An HTTP client of the Chroma server at ``settings.index.chroma_url``, else a local persistent
    client of ``<data>/chroma``; telemetry off either way."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.index.chroma_url:
        url = urlparse(settings.index.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
        )
    settings.paths.chroma_dir.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(settings.paths.chroma_dir), settings=chroma_settings)
    except Exception as exc:  # a second try on a garbled file fails inside chromadb's own clean-up (AttributeError)
        fault = store_fault(exc, "打开向量库") or IndexCorruptError(
            f"向量库打不开（{settings.paths.chroma_dir}：{type(exc).__name__}），文件可能已损坏；{REBUILD_HINT}")
        raise fault from exc


@dataclass(frozen=True)
class GenerationCollection:
    """One generation's collection as the store lists it."""

    name: str
    generation: int
    retired_at: float | None
    """Unix time at which an index run first found it replaced (None: not yet)."""


def generation_collections(settings: Settings) -> list[GenerationCollection]:
    """Every collection of this index's generations in the store (``<collection>`` itself is the
    generation 0 of indexes built before generations existed), oldest first."""
    found = []
    with store_faults("列出索引版本"):
        collections = chroma_client(settings).list_collections()
    for collection in collections:
        generation = generation_of(collection.name, settings.index.collection)
        if generation is None:
            continue
        retired = (collection.metadata or {}).get("laoquan_retired_at")
        found.append(GenerationCollection(collection.name, generation, float(retired) if retired is not None else None))
    return sorted(found, key=lambda c: c.generation)


def mark_retired(settings: Settings, name: str, when: float) -> None:
    """Record in the collection's own metadata when it stopped being the current generation."""
    with store_faults("标记旧索引版本"):
        collection = chroma_client(settings).get_collection(name, embedding_function=None)
        collection.modify(metadata={**(collection.metadata or {}), "laoquan_retired_at": float(when)})


def drop_collection(settings: Settings, name: str) -> None:
    from chromadb.errors import NotFoundError

    try:
        with store_faults("删除旧索引版本"):
            chroma_client(settings).delete_collection(name)
    except (NotFoundError, ValueError):
        pass  # already gone


class VectorStore:
    """One Chroma collection with cosine distance.

    ``collection`` names it (:meth:`served` opens the one the current manifest names, the index
    being served). With ``create=False`` a missing collection raises :class:`CollectionMissingError`
    instead of being created empty (a server must never answer from an empty stand-in)."""

    def __init__(self, settings: Settings, *, collection: str, create: bool = True):
        self.name = collection
        self.client = chroma_client(settings)
        if create:
            with store_faults(f"打开向量集合 {collection}"):
                self.collection = self.client.get_or_create_collection(
                    collection, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
        else:
            from chromadb.errors import NotFoundError

            try:
                with store_faults(f"打开向量集合 {collection}"):
                    self.collection = self.client.get_collection(collection, embedding_function=None)
            except (NotFoundError, ValueError) as exc:
                raise CollectionMissingError(collection) from exc
            if not settings.index.chroma_url:
                check_segments_in_child(settings, collection)

    @classmethod
    def served(cls, settings: Settings) -> "VectorStore":
        """The collection of the generation the index folder's pointer names (never created)."""
        return cls(settings, collection=read_pointer(settings.paths.index_dir, base=settings.index.collection).collection, create=False)

    def count(self) -> int:
        with store_faults(f"读向量集合 {self.name}"):
            return self.collection.count()

    def stored_hashes(self) -> dict[str, tuple[str, str]]:
        """chunk id → (content hash, record hash) of everything in the collection."""
        with store_faults(f"读向量集合 {self.name}"):
            got = self.collection.get(include=["metadatas"])
        return {
            i: ((m or {}).get("content_hash", ""), (m or {}).get("record_hash", ""))
            for i, m in zip(got["ids"], got["metadatas"])
        }

    def embeddings_for(self, ids: list[str], *, batch: int = 500) -> dict[str, np.ndarray]:
        out = {}
        for start in range(0, len(ids), batch):
            with store_faults(f"读向量集合 {self.name} 的向量"):
                got = self.collection.get(ids=ids[start : start + batch], include=["embeddings"])
            out.update({i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])})
        return out

    def upsert(self, ids: list[str], embeddings: np.ndarray, documents: list[str], metadatas: list[dict], *, batch: int = 500) -> None:
        for start in range(0, len(ids), batch):
            end = start + batch
            with store_faults(f"写入向量集合 {self.name}"):
                self.collection.upsert(
                    ids=ids[start:end], embeddings=embeddings[start:end], documents=documents[start:end], metadatas=metadatas[start:end]
                )

    def delete(self, ids: list[str], *, batch: int = 500) -> None:
        for start in range(0, len(ids), batch):
            with store_faults(f"写入向量集合 {self.name}"):
                self.collection.delete(ids=ids[start : start + batch])

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
        with store_faults(f"检索向量集合 {self.name}"):
            result = self.collection.query(
                query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=min(k, total), where=where, include=["distances", "metadatas"]
            )
        return [
            DenseMatch(i, 1.0 - float(d), (m or {}).get("kind", "article"))
            for i, d, m in zip(result["ids"][0], result["distances"][0], result["metadatas"][0])
        ]


    def text_hashes(self) -> dict[str, str]:
        """chunk id → the sha256 of its text, as written beside each vector (empty for pointers)."""
        with store_faults(f"读向量集合 {self.name}"):
            got = self.collection.get(include=["metadatas"])
        return {i: str((m or {}).get(TEXT_HASH_KEY, "")) for i, m in zip(got["ids"], got["metadatas"])}

    def probe(self, ids: list[str]) -> str | None:
        """What is wrong with the vectors of ``ids`` (a sample), or None when they read back whole:
        each is there, finite and of unit length, and the nearest neighbour of the first is itself
        (a deleted or garbled HNSW segment fails one of these)."""
        try:
            got = self.embeddings_for(ids)
            missing = [i for i in ids if i not in got]
            if missing:
                return f"向量集合 {self.name} 缺少 {len(missing)} 个向量（如 {missing[0]}）"
            for i in ids:
                norm = float(np.linalg.norm(got[i]))
                if not np.isfinite(norm) or abs(norm - 1.0) > 1e-2:
                    return f"向量集合 {self.name} 的向量 {i} 已损坏（长度 {norm:.3f}）"
            if ids:
                with store_faults(f"检索向量集合 {self.name}"):
                    nearest = self.collection.query(query_embeddings=[got[ids[0]]], n_results=1, include=["distances"])
                if not nearest["ids"][0] or float(nearest["distances"][0][0]) > 1e-3:
                    return f"向量集合 {self.name} 的检索索引已损坏（向量 {ids[0]} 找不到它自己）"
        except IndexFault as exc:
            return str(exc)
        return None


CHECKED_NAME = "segments-checked.json"
"""Beside the manifest: signatures of segment files a child process has read whole (see below)."""


def _segments_signature(settings: Settings, collection: str) -> str:
    """The collection's name and every segment file's relative path, size and mtime, as one hash."""
    root = settings.paths.chroma_dir
    files = sorted(p for p in root.glob("*/*") if p.is_file())
    listing = [collection] + [f"{p.relative_to(root)}|{p.stat().st_size}|{p.stat().st_mtime_ns}" for p in files]
    return hashlib.sha256("\n".join(listing).encode()).hexdigest()


def _checked(settings: Settings) -> list[str]:
    try:
        found = json.loads((settings.paths.index_dir / CHECKED_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [x for x in found if isinstance(x, str)] if isinstance(found, list) else []


def _remember_checked(settings: Settings, signature: str) -> None:
    try:  # a cache only: a full disk or a read-only folder just means checking again next time
        write_atomic(settings.paths.index_dir / CHECKED_NAME, json.dumps((_checked(settings) + [signature])[-8:]).encode())
    except OSError:
        pass


def check_segments_in_child(settings: Settings, collection: str) -> None:
    """Read every vector of ``collection`` once in a child process before this one does.

    A garbled HNSW segment file can crash Chroma's native code outright (a segmentation fault, not
    an exception): a child's crash becomes an :class:`kb.faults.IndexCorruptError` here instead of
    taking the server or the CLI down. Done once per state of the segment files (~2 s; the states
    found sound are remembered in ``segments-checked.json`` beside the manifest)."""
    import subprocess
    import sys

    try:
        signature = _segments_signature(settings, collection)
    except OSError:
        return
    if signature in _checked(settings):
        return
    try:
        child = subprocess.run([sys.executable, "-m", "kb.store", str(settings.paths.chroma_dir), collection],
                               capture_output=True, timeout=600)
    except (OSError, subprocess.SubprocessError):
        return  # cannot start a child: read in-process, as before
    if child.returncode == 0:
        _remember_checked(settings, signature)
        return
    said = child.stdout.decode("utf-8", "replace").strip().splitlines()
    why = said[-1] if said and child.returncode > 0 else f"读取时程序崩溃（信号 {-child.returncode}）"
    raise IndexCorruptError(f"向量集合 {collection} 的文件已损坏：{why}；{REBUILD_HINT}")


def _read_whole_collection(path: str, name: str) -> int:
    """The child of :func:`check_segments_in_child`: 0 when every vector reads back and a query runs."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    try:
        collection = chromadb.PersistentClient(path=path, settings=ChromaSettings(anonymized_telemetry=False)).get_collection(name, embedding_function=None)
        ids = collection.get(include=[])["ids"]
        for start in range(0, len(ids), 500):
            got = collection.get(ids=ids[start : start + 500], include=["embeddings"])
            if len(got["ids"]) != len(ids[start : start + 500]):
                print("缺少向量")
                return 3
        if ids:
            collection.query(query_embeddings=[np.asarray(got["embeddings"][0], dtype=np.float32)], n_results=min(10, len(ids)))
    except Exception as exc:
        print(" ".join(str(exc).split())[:160])
        return 3
    return 0


def retire_old_generations(settings: Settings, *, current: Pointer, now: float | None = None) -> list[str]:
    """Apply the retention rule to every generation in the store but ``current``: stamp the
    newly replaced ones, drop those replaced at least ``settings.index.grace_seconds`` ago.
    A collection newer than ``current`` is a killed run's work, kept for the next run to continue.
    Returns the names dropped."""
    now = time.time() if now is None else now
    dropped = []
    for found in generation_collections(settings):
        if found.name == current.collection or found.generation > current.generation:
            continue
        if found.retired_at is None:
            mark_retired(settings, found.name, now)
        elif now - found.retired_at >= settings.index.grace_seconds:
            drop_collection(settings, found.name)
            dropped.append(found.name)
    return dropped


if __name__ == "__main__":
    import sys

    sys.exit(_read_whole_collection(sys.argv[1], sys.argv[2]))
