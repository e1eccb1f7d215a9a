"""The OpenAI-compatible endpoint, driven by the official ``openai`` client against a loopback
uvicorn server (a FakeBot, then the real bot in the integration test), streaming and not: the text
keeps its [n] markers and the citations arrive as structured data in every mode."""
from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from openai import OpenAI

from bot.guards import QuestionError
from tests.fakes import FakeBot
from tests.test_api import CITATION, cited_answer, make_server


LOOPBACK = "http://127.0.0.1"
"""The TestClient's host: the server answers only trusted hosts (bot.web_security), loopback among them."""

@pytest.fixture(scope="module")
def fake_web(tmp_path_factory):
    from common.settings import load_settings
    from tests.webserver import start

    def answer(question):
        if question == "太长":
            raise QuestionError("问题太长了，请控制在 500 字以内。", code="too_long")
        return cited_answer(question)

    bot = FakeBot(answer)
    server = start(bot, load_settings(api_rate_limit=""), tmp_path_factory.mktemp("openai"))
    server.bot = bot
    yield server
    server.stop()


def client_for(url: str) -> OpenAI:
    return OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0, timeout=120)


def test_models_lists_laoquan(fake_web):
    assert [m.id for m in client_for(fake_web.url).models.list()] == ["laoquan"]


def test_completion_has_the_text_with_markers_and_the_citations(fake_web):
    completion = client_for(fake_web.url).chat.completions.create(
        model="laoquan", messages=[{"role": "system", "content": "你是助手"}, {"role": "user", "content": "送外卖路上被车撞了，算工伤吗？"}],
        extra_body={"province": "浙江", "as_of": "2024-06-01"})
    text = completion.choices[0].message.content
    assert text.startswith("上下班途中受到非本人主要责任的交通事故伤害") and "[1]" in text
    assert completion.choices[0].finish_reason == "stop"
    [citation] = completion.citations
    assert citation["n"] == 1 and citation["doc_id"] == CITATION.doc_id and citation["quote"] == CITATION.quote
    assert completion.laoquan["outcome"] == "answered" and completion.laoquan["actions"]["evidence"] == ["事故认定书", "医院病历"]
    call = fake_web.bot.calls[-1]
    assert call.region == "浙江" and str(call.as_of) == "2024-06-01"


def test_streaming_gives_the_conclusion_first_and_the_citations_on_the_final_chunk(fake_web):
    stream = client_for(fake_web.url).chat.completions.create(
        model="laoquan", messages=[{"role": "user", "content": "送外卖路上被车撞了，算工伤吗？"}], stream=True)
    chunks = list(stream)
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    text = "".join(pieces)
    assert text == cited_answer().answer  # the whole text, [n] markers included
    first_words = next(p for p in pieces if p)
    assert first_words == "上下班途中受到非本人主要责任的交通事故伤害，应当认定为工伤。"  # the conclusion comes alone, first
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert final.citations[0]["article"] == "第十四条" and final.citations[0]["quote"] == CITATION.quote
    assert all(c.choices[0].finish_reason is None for c in chunks[:-1])


def test_earlier_user_messages_are_the_history(fake_web):
    client_for(fake_web.url).chat.completions.create(model="laoquan", messages=[
        {"role": "user", "content": "送外卖路上被车撞了，算工伤吗？"}, {"role": "assistant", "content": "……"},
        {"role": "user", "content": [{"type": "text", "text": "那要去哪里申请？"}]}])
    call = fake_web.bot.calls[-1]
    assert call.question == "那要去哪里申请？"
    assert [t.question for t in call.conversation.turns] == ["送外卖路上被车撞了，算工伤吗？"]


def test_errors_reach_the_openai_client_as_its_errors(fake_web):
    import openai

    client = client_for(fake_web.url)
    with pytest.raises(openai.BadRequestError) as too_long:
        client.chat.completions.create(model="laoquan", messages=[{"role": "user", "content": "太长"}])
    assert too_long.value.body["code"] == "too_long" and "太长" in too_long.value.body["message_zh"]
    with pytest.raises(openai.BadRequestError) as no_user:
        client.chat.completions.create(model="laoquan", messages=[{"role": "system", "content": "只有系统消息"}])
    assert no_user.value.body["code"] == "no_question"
    with pytest.raises(openai.UnprocessableEntityError) as empty:
        client.chat.completions.create(model="laoquan", messages=[])
    assert empty.value.body["code"] == "invalid_request" and "messages" in empty.value.body["message"]


def test_a_failure_after_the_stream_started_is_said_in_the_stream(tmp_path):
    class Failing(FakeBot):
        def stream(self, question, **options):
            yield cited_answer(question)
            raise RuntimeError("index gone")

    client = TestClient(make_server(tmp_path, Failing()), base_url=LOOPBACK)
    response = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "工伤"}], "stream": True})
    data = [line[len("data: "):] for line in response.text.splitlines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]" and json.loads(data[-2])["error"]["code"] == "internal_error"


@pytest.mark.integration
def test_the_openai_client_gets_a_cited_answer_from_the_real_bot(web):
    client = client_for(web.url)
    completion = client.chat.completions.create(model="laoquan", messages=[{"role": "user", "content": "送外卖路上被车撞了，算工伤吗？"}])
    assert "[1]" in completion.choices[0].message.content
    assert completion.citations and completion.citations[0]["doc_id"] == "gongshang-baoxian-tiaoli"
    chunks = list(client.chat.completions.create(model="laoquan", messages=[{"role": "user", "content": "送外卖路上被车撞了，算工伤吗？"}],
                                                 stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == completion.choices[0].message.content
    assert [c["doc_id"] for c in chunks[-1].citations] == [c["doc_id"] for c in completion.citations]
