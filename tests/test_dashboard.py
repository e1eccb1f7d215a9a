"""The station dashboard's figures (bot.dashboard) from a seeded month of records, the anonymous
``asked`` table and report response times (bot.records), and the worker page's 新政策 / 服务站点
panels as HTML (bot.render, bot.panels) — no server, no model."""
from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest

import common.settings  # noqa: F401
from bot.feeds import FeedSource
from bot.records import Records, iso_week

CN = timezone(timedelta(hours=8))


def _stamp(day: date, hour: int, minute: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CN).isoformat()


@pytest.fixture
def month(tmp_path):
    return seed_month(Records(tmp_path / "records.sqlite3"))


TOPICS = ("commute-accident", "laodong-hetong-fa", "deposit-or-id-withheld", "gongshang-baoxian-tiaoli", "arbitration-how")


def seed_month(records: Records, start: date = date(2026, 11, 2)) -> Records:
    """Four weeks of traffic from ``start`` (a Monday; 2026-W45 by default): 40 answers in 浙江 /
    广东 / none, 10 refused; 10 feedback (3 没用); 4 queued questions; 4 reports with known times.
    (The browser test seeds the shared server's records with it for the dashboard screenshot.)"""
    for i in range(40):
        day = start + timedelta(days=i % 28)
        region = ("杭州", "广州", None, "浙江")[i % 4]
        refused = i % 4 == 2
        records.add_asked(region=region, job="外卖" if i % 2 else "快递", topic="" if refused else TOPICS[i % len(TOPICS)],
                          outcome="refused" if refused else "answered", reason="not_found" if refused else "", day=day)
    for i in range(10):  # 有用 7, 没用 3
        records.add_feedback(useful=i >= 3, question=f"工资的问题{i}，我的手机13812345678", region="杭州", outcome="answered",
                             reason="", conclusion="", doc_ids=[])
    for _ in range(3):
        records.add_refused(question="我叫张三，手机13812345678，外卖箱被偷了谁赔？", region="杭州", reason="not_found")
    records.add_refused(question="平台封号怎么办", region="广州", reason="low_confidence")
    with sqlite3.connect(records.path) as db:  # feedback dated inside the month (created_at is 'now' otherwise)
        db.execute("UPDATE feedback SET created_at = ? WHERE question LIKE '工资的问题%'", (_stamp(start + timedelta(days=8), 10),))
    a = records.add_report(what="被扣钱", city="杭州")
    b = records.add_report(what="押金不退", city="广州")
    c = records.add_report(what="受伤了没人管", city="杭州")
    d = records.add_report(what="还没人看", city="杭州")
    timing = {  # created, first response, closed
        a.number: (_stamp(start, 9, 0), _stamp(start, 9, 6), _stamp(start, 20, 0)),  # 6 min, 11 h
        b.number: (_stamp(start + timedelta(days=1), 9, 0), _stamp(start + timedelta(days=1), 9, 30), _stamp(start + timedelta(days=3), 9, 0)),  # 30 min, 48 h
        c.number: (_stamp(start + timedelta(days=8), 8, 0), _stamp(start + timedelta(days=8), 8, 10), None),  # 10 min, open
        d.number: (_stamp(start + timedelta(days=8), 8, 0), None, None),
    }
    with sqlite3.connect(records.path) as db:
        for number, (created, first, closed) in timing.items():
            db.execute("UPDATE reports SET created_at = ?, first_response_at = ?, closed_at = ? WHERE number = ?", (created, first, closed, number))
    return records


