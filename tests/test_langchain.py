"""laoquan for LangChain: the retriever (LangChain's standard retriever tests, from langchain-tests,
plus laoquan's own checks) and the whole answer as a Runnable — on the fakes, then on the real index."""
from __future__ import annotations

from datetime import date

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable
from langchain_tests.integration_tests import RetrieversIntegrationTests

import laoquan
from laoquan.langchain_adapters import LaoquanRetriever
from tests.fakes import SAMPLE_HITS, FakeBot, FakeRetriever, canned_answer, make_hit

RIDER = "送外卖路上被车撞了，算工伤吗？"


@pytest.mark.asyncio  # the standard async test has no mark of its own (pytest-asyncio, strict mode) …
@pytest.mark.filterwarnings("ignore:The test <Function test_.*> is marked with '@pytest.mark.asyncio':pytest.PytestWarning")  # … the sync ones need none
class TestLaoquanRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's standard retriever tests (k in the constructor and in ``invoke``, Documents out,
    sync and async) on a bot over the fake retriever's four real articles."""

    @property
    def retriever_constructor(self) -> type[LaoquanRetriever]:
        return LaoquanRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        return {"bot": FakeBot(retriever=FakeRetriever(SAMPLE_HITS)), "province": "浙江"}

    @property
    def retriever_query_example(self) -> str:
        return RIDER



def test_as_retriever_gives_ranked_passages_with_their_metadata(fake_retriever):
    retriever = laoquan.as_retriever(province="浙江", as_of="2024-06-01", bot=FakeBot(retriever=fake_retriever))
    assert isinstance(retriever, BaseRetriever)
    documents = retriever.invoke(RIDER)
    assert [d.metadata["article"] for d in documents] == ["第十四条", "第十七条", "第十条", "第八十二条"]
    first = documents[0]
    assert isinstance(first, Document) and first.page_content.startswith("第十四条 职工有下列情形之一的")
    assert first.metadata["doc_id"] == "gongshang-baoxian-tiaoli" and first.metadata["title"] == "工伤保险条例"
    assert first.metadata["url"] and first.metadata["url"].startswith("http")  # the catalog's official page
    assert first.metadata["rank"] == 1 and isinstance(first.metadata["score"], float) and first.metadata["status"]
    assert fake_retriever.searches[-1] | {"k": None} == {"query": RIDER, "k": None, "region": "浙江", "as_of": date(2024, 6, 1)}


def test_the_retriever_keeps_to_the_province_and_date(hashing_embedder):
    local = make_hit("zhejiang-doc", "第五条", "第五条 本省平台企业应当为骑手缴纳职业伤害保障费用。", title="浙江省办法")
    meta = {local.chunk_id: {"region": "浙江", "effective_from": 20240101}}
    bot = FakeBot(retriever=FakeRetriever([*SAMPLE_HITS, local], meta=meta, embedder=hashing_embedder))
    in_zhejiang = laoquan.as_retriever(province="浙江", k=10, bot=bot).invoke(RIDER)
    in_jiangsu = laoquan.as_retriever(province="江苏", k=10, bot=bot).invoke(RIDER)
    before = laoquan.as_retriever(province="浙江", as_of=date(2023, 6, 1), k=10, bot=bot).invoke(RIDER)
    assert "zhejiang-doc" in {d.metadata["doc_id"] for d in in_zhejiang}
    assert "zhejiang-doc" not in {d.metadata["doc_id"] for d in in_jiangsu} | {d.metadata["doc_id"] for d in before}


def test_as_runnable_answers_with_the_cited_json():
    bot = FakeBot(canned_answer())
    runnable = laoquan.as_runnable(bot=bot)
    assert isinstance(runnable, Runnable)
    data = runnable.invoke({"question": RIDER, "province": "浙江", "city": "杭州", "as_of": "2024-06-01"})
    assert data["question"] == RIDER and data["conclusion"] == canned_answer().conclusion and data["outcome"] == "answered"
    assert (bot.calls[-1].region, bot.calls[-1].as_of) == ("杭州", date(2024, 6, 1))
    assert [d["question"] for d in runnable.batch(["工伤", "欠薪"])] == ["工伤", "欠薪"]
    assert runnable.invoke("老板不签合同")["question"] == "老板不签合同"


def test_the_readme_example_runs(fake_retriever, monkeypatch):
    """The five lines of the README's LangChain section, with the process's bot replaced by a fake."""
    import re
    from pathlib import Path

    import laoquan.langchain_adapters as adapters

    monkeypatch.setitem(adapters._loaded, "bot", FakeBot(canned_answer(), retriever=fake_retriever))
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## LangChain"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.strip().splitlines()) <= 5
    scope: dict = {}
    exec(code, scope)  # noqa: S102  (our own README)
    assert scope["docs"] and scope["docs"][0].metadata["doc_id"] == "gongshang-baoxian-tiaoli"
    assert scope["answer"]["conclusion"]


@pytest.mark.integration
def test_the_real_retriever_and_runnable(bot):
    documents = laoquan.as_retriever(k=3, bot=bot).invoke(RIDER)
    assert len(documents) == 3 and documents[0].metadata["doc_id"] == "gongshang-baoxian-tiaoli"
    assert all(d.page_content and d.metadata["article"] for d in documents)
    answer = laoquan.as_runnable(bot=bot).invoke(RIDER)
    assert answer["citations"] and answer["citations"][0]["doc_id"] == "gongshang-baoxian-tiaoli"
