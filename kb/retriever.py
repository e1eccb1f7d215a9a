"""Hybrid retrieval: dense vectors (Chroma) and BM25 (jieba) fused by reciprocal rank.

Both lists are filtered the same way — in force on the as-of date, national or of the user's
region — before they are fused, so a text that is not in force is never returned as current.
The bot asks this module for passages; it never opens the store itself. ``as_langchain()`` wraps
the same search as a LangChain ``BaseRetriever`` for chains that want one.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Sequence

import numpy as np

from kb.faults import untampered
from kb.generations import pointer_of
from kb.index import read_manifest
from corpus.regions import applicable_regions
from kb.concepts import ConceptMatch, ConceptMatcher
from kb.dense_matrix import DenseMatrix
from kb.lanes import SINGLE_LANES, ArticleLanes, Lane, LaneScores
from kb.query_vectors import QueryVectors
from kb.ranker import RankerModel, candidates, question_signals, scope_features
from kb.keywords import tokenize
from kb.simplified import to_simplified
from kb.typos import TYPOS_FILE, correct_typos
from kb.store import CollectionMissingError, VectorStore, date_key
from common.settings import Settings



_MARKUP = re.compile(r"<[^<>]{0,200}>|\]\(\S{0,300}\)|https?://\S+")


def read_query(query: str, typos: Path = TYPOS_FILE) -> str:
    """A question as the retriever reads it: markup pasted with it (HTML tags, a Markdown link's
    target, bare URLs) left out, 繁體 as simplified, pinyin-input typos (the table ``typos``) corrected."""
    text = _MARKUP.sub(lambda m: "]" if m.group(0).startswith("]") else " ", query)
    return correct_typos(to_simplified(text.replace("[", " ").replace("]", " ")).strip() or query, typos)

class IndexMissingError(RuntimeError):
    """Nothing is indexed yet: run ``laoquan index`` first."""


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with the evidence for its rank."""

    chunk_id: str
    doc_id: str
    title: str
    article: str
    chapter: str
    section: str
    text: str
    part: int
    parts: int
    paragraphs: tuple[int, int]
    pages: tuple[int, ...]
    score: float
    """The learned ranker's score (:mod:`kb.ranker`); only the order matters. 1.0 for an article
    looked up by name, a similarity for a 要点."""
    dense: float | None
    """Best cosine similarity of the question to the article's text or to one of its worker questions."""
    bm25: float | None
    dense_rank: int | None
    bm25_rank: int | None
    kind: str = "article"
    """``article`` (official text, quotable) or ``note`` (the project's 要点, never quoted)."""
    source_url: str | None = None


@dataclass(frozen=True)
class Retrieval:
    query: str
    hits: list[Hit]
    as_of: date
    region: str | None
    top_dense: float
    """Best cosine similarity among all dense candidates (a relevance signal for refusing)."""
    top_question: float
    """Best similarity to a project-written worker question (0 when none was a candidate)."""
    top_bm25: float
    timings_ms: dict
    confidence: float = 0.0
    """Calibrated probability that the first hit is an article a right answer cites."""
    in_scope: float = 1.0
    """Calibrated probability that the knowledge base should answer this question at all."""
    answer_above: float = 0.0
    """Answer only when ``in_scope`` is at least this (chosen on dev with the ranker)."""
    sure_above: float = 0.0
    """Word the answer plainly only when ``confidence`` is at least this; below, 「可能」."""
    lanes: dict = field(default_factory=dict)
    """Each single lane's ten best articles (:data:`kb.lanes.SINGLE_LANES`), for the staff page and the evals."""
    concepts: tuple[str, ...] = ()
    """Ids of the lexicon concepts the question hits."""
    platform_words: tuple[str, ...] = ()
    notes: list[Hit] = field(default_factory=list)
    """The best 要点 (policy notes) for the question, whatever the articles' ranks."""


