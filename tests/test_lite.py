"""``/lite`` (bot.lite) and how the pages travel (bot.delivery): the page without JavaScript over a
FakeBot, through the whole server (``bot.server.build_server``) with Starlette's TestClient — the
answer in the HTML itself, plain Chinese for bad input, the size of a first load, gzip, cache
headers, the language, titles and preview tags, ``<noscript>``, and ``/staff`` without the slash.
No model, no index."""
from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser

import pytest

from bot.lite import LITE_BUDGET_BYTES, LiteInputError, parse_lite_request
from bot.results import Actions, Citation, ReferralCard, Step, Triage
from tests.fakes import FakeBot, canned_answer

RIDER = "送外卖路上被车撞了，算工伤吗？"


LOOPBACK = "http://127.0.0.1"
"""The TestClient's host: the server answers only trusted hosts (bot.web_security), loopback among them."""

def full_answer(question: str = RIDER):
    """A canned answer with everything the page shows: points, 行动清单, a citation, a hotline."""
    cite = Citation(n=1, doc_id="gongshang-baoxian-tiaoli", title="工伤保险条例", doc_no="国务院令第586号", article="第十四条", page=None,
                    quote="在上下班途中，受到非本人主要责任的交通事故伤害的，应当认定为工伤。", status="现行有效",
                    effective_from="2011-01-01", region="全国", source_url="https://www.gov.cn/example", score=0.9)
    actions = Actions(evidence=["交通事故认定书"], steps=[Step(what="30日内请公司申请工伤认定", who="公司", deadline="30日", cite=1)])
    return canned_answer(question, citations=[cite], actions=actions,
                         referrals=[ReferralCard(id="12333", name="12333 人社服务热线", what="问工伤认定怎么办", tel="12333")])


@pytest.fixture
def server(tmp_path):
    """``laoquan serve``'s app over a FakeBot, its records in tmp_path (built once per test)."""
    from fastapi.testclient import TestClient

    from bot.records import Records
    from bot.server import build_server
    from common.settings import load_settings

    settings = load_settings().replace(data_dir=tmp_path)
    bot = FakeBot(lambda q: full_answer(q))
    app = build_server(bot, settings=settings, records=Records(tmp_path / "records.sqlite3"))
    with TestClient(app, base_url=LOOPBACK) as client:
        client.bot = bot
        yield client


class Scripts(HTMLParser):
    """Counts <script> elements and external resources a page would fetch."""

    def __init__(self):
        super().__init__()
        self.scripts = 0
        self.fetches: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag in ("img", "script", "iframe") and a.get("src"):
            self.fetches.append(a["src"])
        if tag == "link" and a.get("rel") in ("stylesheet", "preload", "icon"):
            self.fetches.append(a.get("href", ""))


