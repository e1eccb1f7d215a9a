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
from typing import Sequence

import numpy as np

from kb.generations import pointer_of
from kb.index import read_manifest
from corpus.regions import applicable_regions
from kb.concepts import ConceptMatch, ConceptMatcher
from kb.lanes import ArticleLanes, LaneScores
from kb.keywords import KeywordIndex, tokenize
from kb.simplified import to_simplified
from kb.typos import correct_typos
from kb.store import CollectionMissingError, DenseMatch, VectorStore, date_key
from laoquan.settings import Settings



def read_query(query: str) -> str:
    """A question as the retriever reads it: 繁體 as simplified, pinyin-input typos corrected."""
    return correct_typos(to_simplified(query))

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
    """Fused score (reciprocal-rank fusion); only the order matters."""
    dense: float | None
    """Cosine similarity of question and chunk, when the chunk was among the dense candidates."""
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
    concepts: tuple[str, ...] = ()
    """Ids of the lexicon concepts the question hits."""
    platform_words: tuple[str, ...] = ()
    notes: list[Hit] = field(default_factory=list)
    """The best 要点 (policy notes) for the question, whatever the articles' ranks."""
    guides: list = field(default_factory=list)
    """The closest 办事指南 (:class:`kb.guide_matcher.GuideMatch`), best first."""


