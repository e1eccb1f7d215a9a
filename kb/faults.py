"""Faults of the index and its store, as one clear line each, and the chunk-text check.

Everything the index is made of can go bad under a running system: the disk fills up, Chroma's
``chroma.sqlite3`` or an HNSW segment file is garbled or deleted, ``manifest.json`` is edited by
hand. None of that may reach a user as a traceback: the store and the index turn each into an
:class:`IndexFault` whose message says, in Chinese, what happened and what to do
(``laoquan index --rebuild``), and the CLI prints that one line.

Chunk texts carry the sha256 of their text (``text_sha256`` in the manifest and beside the vector
in Chroma): :func:`untampered` keeps only the records whose text still matches, so a text edited in
the manifest is never quoted as 原文, and ``laoquan index`` re-reads the document it came from.
"""
from __future__ import annotations

import errno
import hashlib
import logging
import sqlite3

log = logging.getLogger(__name__)

REBUILD_HINT = "请运行 `laoquan index --rebuild` 重建索引"
TEXT_HASH_KEY = "text_sha256"


class IndexFault(RuntimeError):
    """An index or store fault; ``str()`` is the one line for the user."""


class IndexCorruptError(IndexFault):
    """The manifest or the vector store cannot be read as it should (garbled or missing files)."""


class StorageFullError(IndexFault):
    """The disk is full: nothing more could be written."""


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def text_matches(record: dict) -> bool:
    """Whether a chunk record's text is the text it was indexed with."""
    return record.get(TEXT_HASH_KEY) == text_sha256(record.get("text", ""))


def untampered(records: dict[str, dict], *, where: str = "") -> dict[str, dict]:
    """``records`` without the chunks whose text no longer matches its sha256 (logged once, here)."""
    bad = [cid for cid, r in records.items() if not text_matches(r)]
    if not bad:
        return records
    log.warning("%d chunk(s) of %s have text that does not match its sha256 and will not be quoted: %s",
                len(bad), where or "the index", ", ".join(bad[:5]) + (" …" if len(bad) > 5 else ""))
    return {cid: r for cid, r in records.items() if cid not in set(bad)}


def sqlite_problem(path) -> str | None:
    """What ``PRAGMA quick_check`` finds wrong with the SQLite file at ``path``, opened read-only
    (never created, never written), or None when it is sound."""
    from pathlib import Path

    try:
        connection = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows = [r[0] for r in connection.execute("PRAGMA quick_check").fetchall()]
        finally:
            connection.close()
    except sqlite3.Error as exc:
        return f"读不了（{exc}）"
    return None if rows == ["ok"] else f"已损坏（{rows[0] if rows else '无结果'}）"


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC / EDQUOT, or SQLite's (and Chroma's) 'database or disk is full'."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        text = str(exc).lower()
        if "disk is full" in text or "no space left" in text or "(code: 13)" in text:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full_message(action: str) -> str:
    return f"存储空间不足，{action}：正在使用的索引没有改动，照常可用；请腾出磁盘空间后再运行 `laoquan index`"


def store_fault(exc: BaseException, what: str) -> IndexFault | None:
    """The :class:`IndexFault` for an error of Chroma (or its SQLite) while doing ``what``, or None
    when ``exc`` is not a store fault (a bug: let it be seen)."""
    if is_disk_full(exc):
        return StorageFullError(disk_full_message(f"{what}没有完成"))
    try:
        from chromadb.errors import ChromaError, NotFoundError
    except ImportError:  # pragma: no cover - chromadb is a dependency
        ChromaError = NotFoundError = ()
    if isinstance(exc, NotFoundError):
        return None
    if isinstance(exc, (ChromaError, sqlite3.DatabaseError)) or (isinstance(exc, OSError) and not isinstance(exc, ConnectionError)):
        detail = " ".join(str(exc).split())[:160]
        return IndexCorruptError(f"向量库读不了（{what}：{detail}），文件可能已损坏；{REBUILD_HINT}")
    return None
