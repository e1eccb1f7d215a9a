"""Dense search in process: the served generation's vectors in one numpy matrix.

Chroma stays the store of record — the matrix is read from it when a generation is loaded — and
the search path of a scale-out deployment (:meth:`kb.store.VectorStore.search`); for the embedded
default, a question's similarities to every vector are one matrix product (a few thousand × 384
floats), and the filters (in force on the as-of date, of one of the regions) are boolean masks
computed once per (regions, date) and kept. :meth:`DenseMatrix.search` gives what
:meth:`kb.store.VectorStore.search` gives — the same ids in the same order, the same similarities
to float32 rounding — without a query to the store (``tests/test_dense_matrix.py``).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np

from kb.store import DenseMatch, date_key

MASKS_KEPT = 64
"""(regions, as-of day) masks kept; a server sees a handful (a few regions, today)."""


class DenseMatrix:
    """Rows: every id of the generation that has a vector (article chunks, worker-question and other
    pointers, 要点), each with the filter facts of its record's ``meta``."""

    def __init__(self, records: Mapping[str, dict], vectors: Mapping[str, np.ndarray], *, dim: int):
        self.ids: list[str] = [i for i in records if i in vectors]
        self.row_of: dict[str, int] = {cid: n for n, cid in enumerate(self.ids)}
        self.dim = dim
        self.matrix = np.ascontiguousarray(
            np.stack([np.asarray(vectors[i], np.float32) for i in self.ids]) if self.ids else np.zeros((0, dim), np.float32))
        metas = [records[i].get("meta", {}) for i in self.ids]
        self.kinds: list[str] = [records[i].get("kind", "article") for i in self.ids]
        self._from = np.array([m.get("effective_from", 0) for m in metas], dtype=np.int64)
        self._to = np.array([m.get("effective_to", 99991231) for m in metas], dtype=np.int64)
        regions = [m.get("region", "") for m in metas]
        self._region_names = sorted(set(regions))
        code = {r: n for n, r in enumerate(self._region_names)}
        self._region = np.array([code[r] for r in regions], dtype=np.int64)
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.ids)

    def vectors_for(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The vector of each id that has one (rows of the matrix, not copies)."""
        return {i: self.matrix[self.row_of[i]] for i in ids if i in self.row_of}

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """Row numbers of ``ids`` (each must have a vector)."""
        return np.array([self.row_of[i] for i in ids], dtype=np.int64)

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Cosine similarity of ``vector`` (L2-normalised) to every row (float32 for a float32 vector)."""
        return self.matrix @ vector

    def mask(self, *, regions: tuple[str, ...] | None, as_of: date | None) -> np.ndarray:
        """Rows in force on ``as_of`` and of one of ``regions`` (``None``: no such filter), kept for reuse."""
        key = (None if regions is None else tuple(sorted(set(regions))), None if as_of is None else date_key(as_of))
        with self._lock:
            found = self._masks.get(key)
            if found is not None:
                self._masks.move_to_end(key)
                return found
        mask = np.ones(len(self.ids), dtype=bool)
        if key[1] is not None:
            mask &= (self._from <= key[1]) & (self._to >= key[1])
        if key[0] is not None:
            codes = [n for n, r in enumerate(self._region_names) if r in set(key[0])]
            mask &= np.isin(self._region, codes)
        mask.setflags(write=False)
        with self._lock:
            self._masks[key] = mask
            while len(self._masks) > MASKS_KEPT:
                self._masks.popitem(last=False)
        return mask

    def search(self, vector: np.ndarray, *, k: int, regions: tuple[str, ...] | None = None, as_of: date | None = None) -> list[DenseMatch]:
        """The ``k`` rows most similar to ``vector`` among those that pass the filters, best first
        (ties by row order), as :meth:`kb.store.VectorStore.search` returns them."""
        sims = self.similarities(vector)
        allowed = np.flatnonzero(self.mask(regions=regions, as_of=as_of))
        if not len(allowed) or k <= 0:
            return []
        scores = sims[allowed]
        if k < len(allowed):
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.lexsort((allowed[top], -scores[top]))]
        else:
            top = np.lexsort((allowed, -scores))
        return [DenseMatch(self.ids[allowed[t]], float(scores[t]), self.kinds[allowed[t]]) for t in top]
