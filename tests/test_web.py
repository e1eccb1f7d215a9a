"""The web server over HTTP on loopback: the worker page's API (gradio_client), the staff page behind
its login, what a worker-side URL can and cannot reach, the records behind both, and the pieces
(rendering, accounts, staleness) on their own."""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import replace

import httpx
import pytest
import yaml

from tests.conftest import RIDER
from tests.fakes import canned_answer
from tests.webserver import STAFF_NAME, STAFF_PASSWORD

PROFILE = {"chosen": True, "province": "浙江", "city": "杭州", "job": "外卖"}


def worker(web):
    from gradio_client import Client

    return Client(web.url, verbose=False, analytics_enabled=False)


def staff(web):
    from gradio_client import Client

    return Client(web.url + "/staff/", verbose=False, analytics_enabled=False, auth=(STAFF_NAME, STAFF_PASSWORD))


# -- worker page ------------------------------------------------------------------------------


@pytest.mark.integration
def test_worker_asks_and_sees_cited_answer(web, network_attempts):
    transcript, notice, box = worker(web).predict(RIDER, PROFILE, api_name="/ask")
    assert notice == "" and box == ""
    assert 'class="conclusion"' in transcript and "第十四条" in transcript
    assert '<details class="cite"' in transcript and "查看官方原文" in transcript and "现行有效" in transcript
    assert 'href="tel:12333"' in transcript  # the hotline is a tap-to-call link
    assert 'data-act="fb"' in transcript and "有用" in transcript and "没用" in transcript
    assert not network_attempts


@pytest.mark.integration
def test_worker_errors_are_plain_chinese_and_keep_the_question(web):
    client = worker(web)
    transcript, notice, box = client.predict("   ", PROFILE, api_name="/ask")
    assert "请先输入" in notice and box == "   " and "Traceback" not in notice
    long = "工资" * 400
    transcript, notice, box = client.predict(long, PROFILE, api_name="/ask")
    assert "太长" in notice and box == long and "class=\"turn\"" not in transcript


@pytest.mark.integration
def test_user_text_is_escaped(web):
    evil = '<img src=x onerror="alert(1)">送外卖被车撞了算工伤吗'
    transcript, _, _ = worker(web).predict(evil, PROFILE, api_name="/ask")
    assert "<img" not in transcript and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in transcript


@pytest.mark.integration
def test_refused_question_goes_to_the_staff_queue_redacted(web):
    question = "我叫张三，手机13812345678，请问火星上的房子怎么买？"
    transcript, _, _ = worker(web).predict(question, PROFILE, api_name="/ask")
    assert 'class="answer refused"' in transcript
    queued = [q for q in web.records.queue() if "火星" in q.question]
    assert queued and queued[0].kind == "refused"
    assert "13812345678" not in queued[0].question and "张三" not in queued[0].question


@pytest.mark.integration
def test_report_is_stored_redacted_and_can_be_looked_up(web):
    client = worker(web)
    notice, what = client.predict("平台扣了我三天的跑单费，我叫王五，身份证 110101199003074514", "美团", "杭州", "微信 wang5-rider",
                                  api_name="/report")
    assert "编号" in notice and what == ""
    number = re.search(r'<span class="lq-number">(LQ-[0-9A-Z]{4}-[0-9A-Z]{4})</span>', notice).group(1)
    assert f'data-copy="{number}"' in notice  # a copy button (the browser test checks it copies and is kept)
    stored = web.records.report(number)
    assert stored.status == "已收到" and stored.contact == "微信 wang5-rider"  # given on purpose: kept as typed
    assert "110101199003074514" not in stored.what and "王五" not in stored.what
    assert "已收到" in client.predict(number.lower(), api_name="/lookup_report")
    assert "没有找到" in client.predict("LQ-0000-0000", api_name="/lookup_report")
    notice, what = client.predict("   ", "", "", "", api_name="/report")
    assert "请填写" in notice


