"""The fakes of tests/fakes.py keep to the Protocols of kb.protocols and bot.protocols, and so do
the real classes; the fakes behave as the real ones do where the unit tests rely on it.

Everything here runs without the model, Chroma or the sources folder, except the last test
(marked integration), which checks the real objects the session's ``bot`` is built of.
"""
from __future__ import annotations

import inspect
import re
from datetime import date

import numpy as np
import pytest

from bot.protocols import Bot, ChatModel
from kb.protocols import Embedder, Retriever, Store
from kb.store import DenseMatch
from tests.fakes import (
    GONGSHANG_14,
    GONGSHANG_17,
    HETONG_10,
    FakeBot,
    FakeChatModel,
    FakeRetriever,
    HashingEmbedder,
    InMemoryStore,
    canned_answer,
)


def protocol_members(protocol) -> set[str]:
    """The names a Protocol requires: its annotated attributes and its public methods/properties."""
    names = set(getattr(protocol, "__annotations__", {}))
    names |= {n for n, v in vars(protocol).items() if not n.startswith("_") and (callable(v) or isinstance(v, property))}
    return names


def missing_on_class(cls, protocol) -> list[str]:
    """Members of ``protocol`` that ``cls`` neither has (method, property, class attribute) nor
    assigns as ``self.<name> =`` in its source: the check for classes too heavy to instantiate."""
    source = inspect.getsource(cls)
    return sorted(n for n in protocol_members(protocol) if not hasattr(cls, n) and not re.search(rf"self\.{n}\b[^=\n]*=", source))


# -- the fakes ------------------------------------------------------------------------------------


def test_protocol_members_are_what_the_seams_say():
    assert protocol_members(Embedder) == {"dim", "embed_passages", "embed_queries", "embed_query"}
    assert protocol_members(Store) == {"name", "count", "stored_hashes", "embeddings_for", "upsert", "delete", "search"}
    assert {"embedder", "generation", "collection", "search", "lookup", "search_notes", "record"} <= protocol_members(Retriever)
    assert protocol_members(Bot) == {"catalog", "retriever", "ask", "stream"}
    assert protocol_members(ChatModel) == {"stream"}


def test_each_fake_is_an_instance_of_its_protocol(hashing_embedder, memory_store, fake_retriever, fake_chat_model, fake_bot):
    assert isinstance(hashing_embedder, Embedder)
    assert isinstance(memory_store, Store)
    assert isinstance(fake_retriever, Retriever)
    assert isinstance(fake_chat_model, ChatModel)
    assert isinstance(fake_bot, Bot)
    for fake, protocol in [(HashingEmbedder, Embedder), (InMemoryStore, Store), (FakeRetriever, Retriever), (FakeChatModel, ChatModel), (FakeBot, Bot)]:
        assert missing_on_class(fake, protocol) == [], fake


def test_a_fake_does_not_pass_for_another_protocol(hashing_embedder, memory_store, fake_chat_model):
    assert not isinstance(hashing_embedder, Store) and not isinstance(memory_store, Embedder)
    assert not isinstance(fake_chat_model, Bot) and not isinstance(object(), ChatModel)


# -- the real classes -----------------------------------------------------------------------------


def test_the_real_classes_have_every_member_of_their_protocol():
    """Checked on the classes, without loading the model or opening Chroma."""
    from bot.answer import AnswerBot
    from bot.llm import LLMAnswerBot
    from kb.embeddings import Embedder as E5Embedder
    from kb.retriever import HybridRetriever
    from kb.store import VectorStore
    from laoquan.app import ReloadingBot

    assert missing_on_class(E5Embedder, Embedder) == []
    assert missing_on_class(VectorStore, Store) == []
    assert missing_on_class(HybridRetriever, Retriever) == []
    assert missing_on_class(AnswerBot, Bot) == []
    assert missing_on_class(ReloadingBot, Bot) == []
    assert missing_on_class(LLMAnswerBot, Bot) == []


def test_answer_bot_and_llm_answer_bot_over_fakes_are_bots(fake_retriever, fake_chat_model):
    """The two bots whose constructors take their dependencies, built over fakes."""
    from bot.answer import AnswerBot
    from bot.llm import LLMAnswerBot, LLMWriter
    from common.settings import load_settings
    from corpus.catalog import load_catalog

    answer_bot = AnswerBot(fake_retriever, load_catalog(), load_settings())
    assert isinstance(answer_bot, Bot) and answer_bot.retriever is fake_retriever
    wrapped = LLMAnswerBot(FakeBot(), LLMWriter(backend="fake", model="假模型"), fake_chat_model)
    assert isinstance(wrapped, Bot)