class HybridRetriever:
    """Loads the manifest, the BM25 index, the vector store and the embedding model once.

    It reads one index generation — the manifest and the collection it names — for its whole
    life; a newer index is picked up by loading a new retriever (:class:`laoquan.app.ReloadingBot`)."""

    def __init__(self, settings: Settings, *, embedder=None):
        self.settings = settings
        self._last_query: tuple[str, object] | None = None
        self._text_vectors: dict[str, object] = {}
        manifest = read_manifest(settings.index_dir)
        records = manifest["chunks"]
        if not records:
            raise IndexMissingError(f"知识库还没有建立索引，请先运行 `laoquan index`（{settings.index_dir}）")
        self._records: dict[str, dict] = records
        pointer = pointer_of(manifest, base=settings.collection)
        self.generation: int = pointer.generation
        """The index generation this retriever reads (see :mod:`kb.generations`)."""
        self.collection: str = pointer.collection
        pointers = manifest.get("pointers", {})
        use = {"question": settings.question_vectors, "paragraph": settings.paragraph_vectors}
        self._parent_of = {pid: p["parent"] for pid, p in pointers.items() if use.get(p["kind"], False)}
        self._ids = list(records)
        self._first_chunk = {}
        self._parts_of: dict[tuple[str, str], list[dict]] = {}  # (doc, article) → its article chunks
        self._note_of: dict[tuple[str, str], dict] = {}  # (doc, 要点 id) → the note
        for cid, r in records.items():
            self._first_chunk.setdefault((r["doc_id"], r["article"]), cid)
            if r.get("kind", "article") == "article":
                self._parts_of.setdefault((r["doc_id"], r["article"]), []).append(r)
            elif r.get("kind") == "note":
                point = re.search(r"要点([^）]+)）?$", r["article"])
                if point:
                    self._note_of.setdefault((r["doc_id"], point.group(1)), r)
        self.concepts = ConceptMatcher.default()
        expand = settings.question_vectors
        self._keywords = KeywordIndex(self._ids, [r["tokens"] + (r.get("question_tokens", []) if expand else []) for r in records.values()])
        try:
            self._store = VectorStore(settings, collection=self.collection, create=False)
        except CollectionMissingError:
            raise IndexMissingError(
                f"索引的向量集合 {self.collection} 不在向量库里（被删除了，或连到了别的 Chroma），请重新运行 `laoquan index`"
            ) from None
        self._load_note_vectors(manifest)
        self.lanes = self._load_lanes(manifest)
        if embedder is None:
            from kb.embeddings import Embedder, ensure_model_folder

            embedder = Embedder(ensure_model_folder(settings.model_dir))
        self.embedder = embedder
        self.guides = self._load_guides()

    def __len__(self) -> int:
        return len(self._records)

    def record(self, chunk_id: str) -> dict:
        return self._records[chunk_id]

    def chunk_ids(self) -> list[str]:
        return list(self._ids)

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

    def guide(self, guide_id: str):
        """A 办事指南 by id (None when unknown or when there are no guides)."""
        return self.guides.guides.get(guide_id) if self.guides else None

    def fallback_guide(self, question: str):
        """The general route for a problem no guide fits (injury or dispute; None when there is none)."""
        return self.guides.fallback_for(question) if self.guides else None

    def _load_guides(self):
        """The 办事指南 matcher, or None when there are no guides (or they cannot be read: the bot
        then answers without them, and ``laoquan index`` reports the problem)."""
        from corpus.guides import GuideError
        from kb.guide_matcher import load_guide_matcher

        try:
            matcher = load_guide_matcher(self.settings.guides_dir, self.settings.index_dir, embedder=self.embedder)
        except GuideError:
            return None
        return matcher if len(matcher) else None

    def applies(self, chunk_id: str, *, as_of: date, regions: tuple[str, ...]) -> bool:
        meta = self._records[chunk_id]["meta"]
        key = date_key(as_of)
        return meta["effective_from"] <= key <= meta["effective_to"] and meta["region"] in regions

    def search(self, query: str, *, k: int | None = None, region: str | None = None, as_of: date | None = None) -> Retrieval:
        """The ``k`` best chunks for ``query`` among those in force on ``as_of`` (default today)."""
        k = k or self.settings.top_k
        as_of = as_of or date.today()
        regions = applicable_regions(region)
        query = read_query(query)
        timings = {}

        started = time.perf_counter()
        vector = self._query_vector(query)
        timings["embed"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        dense, top_question = self._dense(vector, regions=regions, as_of=as_of)
        notes = self.search_notes(query, k=12, region=region, as_of=as_of, vector=vector)
        guides = self.guides.match(vector, k=3) if self.guides else []
        timings["dense"] = (time.perf_counter() - started) * 1000

        started = time.perf_counter()
        concepts = self.concepts.match(query)
        keyword_query = " ".join([query, *concepts.legal_terms]) if self.settings.concept_expansion else query
        scores = self._keywords.scores(keyword_query)
        order = np.argsort(-scores)
        bm25 = []
        for i in order:
            if scores[i] <= 0 or len(bm25) >= self.settings.bm25_k:
                break
            if self.applies(self._ids[i], as_of=as_of, regions=regions):
                bm25.append((self._ids[i], float(scores[i])))
        concept_ranked = []
        for ref in concepts.ranked_articles():
            cid = self._first_chunk.get(ref)
            if cid and self.applies(cid, as_of=as_of, regions=regions):
                concept_ranked.append(cid)
        timings["bm25"] = (time.perf_counter() - started) * 1000

        s = self.settings
        fused: dict[str, float] = {}
        for weight, ranked in (
            (s.dense_weight, [m.chunk_id for m in dense]),
            (s.bm25_weight, [cid for cid, _ in bm25]),
            (s.concept_weight, concept_ranked[: s.bm25_k]),
        ):
            for rank, cid in enumerate(ranked, start=1):
                fused[cid] = fused.get(cid, 0.0) + weight / (s.rrf_k + rank)
        dense_by_id = {m.chunk_id: (rank, m.similarity) for rank, m in enumerate(dense, start=1)}
        bm25_by_id = {cid: (rank, score) for rank, (cid, score) in enumerate(bm25, start=1)}

        hits = []
        for cid, score in sorted(fused.items(), key=lambda kv: -kv[1])[:k]:
            d_rank, d_sim = dense_by_id.get(cid, (None, None))
            b_rank, b_score = bm25_by_id.get(cid, (None, None))
            hits.append(_hit(self._records[cid], score=score, dense=d_sim, bm25=b_score, dense_rank=d_rank, bm25_rank=b_rank))
        timings["total"] = sum(timings.values())
        return Retrieval(
            query=query,
            hits=hits,
            as_of=as_of,
            region=region,
            top_dense=max((m.similarity for m in dense), default=0.0),
            top_question=top_question,
            top_bm25=bm25[0][1] if bm25 else 0.0,
            concepts=tuple(c.id for c in concepts.concepts),
            notes=notes,
            guides=guides,
            platform_words=concepts.platform_words,
            timings_ms=timings,
        )

    def _dense(self, vector, *, regions: tuple[str, ...], as_of: date) -> tuple[list[DenseMatch], float]:
        """Dense candidates as articles: a pointer vector (worker question, 款) stands for its article,
        and an article keeps its best similarity from its own text or any of its pointers."""
        best: dict[str, float] = {}
        top_question = 0.0
        for match in self._store.search(vector, k=self.settings.dense_k, regions=regions, as_of=as_of):
            if match.kind != "article" and match.chunk_id not in self._parent_of:
                continue  # a kind of pointer that is switched off
            cid = self._parent_of.get(match.chunk_id, match.chunk_id)
            if cid not in self._records:
                continue  # stored by a newer index run than the manifest we loaded
            if match.kind == "question":
                top_question = max(top_question, match.similarity)
            best[cid] = max(best.get(cid, -1.0), match.similarity)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        return [DenseMatch(cid, sim) for cid, sim in ranked], top_question

    def _load_note_vectors(self, manifest: dict) -> None:
        """Vectors of the 要点 (and their question-style pointers) in memory: there are few, and a
        question about platform work should see the best of them even when articles rank higher."""
        notes = [cid for cid, r in self._records.items() if r.get("kind") == "note"]
        pointers = [pid for pid, p in manifest.get("pointers", {}).items() if p["parent"] in set(notes)]
        ids = notes + pointers
        got = self._store.embeddings_for(ids) if ids else {}
        self._note_rows = [i for i in ids if i in got]
        self._note_parent = [manifest["pointers"][i]["parent"] if i in manifest.get("pointers", {}) else i for i in self._note_rows]
        self._note_matrix = np.stack([got[i] for i in self._note_rows]) if self._note_rows else np.zeros((0, 384), np.float32)

    def _load_lanes(self, manifest: dict) -> ArticleLanes:
        """The article and worker-question vectors of this generation, in memory for the lanes."""
        use_questions = self.settings.question_vectors
        pointers = {pid: p for pid, p in manifest.get("pointers", {}).items() if use_questions and p["kind"] == "question"}
        articles = [cid for cid, r in self._records.items() if r.get("kind", "article") == "article"]
        vectors = self._store.embeddings_for(articles + list(pointers))
        dim = next(iter(vectors.values())).shape[0] if vectors else 384
        return ArticleLanes(self._records, pointers, vectors, dim=dim)

    def lane_scores(self, query: str, *, region: str | None = None, as_of: date | None = None) -> tuple[LaneScores, ConceptMatch]:
        """Every single lane's scores of every article for ``query`` (see :mod:`kb.lanes`)."""
        as_of = as_of or date.today()
        query = read_query(query)
        vector = self._query_vector(query)
        concepts = self.concepts.match(query)
        expanded = " ".join([query, *concepts.legal_terms]) if self.settings.concept_expansion else query
        scores = self.lanes.score(query=query, expanded_query=expanded, vector=vector, concepts=concepts,
                                  regions=applicable_regions(region), as_of=as_of)
        return scores, concepts

    def _query_vector(self, text: str):
        """The embedding of an already read query; the last one is kept, since answering a question
        asks for it again (:meth:`closest`)."""
        last = self._last_query
        if last is not None and last[0] == text:
            return last[1]
        vector = self.embedder.embed_query(text)
        self._last_query = (text, vector)
        return vector

    def closest(self, query: str, texts: Sequence[str]) -> int:
        """The index of the text (a list item of an article, say) most similar to ``query`` by
        the retriever's embeddings. Texts are article text: each is embedded once and kept."""
        unseen = [t for t in dict.fromkeys(texts) if t not in self._text_vectors]
        if unseen:
            for text, vector in zip(unseen, self.embedder.embed_passages(unseen)):
                self._text_vectors[text] = vector
        query_vector = self._query_vector(read_query(query))
        return int(np.argmax(np.stack([self._text_vectors[t] for t in texts]) @ query_vector))

    def search_notes(
        self, query: str, *, k: int = 3, region: str | None = None, as_of: date | None = None, vector=None, doc_id: str | None = None
    ) -> list[Hit]:
        """The best 要点 for ``query`` that apply in ``region`` on ``as_of`` (dense similarity only),
        of one document when ``doc_id`` is given."""
        if not self._note_rows:
            return []
        as_of = as_of or date.today()
        regions = applicable_regions(region)
        vector = self._query_vector(read_query(query)) if vector is None else vector
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
        return LawRetriever(hybrid=self, k=k or self.settings.top_k, region=region, as_of=as_of)


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