@pytest.mark.integration
def test_policy_feeds_are_served_beside_the_page(web):
    """The feeds router answers before the page's catch-all mount at ``/`` (its own Chinese errors)."""
    from bot.feeds import UNAVAILABLE

    with httpx.Client(base_url=web.url, timeout=10) as http:
        unknown = http.get("/feeds/火星/外卖.json")
        assert unknown.status_code == 404 and "火星" in unknown.json()["detail"]
        feed = http.get("/feeds/zhejiang/waimai.json")  # the committed catalog and change log (tests/webserver.py)
        assert feed.status_code == 200 and feed.json()["items"], feed.text[:200]
        assert UNAVAILABLE not in feed.text


# -- the worker side cannot reach staff data -------------------------------------------------------


@pytest.mark.integration
def test_worker_side_cannot_reach_staff_data(web):
    from gradio_client import Client

    named = worker(web).view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert set(named) == {"/save_profile", "/ask", "/report", "/lookup_report", "/news", "/services", "/nearby"}
    with httpx.Client(base_url=web.url, timeout=10) as http:
        for path in ("/staff/gradio_api/info", "/staff/config", "/staff/gradio_api/queue/join"):
            response = http.post(path, json={}) if path.endswith("join") else http.get(path)
            assert response.status_code in (401, 403), path
        page = http.get("/staff/", follow_redirects=True)
        assert "lq-reports" not in page.text and "LQ-" not in page.text
        for path in (f"/gradio_api/file={web.settings.paths.records_path}", f"/gradio_api/file={web.settings.paths.staff_path}"):
            response = http.get(path)
            assert response.status_code in (403, 404) and b"SQLite" not in response.content and b"scrypt" not in response.content
        # A staff endpoint called through the worker app's own API does not exist there (Gradio
        # answers an unknown name with an error status) and nothing of the reports comes back.
        response = http.post("/gradio_api/call/reports", json={"data": []})
        assert response.status_code >= 400 and "LQ-" not in response.text
    with pytest.raises(Exception):
        Client(web.url + "/staff/", verbose=False, analytics_enabled=False)
    with pytest.raises(Exception):
        Client(web.url + "/staff/", verbose=False, analytics_enabled=False, auth=(STAFF_NAME, "wrong-password"))


# -- staff page -----------------------------------------------------------------------------------


@pytest.mark.integration
def test_staff_sees_what_the_bot_saw_and_vets_an_answer(web):
    client = staff(web)
    transcript, seen, notice, *_ = client.predict(RIDER, "浙江", "", api_name="/staff_ask")
    assert notice == "" and "第十四条" in transcript
    assert "机器看到了什么" in seen and 'id="lq-retrieved"' in seen and "融合" in seen and "BM25" in seen
    assert "全国、浙江" in seen and "当天有效" in seen  # the filters applied
    refused = client.predict("火星上的房子怎么买？", "全国（不选地区）", "2024-01-01", api_name="/staff_ask")[1]
    assert "拒答" in refused and "not_found" in refused and "2024-01-01" in refused

    question = "骑手送餐路上摔伤了能认定工伤吗"
    client.predict(question, "浙江", "", api_name="/staff_ask")
    assert "已保存为审核答案" in client.predict("核对过第十四条", api_name="/vet")
    vetted = web.records.vetted_for(question, "浙江")
    assert vetted.vetted_by == STAFF_NAME and vetted.cited and all(c.sha256 for c in vetted.cited)

    # A worker in 杭州 (浙江) asking the same words sees the approved answer, marked; one in 广东 does not.
    transcript, _, _ = worker(web).predict(" 骑手送餐路上摔伤了，能认定工伤吗？", PROFILE, api_name="/ask")
    assert "站点已审核" in transcript
    transcript, _, _ = worker(web).predict(question, {**PROFILE, "province": "广东", "city": None}, api_name="/ask")
    assert "站点已审核" not in transcript


