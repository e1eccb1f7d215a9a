"""政策直达: the feed per region and job, its Atom and JSON forms, the HTTP router (mounted in a bare
FastAPI app), and webhook delivery against a loopback HTTP server (127.0.0.1, port 0) — success, a
failing receiver, retries, no duplicates, a crash between sending and recording.
"""
from __future__ import annotations

import json
import sqlite3
import time
import xml.etree.ElementTree as ET
from datetime import date
from http.server import BaseHTTPRequestHandler
from urllib.parse import quote

import pytest

from tests.loopback_http import serve_on_loopback
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.feeds import (FeedError, FeedSource, feed_router, one_line, policy_feed, render_atom, render_json,
                       resolve_job, resolve_region)
from bot.webhooks import Ledger, WebhookError, load_webhooks, push_for_settings, wecom_message
from corpus.catalog import load_catalog
from corpus.changes import CHANGES_FILE, load_changes
from corpus.notes import load_notes
from laoquan.cli import main
from common.settings import load_settings

ATOM = "{http://www.w3.org/2005/Atom}"
PILOT = "zhiye-shanghai-baozhang-kuoda-tongzhi-2025"
OTHER_PROVINCES = ("guangdong-", "beijing-", "liaoning-", "anhui-", "hubei-", "shanghaishi-")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def log(catalog):
    return load_changes(CHANGES_FILE, catalog=catalog)


def _docs(items):
    return {(i.doc_id, i.kind) for i in items}


# ---------------------------------------------------------------------------------------------
# The feed


def test_zhejiang_delivery_riders_get_their_changes_and_no_other_provinces(catalog):
    items = policy_feed("浙江", "外卖")
    docs = _docs(items)
    assert (PILOT, "pilot_extended") in docs and (PILOT, "added") in docs          # 浙江 joined the pilot in 2025
    assert ("zhejiang-zhiye-shanghai-baozhang-yijian-2025", "added") in docs       # the province's own
    assert ("hangzhou-xinjiuye-quanyi-banfa-2022", "added") in docs                # a city's, for its province
    assert ("waimai-songcanyuan-quanyi-zhidao-yijian-2021", "added") in docs       # national, for riders
    assert ("laodong-zhengyi-jieshi-1", "text_changed") in docs
    assert not [d for d, _ in docs if d.startswith(OTHER_PROVINCES)]
    assert not [d for d, _ in docs if d.endswith("-2021") and d.startswith("zhiye-shanghai")]  # the 7-province pilot
    assert ("kuaidi-zanxing-tiaoli", "added") not in docs                          # couriers' rules
    assert [i.date for i in items] == sorted((i.date for i in items), reverse=True)
    assert items[0].date == date(2025, 12, 22)

    pilot = next(i for i in items if i.kind == "pilot_extended")
    assert pilot.headline.startswith("试点扩大：《扩大职业伤害保障试点通知》新增天津、河北、辽宁、浙江")
    assert pilot.summary == one_line(load_notes(PILOT)[0].text) and pilot.summary_kind == "要点（非原文）"
    assert "\n" not in pilot.summary and len(pilot.summary) <= 90
    assert pilot.card() == {"doc_id": PILOT, "title": "关于扩大新就业形态人员职业伤害保障试点的通知", "doc_no": "人社部发〔2025〕24号",
                            "status": "现行有效", "effective_from": "2025-07-01", "authority": "部门文件",
                            "issuer": "人力资源社会保障部等九部门", "source_url": catalog[PILOT].source_url}


def test_a_document_without_notes_gets_a_line_from_the_catalog():
    [law] = [i for i in policy_feed("浙江", "外卖") if i.doc_id == "laodong-fa"]
    assert law.summary == "全国人民代表大会常务委员会发布（主席令第24号），2018-12-29起施行，目前现行有效。"
    assert law.summary_kind == "目录信息"


