"""Small fakes of laoquan's seams (kb.protocols, bot.protocols) for the unit tests.

None of them loads the e5 model, opens Chroma or reads the sources folder, so a test built on them
runs in milliseconds; the integration tests (marked ``integration``) keep the real model, a real
Chroma and the sources folder. Each fake implements one ``runtime_checkable`` Protocol
(``tests/test_fakes.py`` checks it, and that the real classes do too):

- :class:`HashingEmbedder` — :class:`kb.protocols.Embedder`: character uni- and bigrams hashed
  into ``dim`` buckets, L2-normalised float32; deterministic; texts sharing words share buckets;
- :class:`InMemoryStore` — :class:`kb.protocols.Store`: a dict, searched by dot product with the
  same region / as-of filters as :class:`kb.store.VectorStore`;
- :class:`FakeRetriever` — :class:`kb.protocols.Retriever`: a handful of given
  :class:`kb.retriever.Hit` passages returned as a :class:`kb.retriever.Retrieval` with chosen
  ``confidence`` / ``in_scope`` (and their cuts), so a test decides refuse / partial / answer;
- :class:`FakeChatModel` — :class:`bot.protocols.ChatModel`: streams given replies in chunks with
  a ``content``; its iterator has ``close()``; it can raise or dawdle;
- :class:`FakeBot` — :class:`bot.protocols.Bot`: returns canned :class:`bot.answer.Answer` objects
  and records every call.

Options are keyword-only. The fixtures in ``tests/conftest.py`` hand out ready instances.
"""
from __future__ import annotations

import dataclasses
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from kb.retriever import Hit, Retrieval
from kb.store import FAR_FUTURE, DenseMatch, date_key

if TYPE_CHECKING:
    from bot.results import Answer

# -- the embedder ---------------------------------------------------------------------------------


def _grams(text: str) -> list[str]:
    """Character unigrams and bigrams of ``text`` with spaces and punctuation left out (so 「工伤。」
    and 「工伤？」 read the same); letters are lower-cased."""
    chars = [c.lower() for c in text if not (c.isspace() or unicodedata.category(c)[0] in "PSZC")]
    return chars + [a + b for a, b in zip(chars, chars[1:])]