@pytest.mark.integration
def test_vetted_answer_turns_stale_when_a_cited_document_changes(web, bot):
    from bot.records import stale_reasons

    question = "送外卖被撞了工伤怎么认定"
    client = staff(web)
    client.predict(question, "全国（不选地区）", "", api_name="/staff_ask")
    client.predict("", api_name="/vet")
    vetted = web.records.vetted_for(question, "")
    assert stale_reasons(vetted, bot.catalog) == []
    doc_id = vetted.cited[0].doc_id
    original = bot.catalog.entries[doc_id]
    try:
        bot.catalog.entries[doc_id] = replace(original, status="已修订")
        assert any("状态" in r for r in stale_reasons(vetted, bot.catalog))
        transcript, _, _ = worker(web).predict(question, {"chosen": True}, api_name="/ask")
        assert "站点已审核" not in transcript and "第十四条" in transcript  # the bot's own answer instead
        changed = replace(original.sources[0], sha256="0" * 64)
        bot.catalog.entries[doc_id] = replace(original, sources=(changed, *original.sources[1:]))
        assert any("文本已变更" in r for r in stale_reasons(vetted, bot.catalog))
    finally:
        bot.catalog.entries[doc_id] = original
    assert "站点已审核" in worker(web).predict(question, {"chosen": True}, api_name="/ask")[0]
    queue_html = client.predict(api_name="/queue")
    assert question in queue_html and "有效" in queue_html


@pytest.mark.integration
def test_staff_handles_a_report(web):
    number = web.records.add_report(what="站点扣押金不退", platform="顺丰", city="杭州", contact="13900001111").number
    client = staff(web)
    table = client.predict(api_name="/reports")
    assert number in table and "13900001111" in table  # the contact is shown to staff
    notice, table = client.predict(number, "工会", "已联系站点，押金退还", False, api_name="/update_report")
    assert "已转交" in notice and "工会" in notice
    report = web.records.report(number)
    assert (report.status, report.forwarded_to, report.updated_by) == ("已转交", "工会", STAFF_NAME)
    notice, _ = client.predict(number, None, "押金已退", True, api_name="/update_report")
    assert web.records.report(number).status == "已办结"
    assert "已办结" in worker(web).predict(number, api_name="/lookup_report")  # the worker sees the status, not the contact
    assert "13900001111" not in worker(web).predict(number, api_name="/lookup_report")
    with pytest.raises(Exception):  # not one of the four places: refused before it reaches the records
        client.predict(number, "居委会", "", False, api_name="/update_report")
    assert web.records.report(number).forwarded_to == "工会"
    from bot.records import RecordError

    with pytest.raises(RecordError):
        web.records.update_report(number, by=STAFF_NAME, forwarded_to="居委会")


@pytest.mark.integration
def test_worker_news_services_and_nearby_over_the_api(web):
    client = worker(web)
    beijing = {"chosen": True, "province": "北京", "city": None, "job": "家政"}
    html, visit = client.predict(beijing, {}, api_name="/news")  # a first visit: the newest items of the choice
    assert "北京 · 家政" in html and html.count('<li class="news-item">') == 8 and '<details class="cite"' in html
    assert 'href="/feeds/beijing/jiazheng.xml"' in html and visit["last"] and visit["prev"] is None
    html, again = client.predict(beijing, visit, api_name="/news")  # a reload the same day: the same list
    assert again == visit and html.count('<li class="news-item">') == 8
    html, _ = client.predict(beijing, {"last": "2099-12-31", "prev": None}, api_name="/news")
    assert "自上次来访（2099-12-31）以来，没有和你相关的新政策" in html

    services = client.predict(beijing, api_name="/services")
    from corpus.services import load_directory

    assert services.count('<li class="point') == len(load_directory().for_city("北京")) >= 10
    assert "北京市劳动人事争议仲裁委员会" in services
    assert 'href="https://uri.amap.com/search?' in services and 'href="baidumap://' in services and "核实于" in services
    assert "目录里还没有拉萨" not in services
    nowhere = client.predict({"chosen": True, "province": "西藏", "city": None, "job": "外卖"}, api_name="/services")
    assert "目录里还没有西藏的服务站点" in nowhere and "tel:12333" in nowhere
    near = client.predict('{"lat": 39.9042, "lon": 116.4074}', beijing, api_name="/nearby")
    assert "你在北京市东城区一带" in near and "估算约" in near and near.count('<li class="point') == 5 + near.count('class="dist unplaced"')
    assert "你没有允许定位" in client.predict('{"error": "denied"}', beijing, api_name="/nearby")


