"""Index generations: how a re-index is swapped in under running servers.

The served index is a pair: the manifest (``<data>/index/manifest.json``: every chunk's text, place
and BM25 tokens) and the Chroma collection of its vectors. Both must come from the same index run,
or a server would quote one text and rank by another's vector. So:

- An index run that changes anything writes a **new generation**: a new collection
  ``<collection>_g<N+1>`` filled completely (vectors of unchanged chunks copied from generation N by
  content hash, only new text embedded), and only then the manifest, replaced atomically, naming
  generation N+1 and its collection. A run that changes nothing writes nothing: no generation, no
  manifest (a server sees no change).
- A collection is written only by the run that creates it; after its manifest is written nobody
  changes it (an index run may delete vectors that no manifest names — left by a crash). A
  killed run leaves a partial ``_g<N+1>`` that no manifest names; the next run continues it.
- A server watches the manifest with a ``stat`` (:func:`manifest_signature`), loads the new
  generation beside the old one in the background and then swaps (:class:`laoquan.app.ReloadingBot`).
- **Retention rule**: an old generation is kept while servers may still read it. Each index run
  stamps the generations it finds replaced with the time it first saw them so (in the
  collection's metadata), and drops a generation only when that stamp is at least
  ``settings.index.grace_seconds`` old (default 10 minutes; a server switches within seconds of the
  manifest changing). The run that replaces a generation never drops it.
- One index run at a time (:func:`index_lock`, a file lock beside the manifest): a second run
  waits for the first.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "manifest.json"
LOCK_NAME = "index.lock"


def collection_name(base: str, generation: int) -> str:
    """``laoquan_articles`` + 3 → ``laoquan_articles_g3``; generation 0 is ``base`` itself (the
    single collection of indexes built before generations)."""
    return base if generation == 0 else f"{base}_g{generation}"


def generation_of(name: str, base: str) -> int | None:
    """The generation a collection name stands for, or None when it is not one of ``base``'s."""
    if name == base:
        return 0
    found = re.fullmatch(re.escape(base) + r"_g(\d+)", name)
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Pointer:
    """Which generation the manifest names."""

    generation: int
    collection: str


def read_pointer(index_dir: Path, *, base: str) -> Pointer:
    """The generation and collection named by the manifest in ``index_dir`` (whatever its format
    version); generation 0 (``base``) when there is no manifest or it predates generations."""
    try:
        manifest = json.loads((index_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    return pointer_of(manifest, base=base)


def pointer_of(manifest: dict, *, base: str) -> Pointer:
    """The generation a manifest names; generation 0 when it names none (or is not an object)."""
    if not isinstance(manifest, dict):
        manifest = {}
    try:
        generation = int(manifest.get("generation", 0) or 0)
    except (TypeError, ValueError):
        generation = 0
    collection = manifest.get("collection")
    return Pointer(generation, collection if isinstance(collection, str) and collection else collection_name(base, generation))


def manifest_signature(index_dir: Path) -> tuple[int, int, int] | None:
    """Identity of the manifest file (inode, mtime in ns, size), or None without one: a ``stat``,
    cheap enough to check on every question. The manifest is only ever replaced by a rename, so
    a new one always has a new signature."""
    try:
        st = os.stat(index_dir / MANIFEST_NAME)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


@contextmanager
def index_lock(index_dir: Path, *, say=None) -> Iterator[None]:
    """Hold the index lock (``flock`` on ``index.lock`` beside the manifest) for one run; wait, with
    one line to ``say``, when another run holds it. The lock goes with the process, so a killed run
    never leaves it behind. It covers the processes of one machine (and a shared POSIX file system
    whose locks work); several machines need one indexer or a lock service (see the README)."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK_NAME, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            (say or _stderr)("另一个索引进程正在运行，等它完成后再继续… / another index run is in progress, waiting for it")
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