def test_lite_answers_in_the_html_itself_without_any_script(server):
    r = server.get("/lite", params={"q": RIDER, "province": "浙江", "city": "杭州", "job": "外卖"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert '<html lang="zh-CN">' in page
    assert 'class="conclusion">上下班途中受到非本人主要责任的交通事故伤害，应当认定为工伤。' in page
    assert '<ol class="points">' in page and "行动清单" in page and "交通事故认定书" in page
    assert '<details class="cite" id="c0-1">' in page and "在上下班途中，受到非本人主要责任的交通事故伤害的" in page
    assert 'href="tel:12333"' in page and "拨打 12333 人社服务热线" in page
    body = page.split('<div id="lq-transcript">')[1]
    assert "fb-btn" not in body and "data-act" not in body and "<button" not in body  # nothing needs the Gradio page's click handler
    parser = Scripts()
    parser.feed(page)
    assert parser.scripts == 0 and parser.fetches == []
    call = server.bot.calls[-1]
    assert call.question == RIDER and call.region == "杭州" and call.conversation.job == "外卖"
    # the form keeps the choice, so the next question is asked with it
    assert "<option selected>浙江</option>" in page and "<option selected>杭州</option>" in page and "<option selected>外卖</option>" in page


def test_lite_first_load_is_a_plain_form_under_the_budget(server):
    r = server.get("/lite", headers={"accept-encoding": "identity"})
    assert r.status_code == 200
    assert len(r.content) <= LITE_BUDGET_BYTES
    page = r.text
    assert '<form class="ask" method="get" action="/lite">' in page and 'name="q"' in page and 'name="province"' in page
    assert "<title>劳权通 · 简洁版</title>" in page and 'property="og:title"' in page and 'name="description"' in page
    assert server.bot.calls == []
    answered = server.get("/lite", params={"q": RIDER}, headers={"accept-encoding": "identity"})
    assert len(answered.content) <= LITE_BUDGET_BYTES


def test_lite_says_bad_input_in_plain_chinese_and_keeps_the_question(server):
    r = server.get("/lite", params={"q": RIDER, "province": "火星"})
    assert r.status_code == 400 and "没有“火星”这个省份" in r.text and RIDER in r.text and 'role="alert"' in r.text
    r = server.get("/lite", params={"q": RIDER, "province": "广东", "city": "杭州"})
    assert "杭州不在广东" in r.text
    r = server.get("/lite", params={"q": "   "})
    assert r.status_code == 400 and "请先输入你的问题。" in r.text
    r = server.get("/lite", params={"q": "<script>alert(1)</script>工伤"})
    assert "<script>alert(1)" not in r.text and "&lt;script&gt;alert(1)" in r.text
    assert server.bot.calls and all("火星" not in (c.region or "") for c in server.bot.calls)


def test_lite_triage_choices_are_links_that_ask_again(tmp_path):
    from fastapi.testclient import TestClient

    from bot.records import Records
    from bot.server import build_server
    from common.settings import load_settings

    asked = canned_answer("被车撞了算工伤吗", outcome="partial", triage=Triage(ask="是在上下班路上吗？", choices=["是，在上下班路上", "不是"]))
    bot = FakeBot(lambda q: asked if q == "被车撞了算工伤吗" else full_answer(q))
    app = build_server(bot, settings=load_settings().replace(data_dir=tmp_path), records=Records(tmp_path / "r.sqlite3"))
    with TestClient(app, base_url=LOOPBACK) as client:
        page = client.get("/lite", params={"q": "被车撞了算工伤吗", "province": "浙江"}).text
        links = re.findall(r'<a class="choice" href="([^"]+)">', page)
        assert len(links) == 2 and "<button" not in page.split('id="lq-transcript"')[1]
        again = client.get(links[0].replace("&amp;", "&"))
        assert again.status_code == 200 and "行动清单" in again.text
        assert [c.question for c in bot.calls[-2:]] == ["被车撞了算工伤吗", "是，在上下班路上"]
        assert bot.calls[-1].conversation is bot.calls[-2].conversation and bot.calls[-1].region == "浙江"


def test_parse_lite_request_checks_every_field():
    assert parse_lite_request({"q": " 欠薪 ", "city": "杭州"}).province == "浙江"
    assert parse_lite_request({"q": "x", "province": "北京", "city": "北京"}).city is None
    for bad in ({"province": "浙江省省省"}, {"city": "纽约"}, {"job": "程序员"}, {"province": "浙" * 41}):
        with pytest.raises(LiteInputError):
            parse_lite_request(bad)


def test_worker_page_is_chinese_with_real_title_preview_and_noscript(server):
    page = server.get("/").text
    assert re.search(r'<html[^>]*\slang="zh-CN"', page) and 'lang="en"' not in page
    assert "<title>劳权通 · 问政策</title>" in page
    assert 'property="og:title" content="劳权通 · 问政策"' in page and 'name="description"' in page
    assert "Click to try out the app!" not in page and 'content="Gradio"' not in page
    noscript = re.search(r"<noscript>(.*?)</noscript>", page, re.S)
    assert noscript and 'href="/lite"' in noscript.group(1)
    assert "navigator.connection" in page and "effectiveType" in page


def test_staff_without_the_slash_redirects_and_has_its_own_title(server):
    r = server.get("/staff", follow_redirects=False)
    assert r.status_code in (301, 302, 307, 308) and r.headers["location"] == "/staff/"
    page = server.get("/staff/").text
    assert "<title>劳权通 · 工作人员</title>" in page and "Click to try out the app!" not in page and 'lang="zh-CN"' in page
    assert 'href="/lite"' not in page


def test_pages_are_gzipped_and_build_files_cached_for_long(server):
    r = server.get("/", headers={"accept-encoding": "gzip"})
    assert r.headers.get("content-encoding") == "gzip"
    raw = server.get("/", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers and int(raw.headers["content-length"]) == len(raw.content)
    asset = re.search(r'src="\./(assets/index-[^"]+\.js)"', raw.text).group(1)
    r = server.get("/" + asset, headers={"accept-encoding": "gzip"})
    assert r.status_code == 200 and "immutable" in r.headers["cache-control"] and "max-age=31536000" in r.headers["cache-control"]
    assert r.headers.get("content-encoding") == "gzip"
    assert "immutable" not in server.get("/lite").headers.get("cache-control", "")


def test_gzip_keeps_the_lite_page_small_on_the_wire(server):
    with server.stream("GET", "/lite", params={"q": RIDER}, headers={"accept-encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
    assert r.headers["content-encoding"] == "gzip" and len(wire) < 20_000
    assert "上下班途中" in gzip.decompress(wire).decode("utf-8")


def test_a_full_answer_pool_gives_the_busy_sentence_on_lite_not_a_failure(tmp_path):
    from fastapi.testclient import TestClient

    from bot.records import Records
    from bot.server import build_server
    from bot.workers import BUSY, Busy
    from common.settings import load_settings

    def busy(question):
        raise Busy()

    app = build_server(FakeBot(busy), settings=load_settings().replace(data_dir=tmp_path), records=Records(tmp_path / "records.sqlite3"))
    with TestClient(app, base_url=LOOPBACK) as client:
        page = client.get("/lite", params={"q": "加班费怎么算？"})
    assert page.status_code == 503 and page.headers["retry-after"] == str(Busy().retry_after)
    assert BUSY in page.text and "服务出了点问题" not in page.text