def test_regions_cities_and_jobs_select_the_right_changes():
    guangdong = _docs(policy_feed("广东省", "waimai"))
    assert ("guangdong-xinjiuye-quanyi-yijian-2022", "added") in guangdong
    assert ("zhiye-shanghai-baozhang-shidian-tongzhi-2021", "added") in guangdong  # 广东 was in the first pilot
    assert (PILOT, "pilot_extended") not in guangdong and (PILOT, "added") in guangdong
    assert not [d for d, _ in guangdong if d.startswith(("zhejiang-", "hangzhou-"))]

    hangzhou = _docs(policy_feed("杭州市", "外卖"))
    assert ("zhejiang-xinjiuye-quanyi-banfa-2021", "added") in hangzhou and ("hangzhou-xinjiuye-quanyi-banfa-2022", "added") in hangzhou
    ningbo = _docs(policy_feed("ningbo", "外卖"))
    assert ("zhejiang-xinjiuye-quanyi-banfa-2021", "added") in ningbo and ("hangzhou-xinjiuye-quanyi-banfa-2022", "added") not in ningbo

    couriers = _docs(policy_feed("浙江", "快递"))
    assert ("kuaidi-zanxing-tiaoli", "added") in couriers and not [d for d, _ in couriers if "zhiye-shanghai" in d]
    streamers = _docs(policy_feed("浙江", "主播"))
    assert ("zhidaoxing-anli-237-240", "added") in streamers and ("waimai-songcanyuan-quanyi-zhidao-yijian-2021", "added") not in streamers
    national = _docs(policy_feed("全国", "外卖"))
    assert (PILOT, "added") not in national and ("xinjiuye-quanyi-zhidao-yijian-2021", "added") in national


def test_names_and_pinyin_are_resolved_and_unknown_ones_explained():
    assert [resolve_region(x) for x in ("浙江", "浙江省", " zhejiang ", "杭州市", "Hangzhou", "广西壮族自治区", "shaanxi", "quanguo")] == \
        ["浙江", "浙江", "浙江", "杭州", "杭州", "广西", "陕西", "全国"]
    assert [resolve_job(x) for x in ("外卖", "WaiMai", "wangyueche", "家政")] == ["外卖", "外卖", "网约车", "家政"]
    with pytest.raises(FeedError, match="没有找到地区“火星”"):
        resolve_region("火星")
    with pytest.raises(FeedError, match="没有找到职业“厨师”.*外卖（waimai）"):
        resolve_job("厨师")


def test_since_is_measured_against_when_the_change_was_recorded(tmp_path, catalog):
    raw = yaml.safe_load(CHANGES_FILE.read_text(encoding="utf-8"))
    late = {"date": "2025-04-09", "doc_id": "laodong-renshi-zhengyi-dianxing-anli-4-2025", "kind": "renumbered",
            "before": {"doc_no": "人社部函〔2025〕27号"}, "after": {"doc_no": "人社部函〔2025〕28号"},
            "regions": ["全国"], "jobs": ["外卖"], "recorded": "2026-12-01"}
    path = tmp_path / "changes.yaml"
    path.write_text(yaml.safe_dump({"changes": raw["changes"] + [late]}, allow_unicode=True), encoding="utf-8")
    changes = load_changes(path, catalog=catalog)
    items = policy_feed("浙江", "外卖", since=date(2026, 11, 25), changes=changes, catalog=catalog)
    assert [(i.doc_id, i.kind, i.date, i.updated) for i in items] == \
        [("laodong-renshi-zhengyi-dianxing-anli-4-2025", "renumbered", date(2025, 4, 9), date(2026, 12, 1))]
    assert items[0].headline == "文号变化：《劳动人事争议典型案例（第四批）》文号 人社部函〔2025〕27号 → 人社部函〔2025〕28号"
    assert len(policy_feed("浙江", "外卖", since=date(2026, 11, 24), changes=changes, catalog=catalog)) > 30


# ---------------------------------------------------------------------------------------------
# Atom and JSON