@pytest.mark.integration
def test_answers_are_counted_anonymously_and_the_dashboard_shows_them(web):
    import csv as csv_module
    from pathlib import Path

    before = len(web.records.asked())
    worker(web).predict(RIDER, PROFILE, api_name="/ask")
    worker(web).predict("火星上的房子怎么买？", PROFILE, api_name="/ask")
    rows = web.records.asked()[before:]
    assert [(r.region, r.job) for r in rows] == [("浙江", "外卖"), ("浙江", "外卖")]  # the province, not the city
    assert rows[0].outcome in ("answered", "partial") and rows[1].outcome == "refused"
    assert rows[0].topic and rows[1].topic == "" and rows[1].reason
    number = web.records.add_report(what="押金不退", city="杭州").number
    web.records.update_report(number, by=STAFF_NAME, forwarded_to="工会")

    summary, topics, rates, provinces, vetting, reports, report_table, files = staff(web).predict(api_name="/dashboard")
    assert "提问" in summary and "拒答率" in summary and "没用率" in summary
    for plot in (topics, rates, provinces, reports):
        assert plot["type"] == "matplotlib" and plot["plot"].startswith("data:image/png;base64,")
    assert 'id="lq-need-vetting"' in vetting and "13812345678" not in vetting  # refused questions, queued redacted
    assert "10分钟" in report_table and "lq-report-times" in report_table
    names = sorted(Path(f).name for f in files)
    assert names == ["asked_by_province.csv", "asked_by_topic.csv", "asked_by_week.csv", "need_vetting.csv", "report_times.csv", "reports_by_week.csv"]
    by_province = {r[0]: r for r in csv_module.reader(open(next(f for f in files if f.endswith("asked_by_province.csv")), encoding="utf-8-sig"))}
    assert int(by_province["浙江"][1]) >= 2
    with pytest.raises(Exception):  # the dashboard is staff-only
        from gradio_client import Client

        Client(web.url + "/staff/", verbose=False, analytics_enabled=False).predict(api_name="/dashboard")


@pytest.mark.integration
def test_server_busy_is_said_in_chinese(bot, workspace, tmp_path):
    """A full queue (max size 0 here) is answered with a plain Chinese sentence, not Gradio's English
    (as a 422, the one status whose ``detail`` the page shows as it is); picking a region never queues."""
    from tests.webserver import start

    server = start(bot, workspace, tmp_path, queue_max=0)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            info = http.get("/config").json()
            ask = next(d["id"] for d in info["dependencies"] if d.get("api_name") == "ask")
            body = {"data": ["问题", {}], "fn_index": ask, "session_hash": "abc123"}
            response = http.post("/gradio_api/queue/join", json=body)
            assert response.status_code == 503 and "服务器忙" in response.json()["detail"]
            response = http.post("/gradio_api/queue/join", json=body, headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14)"})
            assert response.status_code == 422 and "服务器忙" in response.json()["detail"]
    finally:
        server.stop()


# -- pieces ---------------------------------------------------------------------------------------


def test_citation_cards_escape_html_and_drop_unsafe_links():
    from bot.render import answer_html

    answer = {"outcome": "answered", "answer": "<b>a</b>", "conclusion": "<script>alert(1)</script>",
              "points": ["要点<i>x</i>[1]"], "referrals": [{"name": "<u>热线</u>", "what": "w", "phone": "12333<script>"}],
              "triage": {"ask": "<b>问</b>", "choices": ["<em>是</em>", "否"]},
              "actions": {"evidence": ["<svg>"], "steps": [{"what": "<a href=x>申请</a>", "who": "人社局", "deadline": "一年内", "cite": 1}]},
              "citations": [{"n": 1, "doc_id": "d", "title": "某法<x>", "doc_no": None, "article": "第一条", "page": 3,
                             "quote": "<script>alert(1)</script>", "status": "现行有效", "effective_from": "2020-01-01",
                             "region": "全国", "source_url": "javascript:alert(1)", "score": 0.9, "authority": "法律",
                             "note": "", "kind": "原文", "summary": ""}]}
    html = answer_html(answer, turn=0)
    for raw in ("<script>", "<b>", "<i>", "<u>", "<em>", "<svg>", "<a href=x>", "<x>", "javascript:"):
        assert raw not in html, raw
    assert "&lt;script&gt;" in html and 'href="tel:12333"' in html and 'type="checkbox"' in html
    assert "行动清单" in html and 'data-act="ask"' in html and "第3页" in html and "一年内" in html


