"""Embedding work kept batch by batch, so a killed ``laoquan index`` resumes where it stopped.

Embedding is most of an index run's time. The vectors are written to Chroma only once every new
text is embedded, so without this a kill before that point threw all the work away. Now each
finished batch of vectors is written at once to ``<index>/embedding-checkpoint/`` — one small
``.npz`` file per batch (the texts' content sha256 and their vectors), replaced atomically — and
the next run takes every vector it finds there before it embeds anything. The folder is emptied
when a run has written its manifest (its vectors are in the store by then).

A file that cannot be read (cut short by a full disk, garbled) is skipped and removed; vectors
whose width is not the embedder's are ignored. A checkpoint belongs to one model build: after the
model folder is rebuilt between a killed run and the next, remove the folder by hand (or run
``laoquan index --rebuild``, which empties it first).
"""
from __future__ import annotations

import io
import logging
import shutil
from pathlib import Path

import numpy as np

from common.files import write_atomic

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "embedding-checkpoint"
BATCH = 64
"""Texts per checkpointed batch (the model embeds 32 at a time: two of its batches)."""


class EmbeddingCheckpoint:
    """The finished batches of vectors of the index run in progress (or of a killed one)."""

    def __init__(self, index_dir: Path):
        self.folder = Path(index_dir) / CHECKPOINT_DIR

    def load(self, wanted: set[str], *, dim: int | None = None) -> dict[str, np.ndarray]:
        """Vectors by content hash, of the hashes in ``wanted`` found in finished batches."""
        found: dict[str, np.ndarray] = {}
        if not self.folder.is_dir():
            return found
        for path in sorted(self.folder.glob("batch-*.npz")):
            try:
                with np.load(path, allow_pickle=False) as data:
                    hashes, vectors = [str(h) for h in data["hashes"]], np.asarray(data["vectors"], dtype=np.float32)
            except (OSError, ValueError, KeyError) as exc:
                log.warning("embedding checkpoint %s unreadable (%s); removed", path.name, exc)
                path.unlink(missing_ok=True)
                continue
            if vectors.ndim != 2 or len(vectors) != len(hashes) or (dim is not None and vectors.shape[1] != dim):
                continue
            found.update({h: v for h, v in zip(hashes, vectors) if h in wanted and np.all(np.isfinite(v))})
        return found

    def save(self, hashes: list[str], vectors: np.ndarray) -> None:
        """Keep one finished batch (written whole or not at all)."""
        if not hashes:
            return
        buffer = io.BytesIO()
        np.savez(buffer, hashes=np.array(hashes), vectors=np.asarray(vectors, dtype=np.float32))
        write_atomic(self.folder / f"batch-{hashes[0][:16]}-{len(hashes)}.npz", buffer.getvalue())

    def batches(self) -> int:
        return len(list(self.folder.glob("batch-*.npz"))) if self.folder.is_dir() else 0

    def clear(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
