"""The LLM section of the eval (evals/llm_report.py) over the shared 5-document index, with stand-in
chat models instead of a GGUF: a model that writes a faithful answer from the passages it is sent
(plus, optionally, a fabricated point the check must drop), and LangChain's fake chat model
returning a fabricated answer (the writer must fall back). Items are written here, not read from
the gold file."""
from __future__ import annotations

import dataclasses
import json

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage
from langchain_core.messages.utils import convert_to_openai_messages
from langchain_core.outputs import ChatGeneration, ChatResult

from evals.actionability import ActionItem
from evals.llm_report import (
    NO_LLM_MESSAGE,
    main,
    recheck_shown,
    render_markdown,
    run_llm_report,
    sample_items,
    shown_sentences,
)
from tests.openai_stub import echo_answer

FABRICATED = "6. 平台必须另外赔偿你十万元[1]。"


class EchoChat(BaseChatModel):
    """Answers from the passages in the request (``tests.openai_stub.echo_answer``), plus ``extra``."""

    extra: str = ""

    @property
    def _llm_type(self) -> str:
        return "echo"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        text = echo_answer({"messages": convert_to_openai_messages(messages)}) + self.extra
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def item(item_id: str, question: str, split: str, **kw) -> ActionItem:
    fields = {"province": None, "topic": "", "steps": ("工伤认定申请",), "referrals": (), "deadline": None, "evidence": (), "depends_on": None}
    return ActionItem(id=item_id, question=question, split=split, **{**fields, **kw})


ITEMS = [
    item("b-rider", "送外卖路上被车撞了，算工伤吗？", "dev"),
    item("a-contract", "干了半年公司一直不跟我签劳动合同，能要双倍工资吗？", "dev", steps=("劳动仲裁",)),
    item("c-unused", "公司拖欠工资三个月了，去哪里投诉？", "dev", steps=("劳动保障监察投诉",)),
    item("d-wages", "公司拖欠工资三个月了，去哪里投诉？", "test", steps=("劳动保障监察投诉",)),
    item("e-weather", "明天北京天气怎么样？", "test", steps=()),
]


def test_sample_is_the_first_half_of_each_split_by_id():
    chosen = sample_items(ITEMS, 4)
    assert [i.id for i in chosen] == ["a-contract", "b-rider", "d-wages", "e-weather"]
    assert [i.id for i in sample_items(ITEMS, 3)] == ["a-contract", "d-wages", "e-weather"]


@pytest.mark.integration
def test_report_with_a_faithful_model_shows_the_llm_text_and_no_unsupported_sentence(workspace, first_index, embedder, tmp_path):
    settings = workspace.replace(llm="openai", llm_model="echo")
    report = run_llm_report(settings, sample=4, out_dir=tmp_path, items=ITEMS, chat_model=EchoChat(extra="\n" + FABRICATED), embedder=embedder)

    rows = {r["id"]: r for r in report["items"]}
    assert set(rows) == {"a-contract", "b-rider", "d-wages", "e-weather"}
    rider = rows["b-rider"]
    assert rider["status"] == "shown" and rider["shown_sentences"] >= 3
    assert rider["shown_unsupported"] == []
    # the fabricated point was dropped by the writer's check and counted, never shown
    assert {"kind": "number_not_in_source", "part": "point"} in rider["dropped"]
    assert report["all"]["shown_unsupported"] == 0 and report["all"]["sentences_dropped"] >= 1
    assert rows["e-weather"]["status"] in ("not_sent", "question_error")
    dev = report["splits"]["dev"]
    assert dev["n"] == 2 and dev["shown"] == 1.0 and dev["fallback"] == 0.0
    # quality figures for the shown answer and the LLM-free one on the same items
    assert dev["llm"]["with_conclusion"] == 1.0 and dev["plain"]["n"] == 2
    assert rider["llm_scores"]["faithfulness"] == 1.0
    assert report["model"] == "echo" and report["sample"] == 4

    saved = json.loads((tmp_path / "llm.json").read_text(encoding="utf-8"))
    assert saved["all"]["shown"] == report["all"]["shown"]
    markdown = (tmp_path / "llm.md").read_text(encoding="utf-8")
    assert "shown sentences failing the support check" in markdown and "| b-rider | dev | shown |" in markdown
    assert "送外卖" not in markdown  # item questions stay out of the report


@pytest.mark.integration
def test_report_counts_fallbacks_and_their_reasons(workspace, first_index, embedder, tmp_path):
    fabricated = "结论：平台不用负任何责任[1]。\n要点：\n1. 平台赔你十万元[1]。\n2. 你自己承担全部医药费[2]。"
    settings = workspace.replace(llm="openai", llm_model="fake")
    report = run_llm_report(settings, sample=4, out_dir=tmp_path, items=ITEMS[:2], chat_model=FakeListChatModel(responses=[fabricated]), embedder=embedder)

    dev = report["splits"]["dev"]
    assert dev["n"] == 2 and dev["shown"] == 0.0 and dev["fallback"] == 1.0
    assert dev["shown_sentences"] == 0 and dev["shown_unsupported"] == 0
    reasons = report["all"]["fallback_reasons"]
    assert reasons and all(v <= 2 for v in reasons.values())
    assert any(k.startswith("conclusion:") for k in reasons)
    # a fallback shows the LLM-free answer: its scores are the LLM-free bot's
    for row in report["items"]:
        assert row["llm_scores"]["actionability"] == row["plain_scores"]["actionability"]
    assert "fallback to the LLM-free answer" in render_markdown(report)


@pytest.mark.integration
def test_recheck_finds_an_unsupported_sentence_shown_by_mistake(bot):
    answer = bot.ask("送外卖路上被车撞了，算工伤吗？")
    assert answer.citations
    meta = {"backend": "fake", "model": "fake", "checked": True, "fallback": False, "flags": []}
    bad = dataclasses.replace(answer, llm=meta, points=["平台必须另外赔偿你十万元[1]。拿不准可以打12333咨询。"])
    failures = recheck_shown(bad, min_support=0.5)
    assert [f["why"] for f in failures if f["part"] == "point"] == ["number_not_in_source"]
    assert len(shown_sentences(bad)) == 3  # conclusion + two sentences of the point
    # the same text in a fallback answer is not shown, so nothing is re-checked
    hidden = dataclasses.replace(bad, llm={**meta, "checked": False, "fallback": True})
    assert shown_sentences(hidden) == [] and recheck_shown(hidden, min_support=0.5) == []


def test_main_without_an_llm_says_so(monkeypatch, capsys):
    monkeypatch.delenv("LAOQUAN_LLM", raising=False)
    assert main(["--sample", "2"]) == 2
    assert NO_LLM_MESSAGE in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0", "-3"])
def test_main_rejects_an_empty_sample(monkeypatch, bad):
    monkeypatch.setenv("LAOQUAN_LLM", "openai")
    with pytest.raises(SystemExit):
        main(["--sample", bad])