@pytest.mark.integration
def test_the_real_objects_are_instances_of_their_protocols(bot):
    """The served bot (ReloadingBot → AnswerBot → HybridRetriever → e5 Embedder, VectorStore)."""
    from bot.answer import AnswerBot
    from kb.embeddings import Embedder as E5Embedder
    from kb.retriever import HybridRetriever
    from kb.store import VectorStore

    assert isinstance(bot, Bot)
    inner = bot.current().bot
    assert isinstance(inner, AnswerBot) and isinstance(inner, Bot)
    assert isinstance(inner.retriever, HybridRetriever) and isinstance(inner.retriever, Retriever)
    assert isinstance(inner.retriever.embedder, E5Embedder) and isinstance(inner.retriever.embedder, Embedder)
    assert isinstance(inner.retriever._store, VectorStore) and isinstance(inner.retriever._store, Store)


# -- the fakes behave --------------------------------------------------------------------------------


def test_hashing_embedder_is_normalised_deterministic_and_puts_similar_texts_close():
    one, two = HashingEmbedder(dim=64), HashingEmbedder(dim=64)
    texts = ["上下班途中被车撞了，算工伤吗？", "在上下班途中，受到非本人主要责任的交通事故伤害的", "用人单位应当与劳动者订立书面劳动合同"]
    a, b = one.embed_passages(texts), two.embed_passages(texts)
    assert a.dtype == np.float32 and a.shape == (3, 64)
    assert np.array_equal(a, b)  # the same in every process: CRC-32, not Python's salted hash()
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    q = one.embed_query(texts[0])
    assert q.shape == (64,) and float(q @ a[1]) > float(q @ a[2])
    assert np.array_equal(one.embed_query("工伤。"), one.embed_query("工伤？"))  # punctuation is not a word
    assert not one.embed_query("，。").any() and one.embed_passages([]).shape == (0, 64)
    assert one.calls == {"passage": 3, "query": 4}


def test_in_memory_store_searches_by_dot_product_with_the_vector_stores_filters(hashing_embedder, memory_store):
    texts = {
        "national": ("职工在上下班途中受到交通事故伤害，应当认定为工伤", {"region": "全国", "effective_from": 20110101, "effective_to": 99991231}),
        "zhejiang": ("浙江省新就业形态人员职业伤害保障办法：上下班途中受到交通事故伤害", {"region": "浙江", "effective_from": 20240101, "effective_to": 99991231}),
        "repealed": ("旧条例：上下班途中受到交通事故伤害的，认定为工伤", {"region": "全国", "effective_from": 20040101, "effective_to": 20101231}),
        "contract": ("用人单位应当与劳动者订立书面劳动合同", {"region": "全国", "effective_from": 20080101, "effective_to": 99991231, "kind": "article"}),
    }
    ids = list(texts)
    memory_store.upsert(ids, hashing_embedder.embed_passages([t for t, _ in texts.values()]), [t for t, _ in texts.values()],
                        [{**m, "content_hash": f"c-{i}", "record_hash": f"r-{i}"} for i, (_, m) in texts.items()])
    assert memory_store.count() == 4 and memory_store.stored_hashes()["zhejiang"] == ("c-zhejiang", "r-zhejiang")
    q = hashing_embedder.embed_query("上下班路上出了交通事故算工伤吗")

    found = memory_store.search(q, k=10, regions=("全国",), as_of=date(2025, 6, 1))
    assert [m.chunk_id for m in found][:1] == ["national"] and {m.chunk_id for m in found} == {"national", "contract"}
    assert all(isinstance(m, DenseMatch) and m.kind == "article" for m in found)
    assert found[0].similarity > found[1].similarity
    in_zhejiang = {m.chunk_id for m in memory_store.search(q, k=10, regions=("全国", "浙江"), as_of=date(2025, 6, 1))}
    assert in_zhejiang == {"national", "zhejiang", "contract"}
    assert "repealed" in {m.chunk_id for m in memory_store.search(q, k=10, as_of=date(2009, 1, 1))}
    assert len(memory_store.search(q, k=2)) == 2  # no filters: everything, the k best

    memory_store.delete(["repealed", "nonexistent"])
    assert memory_store.count() == 3 and set(memory_store.embeddings_for(["repealed", "national"])) == {"national"}
    with pytest.raises(ValueError):
        memory_store.upsert(["a"], q[None, :], [], [])