class HashingEmbedder:
    """Implements :class:`kb.protocols.Embedder` without a model: each character unigram and
    bigram of a text adds one (bigrams two) to the bucket its CRC-32 hashes to, and the vector is
    L2-normalised. Deterministic across runs and processes; two texts that share words share
    buckets, so 「上下班途中被车撞」 is closer to the 第十四条 about 上下班途中 than to 第十条 on contracts.
    A text with no characters gives the zero vector. Queries and passages embed alike (e5's
    prefixes are not imitated). ``calls`` counts the texts embedded, by kind."""

    def __init__(self, *, dim: int = 64):
        self.dim = dim
        self.calls: dict[str, int] = {"passage": 0, "query": 0}

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for gram in _grams(text):
            v[zlib.crc32(gram.encode("utf-8")) % self.dim] += 2.0 if len(gram) == 2 else 1.0
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v

    def _matrix(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return np.stack([self._vector(t) for t in texts]).astype(np.float32)

    def embed_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        self.calls["passage"] += len(texts)
        return self._matrix(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls["query"] += len(texts)
        return self._matrix(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def __repr__(self) -> str:
        return f"HashingEmbedder(dim={self.dim})"


# -- the store ------------------------------------------------------------------------------------


class InMemoryStore:
    """Implements :class:`kb.protocols.Store` over a dict: id → (vector, document, metadata).

    ``search`` ranks by dot product (the vectors are normalised: the cosine, which is what
    :class:`kb.store.VectorStore` returns as similarity) among the entries that pass the filters
    VectorStore gives Chroma: ``effective_from <= as_of <= effective_to`` (dates as
    :func:`kb.store.date_key` integers) and ``region in regions``. An entry without those keys is
    treated as national and always in force."""

    def __init__(self, *, name: str = "fake_g1"):
        self.name = name
        self.vectors: dict[str, np.ndarray] = {}
        self.documents: dict[str, str] = {}
        self.metadatas: dict[str, dict] = {}
        self.searches: list[dict] = []
        """Every ``search`` call's filters (a test can check what was asked)."""

    def count(self) -> int:
        return len(self.vectors)

    def stored_hashes(self) -> dict[str, tuple[str, str]]:
        return {i: (m.get("content_hash", ""), m.get("record_hash", "")) for i, m in self.metadatas.items()}

    def embeddings_for(self, ids: list[str]) -> dict[str, np.ndarray]:
        return {i: self.vectors[i].copy() for i in ids if i in self.vectors}

    def upsert(self, ids: list[str], embeddings: np.ndarray, documents: list[str], metadatas: list[dict]) -> None:
        if not (len(ids) == len(embeddings) == len(documents) == len(metadatas)):
            raise ValueError("ids, embeddings, documents and metadatas must have the same length")
        for i, vector, document, metadata in zip(ids, embeddings, documents, metadatas):
            self.vectors[i] = np.asarray(vector, dtype=np.float32)
            self.documents[i] = document
            self.metadatas[i] = dict(metadata)

    def delete(self, ids: list[str]) -> None:
        for i in ids:
            self.vectors.pop(i, None)
            self.documents.pop(i, None)
            self.metadatas.pop(i, None)

    def _passes(self, metadata: dict, *, regions: tuple[str, ...] | None, as_of: date | None) -> bool:
        if as_of is not None:
            key = date_key(as_of)
            if not metadata.get("effective_from", 0) <= key <= metadata.get("effective_to", FAR_FUTURE):
                return False
        return not regions or metadata.get("region", "全国") in regions

    def search(self, vector: np.ndarray, *, k: int, regions: tuple[str, ...] | None = None, as_of: date | None = None) -> list[DenseMatch]:
        self.searches.append({"k": k, "regions": regions, "as_of": as_of})
        query = np.asarray(vector, dtype=np.float32)
        found = [
            (float(self.vectors[i] @ query), i) for i, m in self.metadatas.items() if self._passes(m, regions=regions, as_of=as_of)
        ]
        found.sort(key=lambda x: (-x[0], x[1]))
        return [DenseMatch(i, sim, self.metadatas[i].get("kind", "article")) for sim, i in found[:k]]


# -- passages and the retriever -------------------------------------------------------------------


def make_hit(doc_id: str, article: str, text: str, *, title: str = "", kind: str = "article", dense: float | None = 0.9,
             score: float = 1.0, source_url: str | None = None, chapter: str = "", pages: tuple[int, ...] = ()) -> Hit:
    """A :class:`kb.retriever.Hit` with the fields a test does not care about filled in."""
    chunk_id = f"{doc_id}#{article}"
    return Hit(
        chunk_id=chunk_id, doc_id=doc_id, title=title or doc_id, article=article, chapter=chapter, section="", text=text,
        part=1, parts=1, paragraphs=(1, max(1, text.count("\n") + 1)), pages=pages, score=score, dense=dense, bm25=None,
        dense_rank=None, bm25_rank=None, kind=kind, source_url=source_url,
    )


# Real articles (verbatim, as the index stores them) for tests that want passages with meaning.
GONGSHANG_14 = make_hit("gongshang-baoxian-tiaoli", "第十四条", title="工伤保险条例", chapter="第三章 工伤认定", text=(
    "第十四条 职工有下列情形之一的，应当认定为工伤：\n"
    "(一)在工作时间和工作场所内，因工作原因受到事故伤害的；\n"
    "(二)工作时间前后在工作场所内，从事与工作有关的预备性或者收尾性工作受到事故伤害的；\n"
    "(三)在工作时间和工作场所内，因履行工作职责受到暴力等意外伤害的；\n"
    "(四)患职业病的；\n"
    "(五)因工外出期间，由于工作原因受到伤害或者发生事故下落不明的；\n"
    "(六)在上下班途中，受到非本人主要责任的交通事故或者城市轨道交通、客运轮渡、火车事故伤害的；\n"
    "(七)法律、行政法规规定应当认定为工伤的其他情形。"
))
GONGSHANG_17 = make_hit("gongshang-baoxian-tiaoli", "第十七条", title="工伤保险条例", chapter="第三章 工伤认定", dense=0.8, text=(
    "第十七条 职工发生事故伤害或者按照职业病防治法规定被诊断、鉴定为职业病，所在单位应当自事故伤害发生之日或者被诊断、鉴定为职业病之日起30日内，"
    "向统筹地区社会保险行政部门提出工伤认定申请。遇有特殊情况，经报社会保险行政部门同意，申请时限可以适当延长。\n"
    "用人单位未按前款规定提出工伤认定申请的，工伤职工或者其近亲属、工会组织在事故伤害发生之日或者被诊断、鉴定为职业病之日起1年内，"
    "可以直接向用人单位所在地统筹地区社会保险行政部门提出工伤认定申请。\n"
    "按照本条第一款规定应当由省级社会保险行政部门进行工伤认定的事项，根据属地原则由用人单位所在地的设区的市级社会保险行政部门办理。\n"
    "用人单位未在本条第一款规定的时限内提交工伤认定申请，在此期间发生符合本条例规定的工伤待遇等有关费用由该用人单位负担。"
))
HETONG_10 = make_hit("laodong-hetong-fa", "第十条", title="劳动合同法", chapter="第二章 劳动合同的订立", dense=0.7, text=(
    "第十条 建立劳动关系，应当订立书面劳动合同。\n"
    "已建立劳动关系，未同时订立书面劳动合同的，应当自用工之日起一个月内订立书面劳动合同。\n"
    "用人单位与劳动者在用工前订立劳动合同的，劳动关系自用工之日起建立。"
))
HETONG_82 = make_hit("laodong-hetong-fa", "第八十二条", title="劳动合同法", chapter="第七章 法律责任", dense=0.6, text=(
    "第八十二条 用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。\n"
    "用人单位违反本法规定不与劳动者订立无固定期限劳动合同的，自应当订立无固定期限劳动合同之日起向劳动者每月支付二倍的工资。"
))
XINJIUYE_NOTE = make_hit(
    "xinjiuye-quanyi-zhidao-yijian-2021", "要点1", title="新就业形态劳动者权益保障指导意见", kind="note", dense=0.7,
    chapter="三种情况分别对待",
    text="这份意见把平台上干活的人分成三种情况分别对待：一是符合劳动关系的，二是不完全符合劳动关系、但企业对人进行劳动管理的， "
         "三是个人借助平台自己经营、做自由职业的。骑手、司机先要弄清自己属于哪一种，因为能享受的保障不一样。",
)
SAMPLE_HITS = (GONGSHANG_14, GONGSHANG_17, HETONG_10, HETONG_82)
"""Four real articles, in the order a question about 上下班途中被车撞 might rank them."""

NATIONAL_ALWAYS = {"region": "全国", "effective_from": 0, "effective_to": FAR_FUTURE}


class FakeRetriever:
    """Implements :class:`kb.protocols.Retriever` over a handful of given passages.

    ``search`` returns the article hits in the given order (those that apply in the region on the
    date, at most ``k``) as a :class:`kb.retriever.Retrieval` carrying the chosen ``confidence``,
    ``in_scope``, ``answer_above`` and ``sure_above`` — the numbers :class:`bot.answer.AnswerBot`
    decides refuse / partial / answer by. ``notes`` are the 要点 (``kind="note"`` hits).
    ``meta`` gives a chunk's region and dates (:func:`kb.index.chroma_metadata` keys); without
    it a passage is national and always in force. Every ``search`` is recorded in ``searches``."""

    def __init__(self, hits: Iterable[Hit] = SAMPLE_HITS, *, notes: Iterable[Hit] = (), confidence: float = 0.9,
                 in_scope: float = 0.9, answer_above: float = 0.5, sure_above: float = 0.6, meta: dict[str, dict] | None = None,
                 embedder=None, generation: int = 1, collection: str = "fake_g1"):
        self.hits = list(hits)
        self.notes = list(notes)
        self.confidence, self.in_scope = confidence, in_scope
        self.answer_above, self.sure_above = answer_above, sure_above
        self.embedder = embedder if embedder is not None else HashingEmbedder()
        self.generation = generation
        self.collection = collection
        self.searches: list[dict] = []
        meta = meta or {}
        self._records = {
            h.chunk_id: {
                "id": h.chunk_id, "doc_id": h.doc_id, "article": h.article, "text": h.text, "kind": h.kind, "part": h.part,
                "meta": {**NATIONAL_ALWAYS, "doc_id": h.doc_id, **meta.get(h.chunk_id, {})},
            }
            for h in self.hits + self.notes
        }

    def applies(self, chunk_id: str, *, as_of: date, regions: tuple[str, ...]) -> bool:
        """As :meth:`kb.retriever.HybridRetriever.applies` (AnswerBot calls it; the Protocol lacks it)."""
        meta = self._records[chunk_id]["meta"]
        return meta["effective_from"] <= date_key(as_of) <= meta["effective_to"] and meta["region"] in regions

    def _applying(self, hits: list[Hit], region: str | None, as_of: date | None) -> list[Hit]:
        from corpus.regions import applicable_regions

        regions = applicable_regions(region)
        return [h for h in hits if self.applies(h.chunk_id, as_of=as_of or date.today(), regions=regions)]

    def search(self, query: str, *, k: int | None = None, region: str | None = None, as_of: date | None = None) -> Retrieval:
        self.searches.append({"query": query, "k": k, "region": region, "as_of": as_of})
        as_of = as_of or date.today()
        hits = self._applying(self.hits, region, as_of)[: k or 5]
        notes = self._applying(self.notes, region, as_of)
        top = max((h.dense or 0.0 for h in hits), default=0.0)
        return Retrieval(
            query=query, hits=hits, as_of=as_of, region=region, top_dense=top, top_question=0.0, top_bm25=0.0,
            timings_ms={"fake": 0.0}, confidence=self.confidence, in_scope=self.in_scope, answer_above=self.answer_above,
            sure_above=self.sure_above, notes=notes,
        )

    def lookup(self, doc_id: str, article: str, *, query: str = "", containing: str = "") -> Hit | None:
        parts = [h for h in self.hits if (h.doc_id, h.article) == (doc_id, article)]
        if containing:
            parts = [h for h in parts if containing in h.text] or parts
        return dataclasses.replace(parts[0], score=1.0, dense=None) if parts else None

    def lookup_note(self, doc_id: str, point_id: str) -> Hit | None:
        return next((n for n in self.notes if n.doc_id == doc_id and n.article.endswith(f"要点{point_id}")), None)

    def search_notes(self, query: str, *, k: int = 3, region: str | None = None, as_of: date | None = None,
                     vector: np.ndarray | None = None, doc_id: str | None = None) -> list[Hit]:
        notes = [n for n in self._applying(self.notes, region, as_of) if doc_id is None or n.doc_id == doc_id]
        return notes[:k]

    def query_vector(self, query: str) -> np.ndarray:
        return self.embedder.embed_query(query)

    def closest(self, query: str, texts: Sequence[str]) -> int:
        return int(np.argmax(self.similarities(query, texts)))

    def similarities(self, query: str, texts: Sequence[str]) -> np.ndarray:
        return self.embedder.embed_passages(list(texts)) @ self.query_vector(query)

    def record(self, chunk_id: str) -> dict:
        return self._records[chunk_id]

    def chunk_ids(self) -> list[str]:
        return list(self._records)

    def article_texts(self) -> dict[tuple[str, str], str]:
        return {(h.doc_id, h.article): h.text for h in self.hits if h.kind == "article"}


# -- the chat model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """A streamed piece, shaped like LangChain's ``AIMessageChunk`` where the writer looks."""

    content: str | list


class FakeStream:
    """The iterator :meth:`FakeChatModel.stream` returns: chunks of the reply, then stop; it
    records whether the writer ``close()``-d it (that is how a real backend stops generating)."""

    def __init__(self, pieces: list[Any], *, delay: float, fail_after: int | None, error: BaseException | None):
        self._pieces = iter(pieces)
        self._delay, self._fail_after, self._error = delay, fail_after, error
        self.sent = 0
        self.closed = False

    def __iter__(self) -> "FakeStream":
        return self

    def __next__(self) -> Chunk:
        if self.closed:
            raise StopIteration
        if self._error is not None and self._fail_after is not None and self.sent >= self._fail_after:
            raise self._error
        piece = next(self._pieces)
        if self._delay:
            time.sleep(self._delay)
        self.sent += 1
        return Chunk(piece)

    def close(self) -> None:
        self.closed = True


class FakeChatModel:
    """Implements :class:`bot.protocols.ChatModel`: each ``stream(messages)`` call takes the next
    reply (the last one is repeated) and streams it ``chunk_chars`` characters at a time.

    ``as_parts``: chunk contents are lists of ``{"text": …}`` parts instead of strings (as some
    LangChain providers send). ``delay``: seconds slept before each chunk (with a small writer
    timeout, a timeout). ``error``: raised when ``stream`` is called, or — with ``fail_after`` —
    after that many chunks. ``calls`` keeps the messages of every call, ``streams`` the iterators."""

    def __init__(self, replies: str | Sequence[str] = (), *, chunk_chars: int = 4, as_parts: bool = False, delay: float = 0.0,
                 error: BaseException | None = None, fail_after: int | None = None):
        self.replies = [replies] if isinstance(replies, str) else list(replies)
        self.chunk_chars = chunk_chars
        self.as_parts = as_parts
        self.delay = delay
        self.error = error
        self.fail_after = fail_after
        self.calls: list[list] = []
        self.streams: list[FakeStream] = []

    def enqueue(self, *replies: str) -> None:
        """Add replies for the next calls (as simonw/llm's mock model does)."""
        self.replies += list(replies)

    def _reply(self) -> str:
        if not self.replies:
            return ""
        return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def stream(self, messages: Sequence[Any]) -> FakeStream:
        self.calls.append(list(messages))
        if self.error is not None and self.fail_after is None:
            raise self.error
        text = self._reply()
        pieces = [text[i:i + self.chunk_chars] for i in range(0, len(text), self.chunk_chars)]
        if self.as_parts:
            pieces = [[{"type": "text", "text": p}] for p in pieces]
        stream = FakeStream(pieces, delay=self.delay, fail_after=self.fail_after, error=self.error)
        self.streams.append(stream)
        return stream


# -- the bot --------------------------------------------------------------------------------------


@dataclass
class Call:
    """One call of a :class:`FakeBot`."""

    method: str
    question: str
    region: str | None
    as_of: date | None
    conversation: Any


def canned_answer(question: str = "送外卖路上被车撞了，算工伤吗？", *, outcome: str = "answered", conclusion: str = "上下班途中受到非本人主要责任的交通事故伤害，应当认定为工伤。",
                  **fields) -> "Answer":
    """An :class:`bot.answer.Answer` with a conclusion and one point, for tests that need any answer."""
    from bot.results import Answer

    body = fields.pop("answer", f"{conclusion}\n\n1. 《工伤保险条例》第十四条：在上下班途中受到交通事故伤害的，应当认定为工伤[1]")
    return Answer(question=question, outcome=outcome, answer=body, conclusion=conclusion,
                  points=fields.pop("points", ["《工伤保险条例》第十四条：在上下班途中受到交通事故伤害的，应当认定为工伤[1]"]), **fields)


class FakeBot:
    """Implements :class:`bot.protocols.Bot`: ``ask`` returns the next canned answer (the last one is
    repeated; ``answers`` may also be a function of the question), with ``question`` set to what
    was asked; ``stream`` yields the conclusion alone first, then the answer (as
    :meth:`bot.answer.AnswerBot.stream` does). Every call is recorded in ``calls``; ``error`` is
    raised by each call. ``catalog`` defaults to the repository's catalog (read on first use)."""

    def __init__(self, answers: "Answer | Sequence[Answer] | Callable[[str], Answer] | None" = None, *,
                 catalog=None, retriever=None, error: BaseException | None = None, staged: bool = True):
        if answers is None:
            answers = [canned_answer()]
        self._answers = answers if callable(answers) else ([answers] if not isinstance(answers, (list, tuple)) else list(answers))
        self._catalog = catalog
        self._retriever = retriever
        self.error = error
        self.staged = staged
        self.calls: list[Call] = []

    @property
    def catalog(self):
        if self._catalog is None:
            from corpus.catalog import load_catalog

            self._catalog = load_catalog()
        return self._catalog

    @property
    def retriever(self):
        if self._retriever is None:
            self._retriever = FakeRetriever()
        return self._retriever

    def _next(self, question: str):
        if callable(self._answers):
            answer = self._answers(question)
        else:
            answer = self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]
        return dataclasses.replace(answer, question=question)

    def ask(self, question: str, *, region: str | None = None, as_of: date | None = None, conversation=None):
        self.calls.append(Call("ask", question, region, as_of, conversation))
        if self.error is not None:
            raise self.error
        return self._next(question)

    def stream(self, question: str, *, region: str | None = None, as_of: date | None = None, conversation=None):
        self.calls.append(Call("stream", question, region, as_of, conversation))
        if self.error is not None:
            raise self.error
        answer = self._next(question)
        if self.staged:
            yield dataclasses.replace(answer, points=[], actions=None, citations=[], answer=answer.conclusion)
        yield answer


__all__ = [
    "FakeBot", "FakeChatModel", "FakeRetriever", "HashingEmbedder", "InMemoryStore", "SAMPLE_HITS", "canned_answer", "make_hit",
]


FAITHFUL = """结论：上下班途中被车撞、不是你的主要责任，应当认定为工伤[1]。
要点：
1. 在上下班途中，受到非本人主要责任的交通事故伤害的，应当认定为工伤[1]。
2. 在工作时间和工作场所内因工作原因受到事故伤害，也算工伤[1]。
3. 公司应当自事故伤害发生之日起30日内，向社会保险行政部门提出工伤认定申请[2]。
4. 公司没有申请的，你或者你的近亲属、工会组织可以在1年内直接提出工伤认定申请[2]。
5. 拿不准的话，可以打12333咨询。"""
"""An LLM draft that says only what 工伤保险条例 第十四条 [1] and 第十七条 [2] support (the writer's tests)."""
