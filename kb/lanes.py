"""The single retrieval lanes, each scoring every *article* (not chunk) on its own evidence.

A lane is one way of finding an article for a question:

- ``dense_article``: cosine similarity of the question to the article's own text;
- ``dense_question``: the best similarity to a worker question the project wrote for the article;
- ``bm25_article``: BM25 over the article's words (the question as typed);
- ``bm25_expanded``: the same with the legal terms of the lexicon's concepts added to the question;
- ``bm25_question``: BM25 over the words of the article's worker questions;
- ``concept``: how many of the concepts the question hits list the article.

An article split into parts (long articles) takes its best part in each lane. Every lane is
filtered the same way — in force on the as-of date, national or of the worker's region — before
ranking. The vectors of the served generation are held in memory (:class:`kb.dense_matrix.DenseMatrix`,
a few thousand × 384 floats), so both dense lanes come from one matrix product; the filter masks are
computed once per (regions, as-of day) and kept. The learned ranker (:mod:`kb.ranker`) combines the lanes.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np

from kb.concepts import ConceptMatch
from kb.dense_matrix import MASKS_KEPT, DenseMatrix
from kb.keywords import KeywordIndex
from kb.store import date_key

ArticleKey = tuple[str, str]
"""(doc_id, article label): the unit the ranker ranks."""


class Lane(StrEnum):
    DENSE_ARTICLE = "dense_article"
    DENSE_QUESTION = "dense_question"
    BM25_ARTICLE = "bm25_article"
    BM25_EXPANDED = "bm25_expanded"
    BM25_QUESTION = "bm25_question"
    CONCEPT = "concept"


SINGLE_LANES = (Lane.DENSE_ARTICLE, Lane.DENSE_QUESTION, Lane.BM25_ARTICLE)
"""The lanes every evaluation slice reports beside the fused ranking."""


@dataclass(frozen=True)
class LaneScores:
    """Every lane's score of every article for one question; ``-inf`` where an article does not
    apply (or, for BM25 and concepts, shares nothing with the question)."""

    scores: Mapping[Lane, np.ndarray]
    best_chunk: Mapping[Lane, np.ndarray]
    """Per lane and article, the index (into :attr:`ArticleLanes.chunk_ids`) of its best part."""
    applicable: np.ndarray

    def order(self, lane: Lane, depth: int) -> list[int]:
        """Article indices of the lane's best ``depth`` articles, best first."""
        s = self.scores[lane]
        top = np.argsort(-s, kind="stable")[:depth]
        return [int(i) for i in top if np.isfinite(s[i])]