def test_staff_accounts_hash_and_verify(tmp_path):
    from bot.staff_accounts import AccountError, StaffAccounts

    accounts = StaffAccounts(tmp_path / "staff.yaml")
    accounts.add("lisi", "长长的密码-123")
    text = (tmp_path / "staff.yaml").read_text(encoding="utf-8")
    assert "长长的密码" not in text and "scrypt" in text and oct((tmp_path / "staff.yaml").stat().st_mode)[-3:] == "600"
    assert accounts.verify("lisi", "长长的密码-123")
    assert not accounts.verify("lisi", "长长的密码-124") and not accounts.verify("wangwu", "长长的密码-123")
    accounts.add("wangwu", "长长的密码-123")  # the same password: each account has its own salt, so its own hash
    data = yaml.safe_load((tmp_path / "staff.yaml").read_text(encoding="utf-8"))["staff"]
    assert data["lisi"]["salt"] != data["wangwu"]["salt"] and data["lisi"]["hash"] != data["wangwu"]["hash"]
    with pytest.raises(AccountError):
        accounts.add("x", "short")
    assert accounts.remove("wangwu") and accounts.names() == ["lisi"]


def test_cli_staff_add_reads_the_password_and_lists(tmp_path, monkeypatch, capsys):
    import io

    from bot.staff_accounts import StaffAccounts
    from laoquan.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO("站点密码-2026\n"))
    assert main(["--data-dir", str(tmp_path), "staff", "add", "zhao", "--password-stdin"]) == 0
    assert StaffAccounts(tmp_path / "staff.yaml").verify("zhao", "站点密码-2026")
    assert main(["--data-dir", str(tmp_path), "staff", "list"]) == 0
    assert "zhao" in capsys.readouterr().out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--data-dir", str(tmp_path), "staff", "add", "qian", "--password-stdin"]) == 2


