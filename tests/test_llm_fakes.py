"""bot.llm's writer and LLM bot over tests/fakes.py: a FakeChatModel for the model, a FakeBot for
the LLM-free bot, and an answer built from the two real articles kept in tests/fakes.py — so,
unlike tests/test_llm.py, nothing reads the sources folder. What test_llm.py checks with
LangChain's fake models (the checker's rules, the prompt, the OpenAI and xllamacpp paths) stays
there; here: accepted / dropped / fallen back, the chunk shapes, close(), timeouts, errors."""
from __future__ import annotations

import dataclasses

import pytest

from bot.compose import compose_answer
from bot.results import Answer, Citation
from bot.llm import LLMAnswerBot, LLMWriter
from bot.protocols import ChatModel
from tests.fakes import FAITHFUL, GONGSHANG_14, GONGSHANG_17, FakeBot, FakeChatModel

QUESTION = "我叫张三，手机13812345678，送外卖路上被车撞了，算工伤吗？"

def _citation(n: int, hit) -> Citation:
    return Citation(
        n=n, doc_id=hit.doc_id, title="工伤保险条例", doc_no="国务院令第586号", article=hit.article, page=None,
        quote=hit.text.split(" ", 1)[1], status="现行有效", effective_from="2011-01-01", region="全国", source_url=None, score=0.9,
    )


@pytest.fixture
def answer() -> Answer:
    """The LLM-free answer to the rider: 第十四条 [1], 第十七条 [2]."""
    citations = [_citation(1, GONGSHANG_14), _citation(2, GONGSHANG_17)]
    conclusion, points = "可能算工伤，要看是不是上下班途中[1]。", ["第十四条列出了应当认定为工伤的情形[1]", "第十七条讲工伤认定申请[2]"]
    text = compose_answer(citations, outcome="answered", conclusion=conclusion, points=points)
    return Answer(question=QUESTION, outcome="answered", answer=text, citations=citations, as_of="2026-11-24",
                  timings_ms={"total": 12.0}, conclusion=conclusion, points=points)


def writer(**options) -> LLMWriter:
    return LLMWriter(backend="fake", model="假模型", **{"min_support": 0.5, "timeout": 30.0, **options})