def test_asked_table_keeps_no_question_text_and_no_time_finer_than_the_day(tmp_path):
    records = Records(tmp_path / "r.sqlite3")
    records.add_asked(region="杭州", job="外卖", topic="injury-commute", outcome="answered", reason="", day=date(2026, 11, 24))
    with sqlite3.connect(records.path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(asked)")]
        row = db.execute("SELECT * FROM asked").fetchone()
    assert columns == ["id", "day", "week", "region", "job", "topic", "outcome", "reason"]
    assert row[1:] == ("2026-11-24", "2026-W48", "浙江", "外卖", "injury-commute", "answered", "")  # the province, not the city
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_first_response_and_closure_are_set_once(tmp_path):
    records = Records(tmp_path / "r.sqlite3")
    report = records.add_report(what="站点扣了我的押金")
    assert report.first_response_at is None and report.closed_at is None
    first = records.update_report(report.number, by="zhanzhang", forwarded_to="工会")
    assert first.first_response_at and first.closed_at is None
    done = records.update_report(report.number, by="zhanzhang", outcome="退了", done=True)
    assert done.first_response_at == first.first_response_at and done.closed_at
    again = records.update_report(report.number, by="other", outcome="补记")
    assert again.closed_at == done.closed_at and again.first_response_at == first.first_response_at


def test_old_records_file_gets_the_new_report_columns(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, what TEXT NOT NULL,"
                   " platform TEXT, city TEXT, contact TEXT, status TEXT NOT NULL, forwarded_to TEXT, outcome TEXT, updated_at TEXT, updated_by TEXT)")
        db.execute("INSERT INTO reports (number, created_at, what, status) VALUES ('LQ-2345-6789', '2026-11-01T09:00:00+08:00', '旧的', '已收到')")
    records = Records(path)
    assert records.report("LQ-2345-6789").first_response_at is None
    assert records.update_report("LQ-2345-6789", by="x", done=True).closed_at


def test_dashboard_counts_rates_and_durations(month):
    from bot.dashboard import build_dashboard

    board = build_dashboard(month, topic_label=lambda t: {"commute-accident": "上下班途中受伤"}.get(t, t),
                            now=datetime(2026, 11, 30, 12, tzinfo=CN))
    assert board.weeks == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert (board.asked, board.refused) == (40, 10) and board.refusal_rate == 0.25
    assert (board.feedback, board.not_useful) == (10, 3) and board.not_useful_rate == 0.3
    week45 = board.by_week.rows[0]
    assert week45[:4] == ("2026-W45", 14, 4, round(4 / 14, 4))  # i = 0-6 and 28-34: 14 answers; i = 2, 6, 30, 34 refused
    assert sum(r[1] for r in board.by_week.rows) == 40
    assert board.by_week.rows[1][4:] == (10, 3, 0.3)  # the feedback is in W46
    provinces = {r[0]: r[1:] for r in board.by_province.rows}
    assert provinces == {"浙江": (20, 0, 0.0), "广东": (10, 0, 0.0), "未选地区": (10, 10, 1.0)}
    topics = {(w, name): n for w, _, name, n in board.by_topic.rows}
    assert sum(topics.values()) == 40 and topics[("2026-W45", "（没有答上）")] == 4
    assert any(name == "上下班途中受伤" for _, name in topics)

    top = board.need_vetting.rows[0]
    assert top[1:4] == (4, 3, 1) or top[1:4] == (3, 3, 0)
    texts = " ".join(r[0] for r in board.need_vetting.rows)
    assert "13812345678" not in texts and "张三" not in texts

    by_week = {r[0]: r for r in board.reports.rows}
    w45, w46 = by_week["2026-W45"], by_week["2026-W46"]
    assert w45[1:] == (2, 2, 18.0, 0.5, 2, 29.5, 0.5)  # medians of 6 & 30 min, 11 & 48 h; one of two within each promise
    assert w46[1:4] == (2, 1, 10.0) and w46[4] == 0.5 and w46[5] == 0 and w46[6] is None
    times = {(r[0], r[3]): r for r in board.report_times.rows}
    assert times[("2026-W45", 6.0)][5:] == ("是", "是") and times[("2026-W45", 30.0)][5:] == ("否", "否")


def test_dashboard_csvs_and_plots(month, tmp_path):
    from matplotlib.figure import Figure

    from bot.dashboard import build_dashboard, plot_provinces, plot_rates, plot_reports, plot_topics

    board = build_dashboard(month)
    files = board.write_csvs(tmp_path / "csv")
    assert [f.name for f in files] == ["asked_by_week.csv", "asked_by_topic.csv", "asked_by_province.csv", "need_vetting.csv",
                                       "reports_by_week.csv", "report_times.csv"]
    raw = files[0].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: spreadsheet programs read the Chinese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["week", "asked", "refused", "refusal_rate", "feedback", "not_useful", "not_useful_rate"]
    assert rows[1][:3] == ["2026-W45", "14", "4"]
    provinces = list(csv.reader(io.StringIO(files[2].read_text(encoding="utf-8-sig"))))
    assert ["浙江", "20", "0", "0.0"] in provinces
    vetting = files[3].read_text(encoding="utf-8-sig")
    assert "〔手机号〕" in vetting and "13812345678" not in vetting
    for plot in (plot_topics, plot_rates, plot_provinces, plot_reports):
        fig = plot(board)
        assert isinstance(fig, Figure) and fig.axes
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        assert buffer.getvalue()[:4] == b"\x89PNG"
    titles = [ax.get_title() for ax in plot_reports(board).axes]
    assert titles == ["诉求量", "首次响应（中位数，分钟）", "办结（中位数，小时）"]


def test_empty_dashboard_says_so(tmp_path):
    from bot.dashboard import build_dashboard, plot_topics

    board = build_dashboard(Records(tmp_path / "r.sqlite3"))
    assert board.asked == 0 and board.refusal_rate is None and board.not_useful_rate is None
    assert board.by_week.to_csv().splitlines() == ["week,asked,refused,refusal_rate,feedback,not_useful,not_useful_rate"]
    assert [t.get_text() for t in plot_topics(board).axes[0].texts] == ["还没有数据"]


# -- the worker page's panels ------------------------------------------------------------------


def _point(**over):
    from corpus.services import ServicePoint

    base = dict(id="t-1", name='<script>alert(1)</script>仲裁院', kind="arbitration", address="杭州市某路1号 <b>", province="浙江",
                city="杭州", source_url="https://example.gov.cn/a?b=1&c=2", checked=date(2026, 11, 24), phone="0571-12345678",
                source_type="listing")
    return ServicePoint(**{**base, **over})


def test_service_point_html_escapes_and_links():
    from bot.render import LISTING_MARK, services_html
    from corpus.services import static_map_svg

    points = [_point(), _point(id="t-2", name="法律援助中心", kind="legal-aid", source_type="official", phone=None,
                               lat=30.27, lon=120.15, coords="gcj02")]
    html = services_html(points, place="杭州", map_svg=static_map_svg(points))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;仲裁院" in html and "杭州市某路1号 &lt;b&gt;" in html
    assert 'href="tel:057112345678"' in html and "电话请打12333查询" in html and "页面没有给电话" not in html
    assert html.count(LISTING_MARK) == 1  # the listing only
    assert 'href="https://uri.amap.com/search?' in html and 'href="baidumap://map/place/search?' in html and 'href="qqmap://map/search?' in html
    assert 'href="qqmap://map/marker?marker=coord:30.270000,120.150000' in html  # the point with coordinates: a marker
    assert "网页地图" in html and 'href="https://example.gov.cn/a?b=1&amp;c=2"' in html and "核实于 2026-11-24" in html
    assert "<svg" in html  # a point has coordinates: the sketch map


def test_services_panel_lists_a_city_and_says_when_there_is_nothing(tmp_path):
    from bot.panels import ServicesPanel
    from corpus.services import ServiceDirectory, load_directory

    panel = ServicesPanel(load_directory())
    label, html = panel.render({"province": "北京"})
    assert "北京" in label and html.count('<li class="point') >= 5 and 'href="https://uri.amap.com/search?' in html
    assert 'class="estimated"' in html and "空心圆圈" in html  # no entry has coordinates: drawn at their districts
    _, html = panel.render({"province": "广东", "city": "深圳"})
    assert "第三方整理，请先电话确认" in html
    _, html = panel.render({"province": "西藏", "city": None})
    assert "目录里还没有西藏的服务站点" in html and 'href="tel:12333"' in html
    # 附近: no coordinates anywhere → ranked by their districts' centres, said plainly
    html = panel.nearby('{"lat": 39.9, "lon": 116.4}', {"province": "北京"})
    assert "按它所在区的中心估算" in html and html.count('<li class="point') == 5 + html.count('class="dist unplaced"') and "估算约" in html
    nowhere = ServicesPanel(ServiceDirectory([_point(id="x", district=None, address="某路1号")]))
    assert "都还没有位置信息" in nowhere.nearby('{"lat": 39.9, "lon": 116.4}', {"province": "浙江", "city": "杭州"})
    html = panel.nearby('{"error": "denied"}', {"province": "北京"})
    assert "你没有允许定位" in html
    assert "没有拿到你的位置" in panel.nearby("<not json>", {"province": "北京"})
    # with coordinates: the nearest first, with its distance and the map with "you"
    near = ServicesPanel(ServiceDirectory([_point(id="far", name="远的", lat=30.30, lon=120.20, coords="wgs84"),
                                           _point(id="near", name="近的", lat=30.2701, lon=120.1501, coords="wgs84")]))
    html = near.nearby('{"lat": 30.27, "lon": 120.15}', {"province": "浙江", "city": "杭州"})
    assert html.index("近的") < html.index("远的") and "约 15 米" in html and "你的位置" in html


def test_news_panel_since_last_visit_and_feed_links():
    from bot.panels import NewsPanel
    from common.settings import load_settings

    panel = NewsPanel(FeedSource.for_settings(load_settings()))
    today = date(2026, 11, 25)
    # the visit remembered: first visit → newest items; same day → the same list; next day → since then
    assert NewsPanel.next_visit(None, today) == (None, {"last": "2026-11-25", "prev": None})
    assert NewsPanel.next_visit({"last": "2026-11-20", "prev": None}, today) == ("2026-11-20", {"last": "2026-11-25", "prev": "2026-11-20"})
    assert NewsPanel.next_visit({"last": "2026-11-25", "prev": "2026-11-20"}, today) == ("2026-11-20", {"last": "2026-11-25", "prev": "2026-11-20"})

    label, html, visit = panel.render({"province": "浙江", "city": "杭州", "job": "外卖"}, None, today=today)
    assert label == "新政策 · 最近的变化" and visit["last"] == "2026-11-25"
    assert html.count('<li class="news-item">') == 8 and '<details class="cite" id="cnews-1">' in html
    assert 'href="/feeds/hangzhou/waimai.xml"' in html and 'href="/feeds/hangzhou/waimai.json"' in html
    label, html, _ = panel.render({"province": "浙江", "job": "家政"}, {"last": "2099-01-01"}, today=today)
    assert "没有和你相关的新政策" in html and 'href="/feeds/zhejiang/jiazheng.xml"' in html
    items = panel.feeds.items(region="浙江", job="外卖")
    # nothing only for another province reaches a 浙江 worker
    from corpus.regions import PROVINCE_OF

    for item in items:
        provinces = {PROVINCE_OF.get(r, r) for r in item.regions}
        assert not item.regions or "全国" in provinces or "浙江" in provinces, item.headline


def test_news_card_escapes():
    from bot.feeds import FeedItem
    from bot.render import news_html

    item = FeedItem(id="x", kind="added", label="新收录", date=date(2026, 11, 1), updated=date(2026, 11, 1), effective=None,
                    headline="新收录：<i>x</i>", summary='骑手<img src=x onerror="1">受伤可以申请。', summary_kind="要点（非原文）",
                    doc_id="d", title="《<b>办法</b>》", doc_no=None, status="试行", effective_from=None, authority="地方规范性文件",
                    issuer="某厅", link="javascript:alert(1)", change_source=None)
    html = news_html([item], since="2026-10-01", region="杭州", job="外卖", feed_urls={})
    assert "<img" not in html and "<b>" not in html and "javascript:" not in html
    assert "自上次来访（2026-10-01）以来有 1 条新变化" in html and "要点（非原文）" in html and "试行" in html
