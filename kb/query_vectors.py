"""Query vectors, each embedded once: a least-recently-used cache in front of the embedder.

One answer asks for its question's vector several times (the lanes, the 要点, the 办事指南, the
closest list item) and a station's workers ask the same few questions all day; the vector of a
text depends on the model only, so it is kept and handed out again. Safe to share between the
threads that compute answers; the vectors handed out are read-only.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class QueryVectors:
    """``get(text)`` is ``embedder.embed_query(text)``, computed once per text while it stays among
    the ``size`` most recently used (``size`` 0: nothing kept)."""

    def __init__(self, embedder, *, size: int):
        self.embedder = embedder
        self.size = max(0, int(size))
        self._kept: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.embedded = 0
        """How many texts were embedded (cache misses)."""

    def __len__(self) -> int:
        return len(self._kept)

    def clear(self) -> None:
        """Forget every kept vector (a benchmark timing new questions)."""
        with self._lock:
            self._kept.clear()

    def get(self, text: str) -> np.ndarray:
        with self._lock:
            found = self._kept.get(text)
            if found is not None:
                self._kept.move_to_end(text)
                return found
        vector = np.array(self.embedder.embed_query(text), dtype=np.float32)  # outside the lock: the model has its own
        vector.setflags(write=False)
        with self._lock:
            self.embedded += 1
            if self.size:
                self._kept[text] = vector
                self._kept.move_to_end(text)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return vector