class ArticleLanes:
    """The lanes over one index generation's article chunks and worker-question pointers."""

    def __init__(self, records: Mapping[str, dict], pointers: Mapping[str, dict], dense: DenseMatrix):
        self.chunk_ids = [cid for cid, r in records.items() if r.get("kind", "article") == "article"]
        chunk_index = {cid: i for i, cid in enumerate(self.chunk_ids)}
        self.keys: list[ArticleKey] = []
        article_index: dict[ArticleKey, int] = {}
        self._article_of = np.zeros(len(self.chunk_ids), dtype=np.int64)
        for i, cid in enumerate(self.chunk_ids):
            key = (records[cid]["doc_id"], records[cid]["article"])
            if key not in article_index:
                article_index[key] = len(self.keys)
                self.keys.append(key)
            self._article_of[i] = article_index[key]
        self.index_of = article_index
        n = len(self.keys)
        first = {}
        for i in range(len(self.chunk_ids)):
            first.setdefault(int(self._article_of[i]), i)
        meta = [records[self.chunk_ids[first[a]]]["meta"] for a in range(n)]
        self.meta = meta
        self._from = np.array([m["effective_from"] for m in meta], dtype=np.int64)
        self._to = np.array([m["effective_to"] for m in meta], dtype=np.int64)
        self._region = np.array([m["region"] for m in meta], dtype=object)
        self.dense = dense
        self._chunk_has_vector = np.array([c in dense.row_of for c in self.chunk_ids], dtype=bool)
        self._chunk_rows = dense.rows([c for c in self.chunk_ids if c in dense.row_of])
        question_ids = [pid for pid, p in pointers.items() if p["kind"] == "question" and p["parent"] in chunk_index and pid in dense.row_of]
        self._question_rows = dense.rows(question_ids)
        self._question_chunk = np.array([chunk_index[pointers[q]["parent"]] for q in question_ids], dtype=np.int64)
        self.questions_per_article = np.bincount(self._article_of[self._question_chunk], minlength=n) if question_ids else np.zeros(n, np.int64)
        self.chars = np.zeros(n, dtype=np.int64)
        np.add.at(self.chars, self._article_of, [len(records[c]["text"]) for c in self.chunk_ids])
        self._bm25_article = KeywordIndex(self.chunk_ids, [records[c]["tokens"] for c in self.chunk_ids])
        self._bm25_question = KeywordIndex(self.chunk_ids, [records[c].get("question_tokens", []) for c in self.chunk_ids])
        self._masks: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._masks_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.keys)

    def applicable(self, *, regions: tuple[str, ...], as_of: date) -> np.ndarray:
        """A mask over the articles: in force on ``as_of`` and of one of ``regions`` (kept for reuse)."""
        key = date_key(as_of)
        cache_key = (tuple(regions), key)
        with self._masks_lock:
            found = self._masks.get(cache_key)
            if found is not None:
                self._masks.move_to_end(cache_key)
                return found
        mask = (self._from <= key) & (self._to >= key) & np.isin(self._region, list(regions))
        mask.setflags(write=False)
        with self._masks_lock:
            self._masks[cache_key] = mask
            while len(self._masks) > MASKS_KEPT:
                self._masks.popitem(last=False)
        return mask

    def score(self, *, query: str, expanded_query: str, vector: np.ndarray, concepts: ConceptMatch,
              regions: tuple[str, ...], as_of: date) -> LaneScores:
        mask = self.applicable(regions=regions, as_of=as_of)
        scores: dict[Lane, np.ndarray] = {}
        best: dict[Lane, np.ndarray] = {}
        sims = self.dense.similarities(vector)
        chunk_dense = np.full(len(self.chunk_ids), -np.inf, dtype=sims.dtype)
        chunk_dense[self._chunk_has_vector] = sims[self._chunk_rows]
        scores[Lane.DENSE_ARTICLE], best[Lane.DENSE_ARTICLE] = self._per_article(chunk_dense)
        chunk_question = np.full(len(self.chunk_ids), -np.inf, dtype=np.float64)
        if len(self._question_chunk):
            np.maximum.at(chunk_question, self._question_chunk, sims[self._question_rows])
        scores[Lane.DENSE_QUESTION], best[Lane.DENSE_QUESTION] = self._per_article(chunk_question)
        bm25 = self._bm25_article.scores(query)
        scores[Lane.BM25_ARTICLE], best[Lane.BM25_ARTICLE] = self._per_article(np.where(bm25 > 0, bm25, -np.inf))
        if expanded_query != query:
            bm25 = self._bm25_article.scores(expanded_query)
            scores[Lane.BM25_EXPANDED], best[Lane.BM25_EXPANDED] = self._per_article(np.where(bm25 > 0, bm25, -np.inf))
        else:
            scores[Lane.BM25_EXPANDED], best[Lane.BM25_EXPANDED] = scores[Lane.BM25_ARTICLE], best[Lane.BM25_ARTICLE]
        bm25 = self._bm25_question.scores(query)
        scores[Lane.BM25_QUESTION], best[Lane.BM25_QUESTION] = self._per_article(np.where(bm25 > 0, bm25, -np.inf))
        votes = np.full(len(self.keys), -np.inf)
        for c in concepts.concepts:
            for ref in c.articles:
                a = self.index_of.get(ref)
                if a is not None:
                    votes[a] = (0.0 if not np.isfinite(votes[a]) else votes[a]) + 1.0
        scores[Lane.CONCEPT], best[Lane.CONCEPT] = votes, best[Lane.DENSE_ARTICLE]
        for lane in scores:
            scores[lane] = np.where(mask, scores[lane], -np.inf)
        return LaneScores(scores=scores, best_chunk=best, applicable=mask)

    def _per_article(self, chunk_scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """An article's score is its best part's; also which part that was."""
        n = len(self.keys)
        out = np.full(n, -np.inf)
        np.maximum.at(out, self._article_of, chunk_scores)
        order = np.lexsort((-np.nan_to_num(chunk_scores, neginf=-1e30), self._article_of))
        articles, first = np.unique(self._article_of[order], return_index=True)
        which = np.zeros(n, dtype=np.int64)
        which[articles] = order[first]
        return out, which