def _evil_world(tmp_path):
    """A catalog and log whose texts hold markup, quotes, ampersands and control characters."""
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"documents": [
        {"id": "ceshi-evil", "title": '测试</title><script>alert("x")</script>&amp;\x0b办法', "short_name": "测试<b>办法</b>",
         "issuer": "测试局 & <公司>", "kind": "地方规范性文件", "region": "杭州", "status": "试行", "doc_no": "杭测〔2026〕1号",
         "source_url": "https://example.gov.cn/a?x=1&y=2"},
        {"id": "ceshi-js", "title": "无官方链接的文件", "short_name": "无链接", "issuer": "测试局", "kind": "地方规范性文件",
         "region": "浙江", "status": "现行有效", "source_url": "javascript:alert(1)"},
    ]}, allow_unicode=True), encoding="utf-8")
    changes = tmp_path / "changes.yaml"
    changes.write_text(yaml.safe_dump({"changes": [
        {"date": "2026-01-05", "doc_id": "ceshi-evil", "kind": "added", "after": {"status": "试行"}, "regions": ["杭州"], "jobs": ["外卖"]},
        {"date": "2026-02-01", "doc_id": "ceshi-js", "kind": "added", "after": {"status": "现行有效"}, "regions": ["浙江"], "jobs": ["外卖"]},
    ]}, allow_unicode=True), encoding="utf-8")
    return FeedSource(catalog_path=catalog, changes_path=changes, notes_dir=tmp_path / "notes")


