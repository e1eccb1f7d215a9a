"""Embedding work kept batch by batch, so a killed ``laoquan index`` resumes where it stopped.

Embedding is most of an index run's time. The vectors are written to Chroma only once every new
text is embedded, so without this a kill before that point threw all the work away. Now each
finished batch of vectors is written at once to ``<index>/embedding-cache/<model>/`` — one small
``.npz`` file per batch (the texts' content sha256 and their vectors), replaced atomically — and
the next run takes every vector it finds there before it embeds anything.

When a run has written its manifest, the batches are merged into one file holding the vectors of
exactly the texts that manifest names (:meth:`EmbeddingCheckpoint.keep_only`): a second copy of the
served vectors, so a broken vector collection (a deleted or garbled HNSW segment) is repaired
without embedding again. ``laoquan index --rebuild`` trusts nothing and empties it first.

The folder is keyed by the model build (its ``build-info.json``), so vectors of another model are
never used. A file that cannot be read (cut short by a full disk, garbled: ``.npz`` files carry a
CRC) is skipped and removed; vectors whose width is not the embedder's are ignored.
"""
from __future__ import annotations

import hashlib
import io
import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np

from common.files import write_atomic

log = logging.getLogger(__name__)

CACHE_DIR = "embedding-cache"
BATCH = 64
"""Texts per checkpointed batch (the model embeds 32 at a time: two of its batches)."""
MERGED = "vectors.npz"


def model_key(model_dir: Path) -> str:
    """A short key of the model build (``build-info.json``; ``unbuilt`` without one)."""
    try:
        return hashlib.sha256((Path(model_dir) / "build-info.json").read_bytes()).hexdigest()[:16]
    except OSError:
        return "unbuilt"


class EmbeddingCheckpoint:
    """The finished batches of vectors of the index run in progress (or of a killed one), and the
    merged vectors of the last complete run."""

    def __init__(self, index_dir: Path, model_dir: Path | None = None):
        self.root = Path(index_dir) / CACHE_DIR
        self.folder = self.root / (model_key(model_dir) if model_dir is not None else "unbuilt")

    def _files(self) -> list[Path]:
        return sorted(self.folder.glob("*.npz")) if self.folder.is_dir() else []

    def load(self, wanted: set[str], *, dim: int | None = None) -> dict[str, np.ndarray]:
        """Vectors by content hash, of the hashes in ``wanted`` found in the folder."""
        found: dict[str, np.ndarray] = {}
        for path in self._files():
            try:
                with np.load(path, allow_pickle=False) as data:
                    hashes, vectors = [str(h) for h in data["hashes"]], np.asarray(data["vectors"], dtype=np.float32)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                log.warning("embedding cache %s unreadable (%s); removed", path.name, exc)
                path.unlink(missing_ok=True)
                continue
            if vectors.ndim != 2 or len(vectors) != len(hashes) or (dim is not None and vectors.shape[1] != dim):
                continue
            found.update({h: v for h, v in zip(hashes, vectors) if h in wanted and np.all(np.isfinite(v))})
        return found

    def save(self, hashes: list[str], vectors: np.ndarray, *, name: str | None = None) -> None:
        """Keep one finished batch (written whole or not at all)."""
        if not hashes:
            return
        buffer = io.BytesIO()
        np.savez(buffer, hashes=np.array(hashes), vectors=np.asarray(vectors, dtype=np.float32))
        write_atomic(self.folder / (name or f"batch-{hashes[0][:16]}-{len(hashes)}.npz"), buffer.getvalue())

    def batches(self) -> int:
        """Finished batches not merged yet (a killed run's work)."""
        return sum(1 for p in self._files() if p.name.startswith("batch-"))

    def keep_only(self, hashes: set[str], extra: dict[str, np.ndarray] | None = None) -> None:
        """After a complete run: one file with the vectors of exactly ``hashes`` (from the folder
        and ``extra``), the batches removed, other models' folders removed. Nothing is rewritten
        when the merged file already holds exactly those."""
        for other in self.root.glob("*"):
            if other != self.folder:
                shutil.rmtree(other, ignore_errors=True)
        extra = {h: v for h, v in (extra or {}).items() if h in hashes}
        have = self.load(hashes)
        merged = self.folder / MERGED
        if not self.batches() and merged.is_file() and set(have) == set(hashes) and not extra.keys() - have.keys():
            return
        vectors = {**have, **extra}
        order = sorted(vectors)
        if order:
            self.save(order, np.stack([vectors[h] for h in order]), name=MERGED)
        else:
            merged.unlink(missing_ok=True)
        for path in self._files():
            if path.name.startswith("batch-"):
                path.unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