def test_a_faithful_draft_is_accepted_and_the_stream_closed(answer):
    model = FakeChatModel(FAITHFUL, chunk_chars=5)
    assert isinstance(model, ChatModel)
    stream = writer().stream(answer, chat_model=model)
    pieces = list(stream)
    assert "".join(pieces) == FAITHFUL and len(pieces) == -(-len(FAITHFUL) // 5)
    out = stream.answer
    assert out.llm == {"backend": "fake", "model": "假模型", "checked": True, "fallback": False, "flags": []}
    assert out.conclusion == "上下班途中被车撞、不是你的主要责任，应当认定为工伤[1]。" and len(out.points) == 5
    assert out.citations == answer.citations and "由大模型（假模型）" in out.answer and "llm" in out.timings_ms
    assert model.streams[0].closed  # the writer stops the model's generation
    [messages] = model.calls
    system, user = messages
    assert "[1]、[2]" in system.content
    assert "送外卖路上被车撞了" in user.content and "13812345678" not in user.content and "张三" not in user.content


def test_chunks_whose_content_is_a_list_of_parts_are_read_too(answer):
    out = writer().rewrite(answer, chat_model=FakeChatModel(FAITHFUL, as_parts=True))
    assert out.llm["checked"] is True and len(out.points) == 5


def test_one_unsupported_sentence_is_dropped_the_rest_accepted(answer):
    draft = FAITHFUL.replace("5. 拿不准的话，可以打12333咨询。", "5. 平台还要额外赔你10万元精神损失费[1]。")
    out = writer().rewrite(answer, chat_model=FakeChatModel(draft))
    assert out.llm["checked"] is True and [f["kind"] for f in out.llm["flags"]] == ["number_not_in_source"]
    assert len(out.points) == 4 and "10万" not in out.answer


def test_a_citation_number_that_is_not_there_keeps_the_llm_free_answer(answer):
    out = writer().rewrite(answer, chat_model=FakeChatModel(FAITHFUL.replace("也算工伤[1]", "也算工伤[9]")))
    assert out.llm["fallback"] is True and any(f["kind"] == "bad_citation" for f in out.llm["flags"])
    assert (out.answer, out.conclusion, out.points) == (answer.answer, answer.conclusion, answer.points)


def test_a_slow_model_times_out_and_falls_back(answer):
    model = FakeChatModel(FAITHFUL, chunk_chars=2, delay=0.005)
    out = writer(timeout=0.02).rewrite(answer, chat_model=model)
    assert out.llm["fallback"] is True and out.llm["flags"] == [{"kind": "timeout", "seconds": 0.02}]
    assert out.answer == answer.answer
    assert model.streams[0].closed and model.streams[0].sent < len(FAITHFUL) // 2  # stopped early, not read to the end


@pytest.mark.parametrize("reply", ["", "   \n  "])
def test_an_empty_reply_falls_back(answer, reply):
    out = writer().rewrite(answer, chat_model=FakeChatModel(reply))
    assert out.llm["flags"] == [{"kind": "empty"}] and out.answer == answer.answer


@pytest.mark.parametrize(
    ("model", "flag"),
    [
        (FakeChatModel(FAITHFUL, error=ConnectionError("连接断了")), {"kind": "model_error", "error": "ConnectionError"}),
        (FakeChatModel(FAITHFUL, error=TimeoutError("读超时")), {"kind": "timeout", "error": "TimeoutError"}),
        (FakeChatModel(FAITHFUL, error=ConnectionError("中途断了"), fail_after=3), {"kind": "model_error", "error": "ConnectionError"}),
    ],
    ids=["at-once", "timeout-error", "mid-stream"],
)
def test_model_errors_fall_back(answer, model, flag):
    stream = writer().stream(answer, chat_model=model)
    list(stream)
    assert stream.answer.llm["flags"] == [flag] and stream.answer.answer == answer.answer


def test_too_long_a_reply_is_cut_off_and_falls_back(answer):
    model = FakeChatModel("工伤认定要看具体情况。" * 400, chunk_chars=50)
    out = writer().rewrite(answer, chat_model=model)
    assert out.llm["flags"][0]["kind"] == "too_long" and model.streams[0].closed


def test_a_refusal_never_reaches_the_model(answer):
    refused = dataclasses.replace(answer, outcome="refused", citations=[], answer="抱歉，知识库里没有找到能回答这个问题的规定。")
    model = FakeChatModel("不应被调用")
    assert writer().rewrite(refused, chat_model=model) is refused and model.calls == []


# -- LLMAnswerBot over a FakeBot ------------------------------------------------------------------


def test_the_llm_bot_streams_drafts_then_the_checked_answer(answer, fake_retriever):
    inner = FakeBot(answer, retriever=fake_retriever)
    model = FakeChatModel(FAITHFUL, chunk_chars=20)
    bot = LLMAnswerBot(inner, writer(), model)
    answers = list(bot.stream(QUESTION, region="杭州", conversation=None))
    drafts, final = answers[:-1], answers[-1]
    assert len(drafts) == model.streams[0].sent == -(-len(FAITHFUL) // 20)  # one draft per chunk
    assert all(a.llm["draft"] is True and a.llm["checked"] is False for a in drafts)
    assert FAITHFUL.startswith(drafts[-1].answer) and len(drafts[-1].answer) > len(drafts[0].answer)
    assert final.llm["checked"] is True and "draft" not in final.llm and final.citations == answer.citations
    [call] = inner.calls
    assert (call.method, call.question, call.region) == ("ask", QUESTION, "杭州")  # the LLM-free answer, whole
    assert bot.retriever is fake_retriever and bot.catalog is inner.catalog


def test_the_llm_bot_falls_back_to_the_inner_bots_answer(answer):
    inner = FakeBot(answer)
    bot = LLMAnswerBot(inner, writer(), FakeChatModel(error=ConnectionError("服务不可用")))
    out = bot.ask(QUESTION, region=None)
    assert out.llm["fallback"] is True and out.answer == answer.answer and out.question == QUESTION
