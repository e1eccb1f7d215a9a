"""Dense search in process (kb.dense_matrix) and each question embedded once (kb.query_vectors).

Unit tests on fakes: the matrix's filtered top-k equals the store's search (the fake store filters
as Chroma is asked to); masks are kept per (regions, day); the LRU cache embeds a text once.
Integration: over the full index the matrix's top-k equals Chroma's on every eval question (only
the question texts are read), and an answer embeds its question once, also when asked again.
"""
from __future__ import annotations

import threading
from datetime import date

import numpy as np
import pytest

from kb.dense_matrix import DenseMatrix
from kb.query_vectors import QueryVectors

REGIONS = ("全国", "浙江", "杭州", "广东")


def _records_and_store(memory_store, n: int = 300, seed: int = 7):
    rng = np.random.default_rng(seed)
    vectors = rng.normal(size=(n, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    records = {}
    for i in range(n):
        start = int(rng.choice([0, 20080101, 20190501, 20250901]))
        end = int(rng.choice([99991231, 20201231, 20260101]))
        meta = {"region": REGIONS[i % len(REGIONS)], "effective_from": start, "effective_to": end, "doc_id": f"d{i % 9}"}
        kind = ("article", "question", "note")[i % 3]
        records[f"c{i:04d}"] = {"id": f"c{i:04d}", "kind": kind, "meta": meta}
    ids = list(records)
    memory_store.upsert(ids, vectors, ["正文"] * n, [{**records[i]["meta"], "kind": records[i]["kind"]} for i in ids])
    return records, {i: vectors[n_] for n_, i in enumerate(ids)}, rng


@pytest.mark.parametrize("regions, as_of", [
    (None, None),
    (("全国",), date(2026, 12, 7)),
    (("全国", "浙江", "杭州"), date(2024, 6, 1)),
    (("广东",), date(2019, 5, 1)),
    (("全国", "浙江"), date(2007, 1, 1)),
])
def test_top_k_equals_the_store_search(memory_store, regions, as_of):
    records, vectors, rng = _records_and_store(memory_store)
    dense = DenseMatrix(records, vectors, dim=32)
    for _ in range(20):
        query = rng.normal(size=32).astype(np.float32)
        query /= np.linalg.norm(query)
        for k in (1, 5, 10, 500):
            want = memory_store.search(query, k=k, regions=regions, as_of=as_of)
            got = dense.search(query, k=k, regions=regions, as_of=as_of)
            assert [m.chunk_id for m in got] == [m.chunk_id for m in want]
            assert [m.kind for m in got] == [m.kind for m in want]
            assert np.allclose([m.similarity for m in got], [m.similarity for m in want], atol=1e-5)


def test_masks_are_kept_per_regions_and_day(memory_store):
    records, vectors, _ = _records_and_store(memory_store)
    dense = DenseMatrix(records, vectors, dim=32)
    a = dense.mask(regions=("全国", "浙江"), as_of=date(2024, 6, 1))
    assert dense.mask(regions=("浙江", "全国"), as_of=date(2024, 6, 1)) is a  # the same set of regions, the same mask
    b = dense.mask(regions=("全国", "浙江"), as_of=date(2026, 6, 1))
    assert b is not a and not np.array_equal(a, b)
    want = [records[i]["meta"]["region"] in ("全国", "浙江") and records[i]["meta"]["effective_from"] <= 20240601 <= records[i]["meta"]["effective_to"]
            for i in dense.ids]
    assert a.tolist() == want
    with pytest.raises(ValueError):
        a[0] = not a[0]  # a kept mask cannot be changed by a caller


def test_rows_without_a_vector_are_left_out_and_vectors_are_the_stored_ones(memory_store):
    records, vectors, _ = _records_and_store(memory_store, n=30)
    del vectors["c0003"]
    dense = DenseMatrix(records, vectors, dim=32)
    assert "c0003" not in dense.row_of and len(dense) == 29
    got = dense.vectors_for(["c0001", "c0003", "c0029"])
    assert set(got) == {"c0001", "c0029"} and np.array_equal(got["c0029"], vectors["c0029"])


class CountingEmbedder:
    def __init__(self, inner):
        self.inner = inner
        self.dim = inner.dim
        self.asked: list[str] = []

    def embed_query(self, text):
        self.asked.append(text)
        return self.inner.embed_query(text)


def test_query_vectors_embed_each_text_once_and_forget_the_least_recent(hashing_embedder):
    counting = CountingEmbedder(hashing_embedder)
    cache = QueryVectors(counting, size=2)
    first = cache.get("送外卖路上被车撞了，算工伤吗？")
    assert np.array_equal(first, hashing_embedder.embed_query("送外卖路上被车撞了，算工伤吗？"))
    cache.get("干了三个月老板还不签合同")
    cache.get("送外卖路上被车撞了，算工伤吗？")  # kept: not embedded again, and now the most recent
    assert counting.asked == ["送外卖路上被车撞了，算工伤吗？", "干了三个月老板还不签合同"]
    cache.get("站长扣我300块说是超时罚款")  # the third text pushes out the least recent (合同)
    cache.get("送外卖路上被车撞了，算工伤吗？")
    cache.get("干了三个月老板还不签合同")
    assert counting.asked[2:] == ["站长扣我300块说是超时罚款", "干了三个月老板还不签合同"]
    assert cache.embedded == 4 and len(cache) == 2
    cache.clear()
    cache.get("干了三个月老板还不签合同")
    assert len(cache) == 1 and cache.embedded == 5  # forgotten: embedded again
    with pytest.raises(ValueError):
        first[0] = 1.0  # a cached vector cannot be changed by a caller


def test_query_vectors_size_zero_keeps_nothing_and_threads_share_the_cache(hashing_embedder):
    counting = CountingEmbedder(hashing_embedder)
    none_kept = QueryVectors(counting, size=0)
    none_kept.get("工伤")
    none_kept.get("工伤")
    assert len(counting.asked) == 2 and len(none_kept) == 0
    shared = QueryVectors(CountingEmbedder(hashing_embedder), size=64)
    questions = [f"问题{i % 8}" for i in range(200)]
    threads = [threading.Thread(target=lambda part=questions[i::4]: [shared.get(q) for q in part]) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(shared) == 8 and shared.embedded <= 8 * 4  # at most one miss per text per thread racing it


# -- integration: the real model and Chroma ----------------------------------------------------


def _eval_questions() -> list[tuple[str, str | None, date | None]]:
    """The question texts of the eval sets (with their province and as-of date; nothing else)."""
    from bench.rankings import AS_OF, eval_questions

    out = []
    for q in eval_questions():
        as_of = date.fromisoformat(q["as_of"]) if q["as_of"] else AS_OF
        out += [(t, q["province"], as_of) for t in q["turns"]]
    return out


def _chroma_where(regions, as_of):
    """The filter :meth:`kb.store.VectorStore.search` gives Chroma."""
    from kb.store import date_key

    key = date_key(as_of)
    return {"$and": [{"effective_from": {"$lte": key}}, {"effective_to": {"$gte": key}}, {"region": {"$in": list(regions)}}]}


def compare_with_chroma(retriever, questions, *, k: int = 10) -> dict:
    """For each question, the matrix's top-k beside (a) the exact top-k over the vectors Chroma itself
    returns for the same filter and (b) Chroma's own (HNSW, approximate) nearest-neighbour query."""
    from corpus.regions import applicable_regions

    store = retriever._store
    filtered: dict = {}
    out = {"questions": 0, "exact_differ": [], "score_diff": 0.0, "hnsw_differ": 0, "hnsw_better": []}
    for question, province, as_of in questions:
        vector = retriever.query_vector(question)
        regions = applicable_regions(province)
        key = (regions, as_of)
        if key not in filtered:  # the rows Chroma's filter lets through, with Chroma's stored vectors
            got = store.collection.get(where=_chroma_where(regions, as_of), include=["embeddings"])
            filtered[key] = (list(got["ids"]), np.asarray(got["embeddings"], np.float32))
        ids, matrix = filtered[key]
        sims = matrix @ vector
        order = sorted(range(len(ids)), key=lambda i: (-float(sims[i]), retriever.dense.row_of[ids[i]]))[:k]
        mine = retriever.dense.search(vector, k=k, regions=regions, as_of=as_of)
        out["questions"] += 1
        if [m.chunk_id for m in mine] != [ids[i] for i in order]:
            out["exact_differ"].append(question)
        out["score_diff"] = max(out["score_diff"], max((abs(m.similarity - float(sims[i])) for m, i in zip(mine, order)), default=0.0))
        hnsw = store.search(vector, k=k, regions=regions, as_of=as_of)
        if [m.chunk_id for m in hnsw] != [m.chunk_id for m in mine]:
            out["hnsw_differ"] += 1
            # HNSW may miss a neighbour; it may never find a closer one than the exact search
            if any(h.similarity > m.similarity + 1e-5 for h, m in zip(hnsw, mine)) or len(hnsw) > len(mine):
                out["hnsw_better"].append(question)
    return out


@pytest.mark.integration
def test_matrix_top_k_equals_chroma_on_every_eval_question(full_bot):
    retriever = full_bot.retriever
    assert len(retriever.dense) == retriever._store.count()  # the matrix holds the whole served collection
    found = compare_with_chroma(retriever, _eval_questions())
    assert found["questions"] > 1000
    assert not found["exact_differ"], f"{len(found['exact_differ'])} questions ranked differently, e.g. {found['exact_differ'][:3]}"
    assert found["score_diff"] < 1e-5
    assert not found["hnsw_better"]
    assert found["hnsw_differ"] <= 0.03 * found["questions"]  # Chroma's approximate index agrees on nearly all


@pytest.mark.integration
def test_an_answer_embeds_its_question_once_also_when_asked_again(bot, monkeypatch):
    retriever = bot.retriever
    asked = []
    real = retriever.embedder.embed_query
    monkeypatch.setattr(retriever.embedder, "embed_query", lambda text: asked.append(text) or real(text))
    first, second = "送外卖路上被电动车撞了一下，算不算工伤呀（只问一次）", "老板拖欠我三个月工资一直不给，咋办（只问一次）"
    for question in (first, second, first, second):
        bot.ask(question)
    assert len(asked) == 2, asked  # each question once: the lanes, 要点, guides and list items share it


@pytest.mark.integration
def test_one_query_vector_is_the_vector_encode_gives(embedder):
    questions = ["送外卖路上被车撞了，算工伤吗？", "干了3年5个月，月薪7千5，被辞退了，能拿多少补偿？", "平台說我是個體戶，不給上保險",
                 "My boss has not paid me for two months, what can I do?", "加班费怎么算\n每天12小时 ～ 一周6天", "工伤" * 400]
    for question in questions:
        want = embedder.embed_queries([question])[0]  # sentence-transformers' encode
        got = embedder.embed_query(question)  # one question straight through the transformer
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.array_equal(got, want), question[:20]