def test_records_file_is_wal_and_survives_reopening(tmp_path):
    from bot.records import Records

    records = Records(tmp_path / "r.sqlite3")
    number = records.add_report(what="欠薪三个月", contact="13800000000").number
    records.add_feedback(useful=False, question="问题 13812345678", region="浙江", outcome="partial", reason="low_confidence",
                         conclusion="", doc_ids=["d"])
    again = Records(tmp_path / "r.sqlite3")
    assert again.report(number).what == "欠薪三个月"
    assert again.feedback_counts() == {"有用": 0, "没用": 1}
    [item] = again.queue()
    assert item.kind == "not_useful" and "13812345678" not in item.question
    assert again.handle_queue_item(item.id, by="s", note="补了问法") and again.queue() == []
    with sqlite3.connect(tmp_path / "r.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert json.loads(db.execute("SELECT doc_ids FROM feedback").fetchone()[0]) == ["d"]


@pytest.mark.integration
def test_asker_streams_when_the_bot_can(bot, tmp_path):
    """The page shows each progressively complete Answer of ``bot.stream``."""
    from bot.records import Records
    from bot.asking import Asker

    class Streaming:
        def __init__(self, inner):
            self.inner, self.catalog, self.seen = inner, inner.catalog, []

        def ask(self, question, *, region=None, as_of=None, conversation=None):
            self.seen.append(("ask", region, conversation))
            return self.inner.ask(question, region=region, as_of=as_of)

        def stream(self, question, **kwargs):
            full = self.ask(question, **kwargs)
            yield replace(full, citations=[])  # the conclusion first
            yield full

    streaming = Streaming(bot)
    asker = Asker(streaming, Records(tmp_path / "r.sqlite3"), bot.settings)
    answers = list(asker.answers(RIDER, region="浙江", job="外卖", conversation=None))
    assert len(answers) == 2 and not answers[0].citations and answers[-1].citations
    assert streaming.seen == [("ask", "浙江", None)]
    real = list(Asker(bot, Records(tmp_path / "r.sqlite3"), bot.settings).answers(RIDER, region=None, job=None, conversation=None))
    assert real[0].conclusion and not real[0].citations and real[-1].citations  # the bot's own stream: conclusion first


@pytest.mark.integration
def test_the_served_bot_keeps_the_conversation(bot, tmp_path):
    """``laoquan serve`` wraps the AnswerBot (ReloadingBot, the LLM writer): the page must pass the
    conversation through the wrapper, or a tapped triage choice is read as a new question
    (「签了劳动合同」 → 劳动合同法第十七条 instead of the injury it answers)."""
    from bot.conversation import Conversation
    from bot.records import Records
    from bot.asking import Asker

    class Wrapper:  # the shape of laoquan.app.ReloadingBot and bot.llm's writer
        def __init__(self, inner):
            self.inner, self.catalog = inner, inner.catalog

        def ask(self, question, **options):
            return self.inner.ask(question, **options)

        def stream(self, question, **options):
            yield self.ask(question, **options)

    asker = Asker(Wrapper(bot), Records(tmp_path / "r.sqlite3"), bot.settings)
    conversation = asker.conversation(None)
    first = list(asker.answers(RIDER, region="杭州", job="外卖", conversation=conversation))[-1]
    assert first.triage and isinstance(conversation, Conversation) and conversation.pending
    state = conversation.to_json()
    followed = list(asker.answers(first.triage.choices[0], region="杭州", job="外卖", conversation=asker.conversation(state)))[-1]
    assert followed.asked.startswith(RIDER.rstrip("？")) and followed.citations[0].doc_id == "gongshang-baoxian-tiaoli"


# -- the worker page's panels as a worker in 杭州 meets them (issue 18) -----------------------------


def _cards(html: str) -> list[str]:
    return re.findall(r'<li class="point[^"]*">.*?</li>', html, re.S)


def test_hangzhou_service_points_show_workers_only_what_helps_them():
    from bot.panels import ServicesPanel
    from bot.render import services_html
    from corpus.services import load_directory

    directory = load_directory()
    points = directory.for_city("杭州")
    assert any(p.note for p in points) and any(not p.phone for p in points)
    _, html = ServicesPanel(directory).render({"province": "浙江", "city": "杭州", "job": "外卖"})
    cards = _cards(html)
    assert len(cards) == len(points)
    for point, card in zip(points, cards):
        assert point.note[:12] not in card  # research notes (「被挂马的第三方网页转载…」) are for staff
        assert ("电话请打12333查询" in card and 'href="tel:12333"' in card) if not point.phone else f"拨打 {point.phone}" in card
        assert ("第三方整理，请先电话确认" in card) == (point.source_type == "listing")
        assert 'href="https://uri.amap.com/' in card
    assert "页面没有给电话" not in html and "挂马" not in html
    staff = services_html(points, place="杭州", staff=True)
    assert "挂马" in staff and "核实备注" in staff


def test_nearby_in_hangzhou_keeps_unplaced_points_after_the_placed_and_nothing_far():
    from bot.panels import ServicesPanel
    from corpus.services import load_directory

    panel = ServicesPanel(load_directory())
    html = panel.nearby('{"lat": 30.2590, "lon": 120.1650}', {"province": "浙江", "city": "杭州"})  # 上城区
    cards = _cards(html)
    names = [re.search(r"<b>\d+\. (.*?)</b>", c).group(1) for c in cards]
    assert "杭州市法律援助中心" in names  # its district is unknown: still listed, after the placed ones, said so
    unplaced = [i for i, c in enumerate(cards) if "位置未知" in c]
    placed = [i for i, c in enumerate(cards) if "位置未知" not in c]
    assert unplaced and placed and max(placed) < min(unplaced) and "不知道在哪个区" in html
    km = [float(x) for x in re.findall(r"估算约 (\d+) 公里|约 ([\d.]+) 公里", html) for x in x if x]
    assert km and max(km) <= 50  # nothing 100 km away is called 附近 (建德 is 116 km from 上城)
    assert not any("建德" in n for n in names)


def test_news_items_are_dated_by_the_policy_once_each_with_a_plain_summary():
    from bot.feeds import FeedSource
    from bot.panels import NewsPanel
    from common.settings import load_settings

    panel = NewsPanel(FeedSource.for_settings(load_settings()), limit=20)
    _, html, _ = panel.render({"province": "浙江", "city": "杭州", "job": "外卖"}, None)
    items = re.findall(r'<li class="news-item">.*?</details></li>', html, re.S)
    assert len(items) >= 8
    recorded = {i.updated.isoformat() for i in panel.feeds.items(region="杭州", job="外卖")}
    for item in items:
        dates = re.search(r'<small class="when">(.*?)</small>', item).group(1)
        assert not any(day in dates for day in recorded), dates  # not the day the catalog learned of it
        assert "发布" in dates
        assert "落款" not in item and "目录信息" not in item and "目前现行有效。" not in item.split("<details")[0]
    titles = [re.search(r'<p class="change">(.*?)</p>', i).group(1) for i in items]
    assert sum("扩大新就业形态人员职业伤害保障试点" in t or "扩大职业伤害保障试点" in t for t in titles) == 1  # one notice, once
    kuoda = next(i for i in items if "扩大" in i)
    assert "浙江" in kuoda.split("<details")[0]  # the province fact without opening the card
    assert "2025-04-22 发布 · 2025-07-01 起施行" in kuoda and "2026-11-24" not in kuoda.split("<details")[0]


# -- the staff page's pieces (issue 18) ------------------------------------------------------------


def test_junk_input_is_told_apart_from_questions():
    from bot.junk import Junk, junk_reason, split_junk

    assert junk_reason("送外卖路上被车撞了，算工伤吗？") is None
    assert junk_reason("公司不签合同怎么办") is None
    assert junk_reason("？？？ ！！") is Junk.EMPTY and junk_reason("〔手机号〕") is Junk.EMPTY
    assert junk_reason("123456 ok") is Junk.NO_CHINESE
    assert junk_reason("工伤") is Junk.TOO_SHORT
    assert junk_reason("啊啊啊啊啊啊啊") is Junk.REPEATED and junk_reason("哈哈哈哈哈哈哈哈好") is Junk.REPEATED
    kept, junk = split_junk(["拖欠工资去哪投诉", "啊啊啊啊", "拖欠工资 去哪投诉？", "哪里投诉拖欠工资"])
    assert kept == ["拖欠工资去哪投诉", "哪里投诉拖欠工资"]
    assert junk == [("啊啊啊啊", Junk.REPEATED), ("拖欠工资 去哪投诉？", Junk.DUPLICATE)]


def test_staff_sees_guide_citations_labelled_not_a_zero_similarity():
    from bot.render import citation_card
    from bot.results import Citation
    from bot.staff import seen_html
    from corpus.catalog import load_catalog

    found = Citation(n=1, doc_id="gongshang-baoxian-tiaoli", title="工伤保险条例", doc_no=None, article="第十四条", page=None,
                     quote="……应当认定为工伤", status="现行有效", effective_from=None, region="全国", source_url=None, score=0.8731)
    guide = Citation(n=2, doc_id="gongshang-baoxian-tiaoli", title="工伤保险条例", doc_no=None, article="第十七条", page=None,
                     quote="……30日内", status="现行有效", effective_from=None, region="全国", source_url=None, score=0.0)
    answer = canned_answer(citations=[found, guide], guide="gongshang-rending")
    html = seen_html(answer, debug=None, catalog=load_catalog())
    assert "相似度 0.873" in html and "办事指南引用" in html and "相似度 0.000" not in html
    card = citation_card(answer.to_json()["citations"][1], turn=0, staff=True)
    assert "办事指南引用" in card and "0.000" not in card


def test_an_answers_local_places_offer_12333_when_the_source_gave_no_phone():
    from bot.render import place_html

    html = place_html({"name": "杭州市法律援助中心", "address": "杭州市某路1号", "source_type": "listing", "note": "第三方转载的名录，可能已搬迁",
                       "navigation": {"amap": "https://uri.amap.com/search?keyword=x"}})
    assert '<a href="tel:12333">电话请打12333查询</a>' in html and "第三方整理，请先电话确认" in html
    assert "可能已搬迁" not in html  # research notes are for staff
    assert 'href="tel:057187654321"' in place_html({"name": "某站", "phone": "0571-87654321"})