class HybridRetriever:
    """Loads the manifest, the BM25 index, the vector store and the embedding model once.

    It reads one index generation — the manifest and the collection it names — for its whole
    life; a newer index is picked up by loading a new retriever (:class:`laoquan.app.ReloadingBot`)."""

    def __init__(self, settings: Settings, *, embedder=None, ranker: RankerModel | None = None):
        self.settings = settings
        self._text_vectors: dict[str, object] = {}
        manifest = read_manifest(settings.paths.index_dir)
        records = untampered(manifest["chunks"], where=str(settings.paths.index_dir))  # never quote an edited text
        if not records:
            raise IndexMissingError(f"知识库还没有建立索引，请先运行 `laoquan index`（{settings.paths.index_dir}）")
        self._records: dict[str, dict] = records
        pointer = pointer_of(manifest, base=settings.index.collection)
        self.generation: int = pointer.generation
        """The index generation this retriever reads (see :mod:`kb.generations`)."""
        self.collection: str = pointer.collection
        self._ids = list(records)
        self._parts_of: dict[tuple[str, str], list[dict]] = {}  # (doc, article) → its article chunks
        self._note_of: dict[tuple[str, str], dict] = {}  # (doc, 要点 id) → the note
        for cid, r in records.items():
            if r.get("kind", "article") == "article":
                self._parts_of.setdefault((r["doc_id"], r["article"]), []).append(r)
            elif r.get("kind") == "note":
                point = re.search(r"要点([^）]+)）?$", r["article"])
                if point:
                    self._note_of.setdefault((r["doc_id"], point.group(1)), r)
        self.concepts = ConceptMatcher.default()
        self._ranker = ranker
        try:
            self._store = VectorStore(settings, collection=self.collection, create=False)
        except CollectionMissingError:
            raise IndexMissingError(
                f"索引的向量集合 {self.collection} 不在向量库里（被删除了，或连到了别的 Chroma），请重新运行 `laoquan index`"
            ) from None
        if embedder is None:
            from kb.query_engine import load_query_embedder

            embedder = load_query_embedder(settings)
        self.embedder = embedder
        self.query_vectors = QueryVectors(embedder, size=settings.retrieval.query_cache)
        """Each question embedded once (:mod:`kb.query_vectors`)."""
        self.dense = self._load_dense(manifest)
        """The generation's vectors in memory (:mod:`kb.dense_matrix`)."""
        self._load_note_vectors(manifest)
        self.lanes = self._load_lanes(manifest)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def ranker(self) -> RankerModel:
        """The learned ranker (``kb/ranker_model.json`` unless one was given), loaded at first use:
        training a new one reads the lanes without it."""
        if self._ranker is None:
            self._ranker = RankerModel.load()
        return self._ranker

    def record(self, chunk_id: str) -> dict:
        return self._records[chunk_id]

    def chunk_ids(self) -> list[str]:
        return list(self._ids)

    def article_texts(self) -> dict[tuple[str, str], str]:
        """Each indexed article's full text (its parts joined), as the plain rules are keyed."""
        return {key: "\n".join(r["text"] for r in sorted(parts, key=lambda r: r["part"])) for key, parts in self._parts_of.items()}

    def lookup(self, doc_id: str, article: str, *, query: str = "", containing: str = "") -> Hit | None:
        """The chunk of one named article (the part sharing most words with ``query``, or the part
        whose text has the words ``containing``)."""
        parts = self._parts_of.get((doc_id, article), [])
        if not parts:
            return None
        if containing:
            parts = [r for r in parts if containing in r["text"]] or parts
        words = set(tokenize(query)) if query else set()
        best = max(parts, key=lambda r: (len(words & set(r["tokens"])), -r["part"]))
        return _hit(best, score=1.0, dense=None, bm25=None, dense_rank=None, bm25_rank=None)

    def lookup_note(self, doc_id: str, point_id: str) -> Hit | None:
        """The 要点 with id ``point_id`` of a document's notes (labels are ``要点N`` or ``第X条（要点N）``)."""
        r = self._note_of.get((doc_id, str(point_id)))
        return _hit(r, score=1.0, dense=None, bm25=None, dense_rank=None, bm25_rank=None) if r else None

    def applies(self, chunk_id: str, *, as_of: date, regions: tuple[str, ...]) -> bool:
        meta = self._records[chunk_id]["meta"]
        key = date_key(as_of)
        return meta["effective_from"] <= key <= meta["effective_to"] and meta["region"] in regions

    def search(self, query: str, *, k: int | None = None, region: str | None = None, as_of: date | None = None) -> Retrieval:
        """The ``k`` best articles for ``query`` among those in force on ``as_of`` (default today),
        in the learned ranker's order, with its two calibrated probabilities."""
        k = k or self.settings.retrieval.top_k
        as_of = as_of or date.today()
        query = read_query(query, self.settings.paths.typos)
        timings = {}

        started = time.perf_counter()
        vector = self._query_vector(query)
        timings["embed"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        scores, concepts = self._score_lanes(query, vector, region=region, as_of=as_of)
        timings["lanes"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        notes = self.search_notes(query, k=12, region=region, as_of=as_of, vector=vector)
        timings["notes"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        found = candidates(scores, self.lanes)
        raw = self.ranker.score(found)
        order = np.argsort(-raw, kind="stable")
        # where no 要点 applies (an index of laws only, a region without notes) closeness to one is
        # unknown: the feature is imputed at its training mean, so it counts neither way
        top_note = notes[0].dense if notes else float(self.ranker.scope.mean[-1])
        signals = question_signals(scores, concepts_hit=len(concepts.concepts), top_note=top_note)
        in_scope = self.ranker.in_scope(scope_features(raw, signals))
        confidence = self.ranker.confidence(float(raw[order[0]])) if len(order) else 0.0
        dense_order = {a: r for r, a in enumerate(scores.order(Lane.DENSE_ARTICLE, 60), start=1)}
        bm25_order = {a: r for r, a in enumerate(scores.order(Lane.BM25_EXPANDED, 60), start=1)}
        hits = [self._ranked_hit(int(found.articles[i]), float(raw[i]), scores, dense_order, bm25_order) for i in order[:k]]
        timings["rank"] = (time.perf_counter() - started) * 1000
        timings["total"] = sum(timings.values())

        def top(lane: Lane) -> float:
            finite = scores.scores[lane][np.isfinite(scores.scores[lane])]
            return float(finite.max()) if len(finite) else 0.0

        return Retrieval(
            query=query,
            hits=hits,
            as_of=as_of,
            region=region,
            top_dense=max(top(Lane.DENSE_ARTICLE), top(Lane.DENSE_QUESTION)),
            top_question=top(Lane.DENSE_QUESTION),
            top_bm25=top(Lane.BM25_EXPANDED),
            confidence=confidence,
            in_scope=in_scope,
            answer_above=self.ranker.answer_above,
            sure_above=self.ranker.sure_above,
            lanes={lane: [self.lanes.keys[a] for a in scores.order(lane, 10)] for lane in SINGLE_LANES},
            concepts=tuple(c.id for c in concepts.concepts),
            notes=notes,
            platform_words=concepts.platform_words,
            timings_ms=timings,
        )

    def _ranked_hit(self, article: int, score: float, scores: LaneScores, dense_order: dict, bm25_order: dict) -> Hit:
        """The hit for a ranked article: its part that matched best (by its text or by one of its
        worker questions), with the lanes' evidence."""
        dense_a = float(scores.scores[Lane.DENSE_ARTICLE][article])
        dense_q = float(scores.scores[Lane.DENSE_QUESTION][article])
        lane = Lane.DENSE_QUESTION if dense_q > dense_a else Lane.DENSE_ARTICLE
        chunk_id = self.lanes.chunk_ids[int(scores.best_chunk[lane][article])]
        bm25 = float(scores.scores[Lane.BM25_EXPANDED][article])
        best_dense = max(dense_a, dense_q)
        return _hit(self._records[chunk_id], score=score, dense=best_dense if np.isfinite(best_dense) else None,
                    bm25=bm25 if np.isfinite(bm25) else None, dense_rank=dense_order.get(article), bm25_rank=bm25_order.get(article))

    def _load_note_vectors(self, manifest: dict) -> None:
        """Vectors of the 要点 (and their question-style pointers) in memory: there are few, and a
        question about platform work should see the best of them even when articles rank higher."""
        notes = [cid for cid, r in self._records.items() if r.get("kind") == "note"]
        pointers = [pid for pid, p in manifest.get("pointers", {}).items() if p["parent"] in set(notes)]
        ids = notes + pointers
        got = self.dense.vectors_for(ids)
        self._note_rows = [i for i in ids if i in got]
        self._note_parent = [manifest["pointers"][i]["parent"] if i in manifest.get("pointers", {}) else i for i in self._note_rows]
        self._note_matrix = np.stack([got[i] for i in self._note_rows]) if self._note_rows else np.zeros((0, self.embedder.dim), np.float32)

    def _load_dense(self, manifest: dict) -> DenseMatrix:
        """Every vector of this generation's collection that the manifest names, read once from the store."""
        named = {**self._records, **manifest.get("pointers", {})}
        vectors = self._store.embeddings_for(list(named))
        dim = next(iter(vectors.values())).shape[0] if vectors else self.embedder.dim
        return DenseMatrix(named, vectors, dim=dim)

    def _load_lanes(self, manifest: dict) -> ArticleLanes:
        """The lanes over this generation's articles and worker questions (their vectors in :attr:`dense`)."""
        use_questions = self.settings.index.question_vectors
        pointers = {pid: p for pid, p in manifest.get("pointers", {}).items() if use_questions and p["kind"] == "question"}
        return ArticleLanes(self._records, pointers, self.dense)

    def lane_scores(self, query: str, *, region: str | None = None, as_of: date | None = None) -> tuple[LaneScores, ConceptMatch]:
        """Every single lane's scores of every article for ``query`` (see :mod:`kb.lanes`)."""
        query = read_query(query, self.settings.paths.typos)
        return self._score_lanes(query, self._query_vector(query), region=region, as_of=as_of or date.today())

    def _score_lanes(self, query: str, vector, *, region: str | None, as_of: date) -> tuple[LaneScores, ConceptMatch]:
        """The lanes for an already read query and its vector."""
        concepts = self.concepts.match(query)
        expanded = " ".join([query, *concepts.legal_terms]) if self.settings.retrieval.concept_expansion else query
        scores = self.lanes.score(query=query, expanded_query=expanded, vector=vector, concepts=concepts,
                                  regions=applicable_regions(region), as_of=as_of)
        return scores, concepts

    def query_vector(self, query: str):
        """The embedding of ``query`` as :meth:`search` reads it (the bot matches its 办事指南 with it)."""
        return self._query_vector(read_query(query, self.settings.paths.typos))

    def _query_vector(self, text: str):
        """The embedding of an already read query, embedded once while it is among the recent ones
        (answering a question asks for it again: the 要点, the guides, :meth:`closest`)."""
        return self.query_vectors.get(text)

    def closest(self, query: str, texts: Sequence[str]) -> int:
        """The index of the text (a list item of an article, say) most similar to ``query`` by
        the retriever's embeddings. Texts are article text: each is embedded once and kept."""
        return int(np.argmax(self.similarities(query, texts)))

    def similarities(self, query: str, texts: Sequence[str]) -> np.ndarray:
        """The similarity of each text to ``query`` by the retriever's embeddings (each text is
        embedded once and kept), in the order of ``texts``."""
        unseen = [t for t in dict.fromkeys(texts) if t not in self._text_vectors]
        if unseen:
            for text, vector in zip(unseen, self.embedder.embed_passages(unseen)):
                self._text_vectors[text] = vector
        query_vector = self._query_vector(read_query(query, self.settings.paths.typos))
        return np.stack([self._text_vectors[t] for t in texts]) @ query_vector

    def search_notes(
        self, query: str, *, k: int = 3, region: str | None = None, as_of: date | None = None, vector=None, doc_id: str | None = None
    ) -> list[Hit]:
        """The best 要点 for ``query`` that apply in ``region`` on ``as_of`` (dense similarity only),
        of one document when ``doc_id`` is given."""
        if not self._note_rows:
            return []
        as_of = as_of or date.today()
        regions = applicable_regions(region)
        vector = self._query_vector(read_query(query, self.settings.paths.typos)) if vector is None else vector
        best: dict[str, float] = {}
        for parent, sim in zip(self._note_parent, self._note_matrix @ vector):
            if doc_id and self._records[parent]["doc_id"] != doc_id:
                continue
            if self.applies(parent, as_of=as_of, regions=regions):
                best[parent] = max(best.get(parent, -1.0), float(sim))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
        return [_hit(self._records[cid], score=sim, dense=sim, bm25=None, dense_rank=None, bm25_rank=None) for cid, sim in ranked]

    def as_langchain(self, *, k: int | None = None, region: str | None = None, as_of: date | None = None):
        """This retriever as a LangChain ``BaseRetriever`` (Documents with the hit's fields as metadata)."""
        return LawRetriever(hybrid=self, k=k or self.settings.retrieval.top_k, region=region, as_of=as_of)


def _hit(record: dict, **evidence) -> Hit:
    return Hit(
        chunk_id=record["id"],
        doc_id=record["doc_id"],
        title=record["title"],
        article=record["article"],
        chapter=record["chapter"],
        section=record["section"],
        text=record["text"],
        part=record["part"],
        parts=record["parts"],
        paragraphs=tuple(record["paragraphs"]),
        pages=tuple(record["pages"]),
        kind=record.get("kind", "article"),
        source_url=record.get("source_url"),
        **evidence,
    )


def _langchain_retriever_class():
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class LawRetriever(BaseRetriever):
        """LangChain face of :class:`HybridRetriever`."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        hybrid: HybridRetriever
        k: int = 5
        region: str | None = None
        as_of: date | None = None

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            result = self.hybrid.search(query, k=self.k, region=self.region, as_of=self.as_of)
            return [Document(page_content=h.text, metadata={**h.__dict__, "text": None}, id=h.chunk_id) for h in result.hits]

    return LawRetriever


LawRetriever = _langchain_retriever_class()