def test_atom_is_valid_escaped_and_complete(tmp_path):
    items = _evil_world(tmp_path).items(region="浙江", job="外卖")
    assert len(items) == 2
    body = render_atom(items, feed_url="http://127.0.0.1/feeds/zhejiang/waimai.xml", title='劳权通 <浙江> & "外卖"')
    assert b"<script>" not in body and b"\x0b" not in body
    root = ET.fromstring(body)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}title").text == '劳权通 <浙江> & "外卖"'
    assert root.find(f"{ATOM}id").text.startswith("urn:uuid:") and root.find(f"{ATOM}updated").text == "2026-02-01T00:00:00+08:00"
    assert root.find(f"{ATOM}author/{ATOM}name").text == "劳权通"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for tag in ("id", "updated", "title", "link", "summary", "content"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag
        assert entry.find(f"{ATOM}id").text.startswith("urn:uuid:")
        assert entry.find(f"{ATOM}link").get("href").startswith("http")
    evil = entries[1]
    assert evil.find(f"{ATOM}title").text == '新收录：《测试</title><script>alert("x")</script>&amp;办法》（试行）'
    assert evil.find(f"{ATOM}link").get("href") == "https://example.gov.cn/a?x=1&y=2"
    assert "测试局 & <公司>" in evil.find(f"{ATOM}content").text
    no_link = entries[0]  # javascript: is never a link: the entry links into the feed instead
    assert no_link.find(f"{ATOM}link").get("href").startswith("http://127.0.0.1/feeds/zhejiang/waimai.xml#")
    assert len({e.find(f"{ATOM}id").text for e in entries}) == 2


def test_an_empty_feed_is_still_valid_atom():
    root = ET.fromstring(render_atom([], feed_url="http://127.0.0.1/feeds/xizang/jiazheng.xml", title="空"))
    assert root.find(f"{ATOM}updated").text and root.findall(f"{ATOM}entry") == []


def test_json_feed_has_the_card_and_no_unsafe_links(tmp_path):
    items = _evil_world(tmp_path).items(region="杭州", job="外卖")
    feed = json.loads(render_json(items, feed_url="http://127.0.0.1/feeds/hangzhou/waimai.json", title="杭州 · 外卖"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["language"] == "zh-CN"
    first, second = feed["items"]
    assert "url" not in first and first["_laoquan"]["source_url"] is None  # javascript: dropped
    assert second["url"] == "https://example.gov.cn/a?x=1&y=2" and second["date_published"] == "2026-01-05T00:00:00+08:00"
    assert second["_laoquan"]["doc_no"] == "杭测〔2026〕1号" and second["tags"] == ["新收录", "外卖"]
    assert second["summary"] == "测试局 & <公司>发布（杭测〔2026〕1号），目前试行。"


# ---------------------------------------------------------------------------------------------
# The router


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    app.include_router(feed_router(source=FeedSource.for_settings(load_settings())))
    return TestClient(app)


def test_router_serves_atom_and_json_for_chinese_and_pinyin_paths(client):
    atom = client.get("/feeds/" + quote("浙江") + "/" + quote("外卖") + ".xml")
    assert atom.status_code == 200 and atom.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(atom.content)
    titles = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
    assert any(t.startswith("试点扩大") for t in titles) and not any("广东" in t for t in titles)
    assert root.find(f"{ATOM}link").get("href") == "http://testserver/feeds/%E6%B5%99%E6%B1%9F/%E5%A4%96%E5%8D%96.xml"
    same = client.get("/feeds/zhejiang/waimai.xml")
    assert same.status_code == 200 and ET.fromstring(same.content).find(f"{ATOM}id").text == root.find(f"{ATOM}id").text

    feed = client.get("/feeds/浙江省/waimai.json")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/feed+json")
    assert [i["id"] for i in feed.json()["items"]] == [i.id for i in policy_feed("浙江", "外卖")]
    assert client.get("/feeds/杭州/外卖.json?since=2030-01-01").json()["items"] == []


def test_router_explains_unknown_regions_jobs_and_dates_in_chinese(client):
    for path, status, words in (("/feeds/火星/外卖.xml", 404, "没有找到地区“火星”"), ("/feeds/浙江/厨师.json", 404, "没有找到职业“厨师”"),
                                ("/feeds/浙江/外卖.xml?since=昨天", 400, "日期格式应为 YYYY-MM-DD")):
        response = client.get(path)
        assert response.status_code == status and words in response.json()["detail"]
    assert client.get("/feeds/浙江/外卖.html").status_code == 404


def test_router_answers_304_to_a_matching_etag(client):
    first = client.get("/feeds/zhejiang/waimai.xml")
    again = client.get("/feeds/zhejiang/waimai.xml", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_router_picks_up_a_change_log_edit_without_restart(tmp_path):
    source = _evil_world(tmp_path)
    app = FastAPI()
    app.include_router(feed_router(source=source))
    client = TestClient(app)
    assert len(client.get("/feeds/zhejiang/waimai.json").json()["items"]) == 2
    data = yaml.safe_load(source.changes_path.read_text(encoding="utf-8"))
    data["changes"].append({"date": "2026-03-01", "doc_id": "ceshi-js", "kind": "status_changed", "before": {"status": "试行"},
                            "after": {"status": "现行有效"}, "regions": ["浙江"], "jobs": ["外卖"]})
    time.sleep(0.01)
    source.changes_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert len(client.get("/feeds/zhejiang/waimai.json").json()["items"]) == 3
    source.changes_path.write_text("changes: [", encoding="utf-8")
    broken = client.get("/feeds/zhejiang/waimai.json")
    assert broken.status_code == 503 and "12333" in broken.json()["detail"]


# ---------------------------------------------------------------------------------------------
# Webhooks against a loopback server

RECEIVED: list[dict] = []
SCRIPTS: dict[str, list] = {}
"""path → responses still to give (status, headers, body); when empty: 200 {"errcode": 0}."""


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        RECEIVED.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
        script = SCRIPTS.get(self.path) or []
        status, headers, answer = script.pop(0) if script else (200, {}, {"errcode": 0, "errmsg": "ok"})
        if status == "slow":
            time.sleep(0.6)
            status = 200
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def receiver():
    yield from serve_on_loopback(_Receiver)


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    RECEIVED.clear()
    SCRIPTS.clear()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


FIRST = ("zhejiang-xinjiuye-quanyi-banfa-2021", PILOT, "zhejiang-zhiye-shanghai-baozhang-yijian-2025")
"""The fixture log: three changes that concern 浙江 riders (one national pilot, two provincial)."""


@pytest.fixture
def world(tmp_path):
    """A data folder, a change log of the real log's entries for FIRST, and settings that do not sleep."""
    raw = [c for c in yaml.safe_load(CHANGES_FILE.read_text(encoding="utf-8"))["changes"]
           if c["doc_id"] in FIRST and c["kind"] == "added"]
    assert len(raw) == 3
    changes = tmp_path / "changes.yaml"
    changes.write_text(yaml.safe_dump({"changes": raw}, allow_unicode=True), encoding="utf-8")
    settings = load_settings(data_dir=tmp_path / "data", changes=changes, webhook_timeout=0.3, webhook_backoff=1.0)
    settings.paths.data_dir.mkdir()
    return settings


def _hooks(settings, *entries):
    settings.paths.webhooks_path.write_text(yaml.safe_dump({"webhooks": list(entries)}, allow_unicode=True), encoding="utf-8")


def _add_change(settings, **fields):
    data = yaml.safe_load(settings.paths.changes.read_text(encoding="utf-8"))
    data["changes"].append({"date": "2026-12-01", "doc_id": "xinjiuye-hetong-xieyi-dingli-zhiyin-2023", "kind": "status_changed",
                            "before": {"status": "试行"}, "after": {"status": "现行有效"}, "regions": ["全国"],
                            "jobs": ["外卖", "快递"], **fields})
    settings.paths.changes.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _push(settings, waits=None):
    return push_for_settings(settings, sleep=(waits if waits is not None else []).append)


def test_each_change_is_sent_once_and_a_new_one_later_once(world, receiver):
    _hooks(world, {"name": "浙江骑手群", "url": f"{receiver}/ok", "province": "浙江", "job": "外卖", "since": "2000-01-01"})
    report = _push(world)
    assert report.ok and report.count("sent") == 3
    assert [r["body"]["doc_id"] for r in RECEIVED] == list(FIRST)  # oldest first
    first = RECEIVED[0]
    assert first["headers"]["Content-Type"].startswith("application/json")
    assert first["headers"]["Idempotency-Key"].startswith("laoquan-") and first["body"]["event"] == "laoquan.policy_change"
    assert first["body"]["title"] == "浙江省维护新就业形态劳动者劳动保障权益实施办法" and first["body"]["doc_no"] == "浙人社发〔2021〕56号"
    assert first["body"]["headline"].startswith("新收录：") and first["body"]["summary"] and "官方链接" not in first["body"]["summary"]
    assert len({r["headers"]["Idempotency-Key"] for r in RECEIVED}) == 3

    again = _push(world)
    assert again.deliveries == [] and len(RECEIVED) == 3  # nothing twice

    _add_change(world)
    later = _push(world)
    assert later.count("sent") == 1 and len(RECEIVED) == 4
    assert RECEIVED[-1]["body"]["kind"] == "status_changed" and "试行 → 现行有效" in RECEIVED[-1]["body"]["headline"]
    assert _push(world).deliveries == [] and len(RECEIVED) == 4


def test_a_500_is_retried_with_backoff_under_the_same_key(world, receiver):
    SCRIPTS["/flaky"] = [(500, {}, {}), (503, {}, {})]
    _hooks(world, {"url": f"{receiver}/flaky", "since": "2000-01-01"})
    waits = []
    report = _push(world, waits)
    assert report.ok and report.count("sent") == 3
    assert waits == [1.0, 2.0] and report.deliveries[0].attempts == 3
    keys = [r["headers"]["Idempotency-Key"] for r in RECEIVED]
    assert len(keys) == 5 and keys[0] == keys[1] == keys[2] != keys[3]


def test_a_permanent_400_is_recorded_as_failed_and_not_retried(world, receiver):
    SCRIPTS["/bad"] = [(400, {}, {"error": "bad request"})] * 3
    _hooks(world, {"name": "坏地址", "url": f"{receiver}/bad", "since": "2000-01-01"})
    waits = []
    report = _push(world, waits)
    assert not report.ok and report.count("failed") == 3 and waits == [] and len(RECEIVED) == 3
    assert report.deliveries[0].status == 400 and "✗ 失败 [坏地址]" in report.deliveries[0].line
    assert _push(world).deliveries == [] and len(RECEIVED) == 3  # never again
    db = sqlite3.connect(world.paths.deliveries_path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT state, attempts, last_status FROM deliveries").fetchall() == [("failed", 1, 400)] * 3


def test_a_receiver_that_stays_down_is_tried_a_bounded_number_of_times(world, receiver):
    world = world.replace(webhook_attempts=2, webhook_max_attempts=3)
    SCRIPTS["/down"] = [(502, {}, {})] * 20
    _hooks(world, {"url": f"{receiver}/down", "since": "2000-01-01"})
    first = _push(world)
    assert first.count("retry") == 3 and len(RECEIVED) == 6  # 2 tries each, left for the next push
    second = _push(world)
    assert second.count("failed") == 3 and len(RECEIVED) == 9  # the 3rd try in all was the last
    assert _push(world).deliveries == [] and len(RECEIVED) == 9


def test_429_waits_as_asked_and_a_timeout_is_retried(world, receiver):
    SCRIPTS["/busy"] = [(429, {"Retry-After": "3"}, {})]
    SCRIPTS["/slow"] = [("slow", {}, {})]
    _hooks(world, {"url": f"{receiver}/busy", "since": "2000-01-01", "job": "外卖"},
           {"url": f"{receiver}/slow", "since": "2000-01-01", "province": "zhejiang"})
    waits = []
    report = _push(world, waits)
    assert report.ok and report.count("sent") == 6
    assert waits == [3.0, 1.0]  # Retry-After honoured; then the back-off after the timeout
    assert [d.attempts for d in report.deliveries] == [2, 1, 1, 2, 1, 1]


def test_wecom_robots_get_markdown_and_their_error_codes_count(world, receiver):
    SCRIPTS["/robot-bad?key=other"] = [(200, {}, {"errcode": 93000, "errmsg": "invalid webhook url"})]
    SCRIPTS["/robot?key=secret-key"] = [(200, {}, {"errcode": 45009, "errmsg": "api freq out of limit"})]
    _hooks(world, {"url": f"{receiver}/robot?key=secret-key", "kind": "wecom", "since": "2000-01-01"},
           {"url": f"{receiver}/robot-bad?key=other", "kind": "wecom", "since": "2025-01-01"})
    report = _push(world)
    robot = [r for r in RECEIVED if r["path"].startswith("/robot?")]
    assert len(robot) == 4 and robot[0]["body"]["msgtype"] == "markdown"  # errcode 45009 retried once
    content = robot[1]["body"]["markdown"]["content"]
    assert content.startswith("**新收录**：《浙江省维护新就业形态劳动者劳动保障权益实施办法》") and "> 要点（非原文）：" in content
    bad = [d for d in report.deliveries if d.state == "failed"]
    assert len(bad) == 1 and "errcode 93000" in bad[0].error  # since 2025: only the 2025 changes, one failed
    assert "secret-key" not in "\n".join(d.line for d in report.deliveries)
    assert [h.shown_url for h in load_webhooks(world.paths.webhooks_path)] == [f"{receiver}/robot?…", f"{receiver}/robot-bad?…"]


def test_wecom_text_cannot_inject_markup_or_overflow():
    source_items = policy_feed("浙江", "外卖")
    item = source_items[0]
    evil = type(item)(**{**item.__dict__, "title": "<font color=\"warning\">[点我](javascript:x)</font>" + "长" * 3000})
    content = wecom_message(evil)["markdown"]["content"]
    assert "<font" not in content and "[点我]" not in content and len(content.encode("utf-8")) <= 4096


def test_a_crash_between_sending_and_recording_resends_with_the_same_key(world, receiver, monkeypatch):
    _hooks(world, {"url": f"{receiver}/ok", "since": "2000-01-01"})
    real_finish = Ledger.finish

    def crash(self, webhook_id, key, state, **kw):
        raise KeyboardInterrupt("killed after the request, before its outcome was recorded")

    monkeypatch.setattr(Ledger, "finish", crash)
    with pytest.raises(KeyboardInterrupt):
        _push(world)
    assert len(RECEIVED) == 1
    monkeypatch.setattr(Ledger, "finish", real_finish)
    report = _push(world)
    assert report.count("sent") == 3 and len(RECEIVED) == 4
    assert RECEIVED[0]["headers"]["Idempotency-Key"] == RECEIVED[1]["headers"]["Idempotency-Key"]  # at least once, same key
    assert report.deliveries[0].attempts == 2

    def crash_before(self, webhook_id, key):
        raise KeyboardInterrupt("killed before the request")

    _add_change(world)
    monkeypatch.setattr(Ledger, "sending", crash_before)
    with pytest.raises(KeyboardInterrupt):
        _push(world)
    assert len(RECEIVED) == 4  # nothing sent, nothing recorded
    monkeypatch.undo()
    assert _push(world).count("sent") == 1 and len(RECEIVED) == 5


def test_a_new_webhook_starts_from_now_unless_given_since(world, receiver):
    _hooks(world, {"url": f"{receiver}/ok", "province": "杭州"})
    report = _push(world)
    assert report.deliveries == [] and report.baselined == {f"127.0.0.1:{receiver.rsplit(':', 1)[1]}": 3} and RECEIVED == []
    _add_change(world)
    assert _push(world).count("sent") == 1 and len(RECEIVED) == 1


def test_filters_send_only_what_concerns_the_webhook(world, receiver):
    _hooks(world, {"url": f"{receiver}/gd", "province": "广东", "job": "外卖", "since": "2000-01-01"},
           {"url": f"{receiver}/kd", "province": "浙江", "job": "快递", "since": "2000-01-01"})
    _push(world)
    assert [r["body"]["doc_id"] for r in RECEIVED if r["path"] == "/gd"] == [PILOT]  # 广东 is in the 2025 pilot's scope
    assert [r["body"]["doc_id"] for r in RECEIVED if r["path"] == "/kd"] == ["zhejiang-xinjiuye-quanyi-banfa-2021"]


@pytest.mark.parametrize("entry, words", [
    ({"url": "ftp://x"}, "url: 应为 http:// 或 https:// 地址"),
    ({"url": "http://127.0.0.1/x", "kind": "dingtalk"}, "未知类型"),
    ({"url": "http://127.0.0.1/x", "province": "火星"}, "没有找到地区“火星”"),
    ({"url": "http://127.0.0.1/x", "job": "厨师"}, "没有找到职业“厨师”"),
    ({"url": "http://127.0.0.1/x", "since": "明天"}, "since: 日期无效"),
    ({"url": "http://127.0.0.1/x", "token": "x"}, "token: 未知字段"),
])
def test_bad_webhook_lists_are_explained(world, entry, words, capsys):
    _hooks(world, entry)
    with pytest.raises(WebhookError, match=words.replace("(", r"\(")):
        load_webhooks(world.paths.webhooks_path)
    assert main(["--data-dir", str(world.paths.data_dir), "feeds", "push"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_cli_push_and_dry_run(world, receiver, monkeypatch, capsys):
    monkeypatch.setenv("LAOQUAN_CHANGES", str(world.paths.changes))
    monkeypatch.setenv("LAOQUAN_WEBHOOK_BACKOFF", "0")
    args = ["--data-dir", str(world.paths.data_dir), "feeds", "push"]
    assert main(args) == 0 and "还没有配置 webhook" in capsys.readouterr().out
    _hooks(world, {"name": "站点大屏", "url": f"{receiver}/ok", "province": "浙江", "job": "外卖", "since": "2000-01-01"})
    assert main(args + ["--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("· 将发送 [站点大屏]") == 3 and RECEIVED == [] and not world.paths.deliveries_path.exists()
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("✓ 已发送 [站点大屏]") == 3 and "已发送 3 条" in out and len(RECEIVED) == 3
    assert main(args) == 0 and "已发送 0 条" in capsys.readouterr().out and len(RECEIVED) == 3
    SCRIPTS["/ok"] = [(410, {}, {})]
    _add_change(world)
    assert main(args) == 1 and "✗ 失败 [站点大屏]" in capsys.readouterr().out


def test_cli_feeds_show(capsys):
    assert main(["feeds", "show", "hangzhou", "外卖"]) == 0
    out = capsys.readouterr().out
    assert "试点扩大：《扩大职业伤害保障试点通知》" in out and out.strip().endswith("条") and "广东省维护" not in out
    assert main(["feeds", "show", "火星", "外卖"]) == 2
    assert "没有找到地区" in capsys.readouterr().err


def test_every_province_a_worker_can_choose_has_a_feed_id():
    from bot.feeds import PROVINCE_PINYIN
    from corpus.regions import PROVINCES

    assert set(PROVINCE_PINYIN) == set(PROVINCES) and len(PROVINCES) == 31