def test_fake_retriever_returns_the_chosen_numbers_and_filters_by_region_and_date():
    zhejiang_only = {HETONG_10.chunk_id: {"region": "浙江"}, GONGSHANG_17.chunk_id: {"effective_to": 20201231}}
    r = FakeRetriever([GONGSHANG_14, GONGSHANG_17, HETONG_10], confidence=0.42, in_scope=0.77, answer_above=0.3, sure_above=0.5,
                      meta=zhejiang_only)
    got = r.search("送外卖路上被车撞了", region="杭州", as_of=date(2025, 1, 1))
    assert [h.article for h in got.hits] == ["第十四条", "第十条"]  # 第十七条 "expired", 第十条 applies in 浙江
    assert (got.confidence, got.in_scope, got.answer_above, got.sure_above) == (0.42, 0.77, 0.3, 0.5)
    assert [h.article for h in r.search("签合同", as_of=date(2025, 1, 1)).hits] == ["第十四条"]
    assert r.searches[0] == {"query": "送外卖路上被车撞了", "k": None, "region": "杭州", "as_of": date(2025, 1, 1)}
    assert r.lookup("laodong-hetong-fa", "第十条").score == 1.0 and r.lookup("laodong-hetong-fa", "第九十九条") is None
    assert r.record(GONGSHANG_14.chunk_id)["doc_id"] == "gongshang-baoxian-tiaoli"
    assert r.article_texts()[("gongshang-baoxian-tiaoli", "第十四条")] == GONGSHANG_14.text
    items = ["在工作时间和工作场所内，因工作原因受到事故伤害的", "在上下班途中，受到非本人主要责任的交通事故伤害的"]
    assert r.closest("下班路上被车撞了", items) == 1


def test_fake_chat_model_streams_chunks_and_its_iterator_closes():
    model = FakeChatModel(["结论：可以认定为工伤[1]。", "第二次的回答"], chunk_chars=3)
    chunks = model.stream(["消息"])
    texts = [c.content for c in chunks]
    assert "".join(texts) == "结论：可以认定为工伤[1]。" and len(texts) > 3
    chunks.close()
    assert chunks.closed and model.calls == [["消息"]]
    assert "".join(c.content for c in model.stream([])) == "第二次的回答"
    assert "".join(c.content for c in model.stream([])) == "第二次的回答"  # the last reply is repeated
    parts = FakeChatModel("要点", as_parts=True).stream([])
    assert next(parts).content == [{"type": "text", "text": "要点"}]
    with pytest.raises(ConnectionError):
        FakeChatModel("x", error=ConnectionError("断了")).stream([])


def test_fake_bot_returns_canned_answers_and_records_the_calls(fake_bot):
    answer = fake_bot.ask("工伤怎么认定？", region="杭州")
    assert answer.question == "工伤怎么认定？" and answer.outcome == "answered"
    staged = list(fake_bot.stream("送外卖被撞了", conversation=None))
    assert len(staged) == 2 and staged[0].answer == staged[0].conclusion and staged[-1].points
    assert [(c.method, c.question, c.region) for c in fake_bot.calls] == [("ask", "工伤怎么认定？", "杭州"), ("stream", "送外卖被撞了", None)]
    one_by_one = FakeBot([canned_answer(outcome="partial"), canned_answer(outcome="refused")])
    assert [one_by_one.ask("问").outcome for _ in range(3)] == ["partial", "refused", "refused"]
    assert FakeBot(lambda q: canned_answer(conclusion=f"关于{q}")).ask("年假").conclusion == "关于年假"
    assert len(fake_bot.catalog) > 10  # the repository's catalog


# -- the index path with the fakes ----------------------------------------------------------------


def test_the_index_copies_vectors_by_content_hash_and_embeds_only_new_text(hashing_embedder, memory_store):
    """kb.index cannot be handed a store (write_generation builds its VectorStore), but the step
    that decides what to embed takes its donor stores and the embedder: run it over the fakes."""
    from common.settings import load_settings
    from kb.index import IndexReport, _vectors_for

    old = {"gongshang#14": ("第十四条 职工有下列情形之一的，应当认定为工伤", "h14")}
    memory_store.upsert(["gongshang#14"], hashing_embedder.embed_passages([old["gongshang#14"][0]]), [old["gongshang#14"][0]],
                        [{"content_hash": "h14", "record_hash": "r14"}])
    records = {
        "gongshang-baoxian-tiaoli#第十四条": {"hash": "h14", "embed_as": "passage", "embed_text": old["gongshang#14"][0]},
        "gongshang-baoxian-tiaoli#第十七条": {"hash": "h17", "embed_as": "passage", "embed_text": "第十七条 所在单位应当自事故伤害发生之日起30日内提出工伤认定申请"},
        "gongshang-baoxian-tiaoli#第十四条?1": {"hash": "q1", "embed_as": "query", "embed_text": "送外卖路上被车撞了算工伤吗"},
    }
    report = IndexReport()
    before = dict(hashing_embedder.calls)
    vectors = _vectors_for(list(records), records, [(memory_store, memory_store.stored_hashes())], load_settings(), hashing_embedder, False, report)
    assert set(vectors) == {"h14", "h17", "q1"}
    assert report.reused_vectors == 1 and report.embedded == 2
    assert hashing_embedder.calls == {"passage": before["passage"] + 1, "query": before["query"] + 1}
    assert np.array_equal(vectors["h14"], memory_store.embeddings_for(["gongshang#14"])["gongshang#14"])
