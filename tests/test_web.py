"""The web page, driven over HTTP on loopback with gradio_client (the endpoint is the handler's name)."""
from __future__ import annotations

import pytest

from tests.conftest import RIDER


@pytest.fixture(scope="module")
def server(bot):
    from bot.web import build_app

    app = build_app(bot)
    app.queue(default_concurrency_limit=2)
    _, url, _ = app.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True, share=False)
    yield url
    app.close()


def test_worker_asks_and_sees_cited_answer(server, network_attempts):
    from gradio_client import Client

    client = Client(server, verbose=False, analytics_enabled=False)
    history, sources, box = client.predict(RIDER, "浙江", [], api_name="/answer_question")
    assert history[-1]["role"] == "assistant" and "第十四条" in sources
    assert "官方来源" in sources and box == ""
    history, sources, box = client.predict("   ", "（不选）", [], api_name="/answer_question")
    assert history == [] and "请先输入" in sources and box == "   "  # friendly error, nothing lost
    assert not network_attempts


def test_citation_cards_escape_html():
    from bot.answer import Answer, Citation
    from bot.web import citations_markdown

    c = Citation(1, "d", "某法", None, "第一条", None, "<script>alert(1)</script>", "现行有效", "2020-01-01", "全国", None, 0.9)
    text = citations_markdown(Answer("q", "answered", "a", [c]))
    assert "<script>" not in text and "&lt;script&gt;" in text
