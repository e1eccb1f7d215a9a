"""The records (bot/records.py) on both backends: the SQLite file and a real PostgreSQL
(``records_where`` runs each test once per backend; tests/postgres.py starts the cluster).

Two :class:`Records` objects on the same database stand for two ``laoquan serve`` processes."""
from __future__ import annotations

import threading
from datetime import date

import pytest

from bot.records import CitedDoc, LoginAttempt, RecordError, Records
from common.settings import load_settings


def both(where) -> tuple[Records, Records]:
    return Records(where), Records(where)


def test_feedback_and_refusals_fill_the_queue_redacted(records_where):
    records = Records(records_where)
    records.add_feedback(useful=True, question="工伤怎么认定", region="杭州", outcome="answered", reason="", conclusion="可以认定",
                         doc_ids=["gongshang-baoxian-tiaoli"])
    records.add_feedback(useful=False, question="我叫张三，手机13812345678，工资被扣了", region="杭州", outcome="partial",
                         reason="low_confidence", conclusion="可能适用：", doc_ids=[])
    records.add_refused(question="外卖箱被偷了谁赔？", region="广州", reason="not_found")
    assert records.feedback_counts() == {"有用": 1, "没用": 1}
    rows = records.feedback_rows()
    assert [(r["useful"], r["outcome"], r["region"]) for r in rows] == [(1, "answered", "杭州"), (0, "partial", "杭州")]
    refused, not_useful = records.queue()  # newest first
    assert (refused.kind, refused.region, refused.reason) == ("refused", "广州", "not_found")
    assert not_useful.kind == "not_useful" and "13812345678" not in not_useful.question and "工资被扣了" in not_useful.question
    with pytest.raises(RecordError):
        records.add_refused(question="  ", region=None, reason="x")


def test_the_anonymous_counts_keep_the_week_and_the_province(records_where):
    records = Records(records_where)
    records.add_asked(region="杭州", job="外卖", topic="injury-commute", outcome="answered", reason="", day=date(2026, 11, 24))
    records.add_asked(region=None, job=None, topic=None, outcome="refused", reason="not_found", day=date(2026, 11, 29))  # a Sunday: still W48
    first, second = records.asked()
    assert (first.day, first.week, first.region, first.job, first.topic) == ("2026-11-24", "2026-W48", "浙江", "外卖", "injury-commute")
    assert (second.week, second.region, second.outcome, second.reason) == ("2026-W48", "", "refused", "not_found")


def test_a_vetted_answer_is_replaced_not_duplicated(records_where):
    records = Records(records_where)
    pinned = CitedDoc(doc_id="gongshang-baoxian-tiaoli", status="现行有效", sha256="ab" * 32)
    first = records.save_vetted(question="送外卖被撞了算工伤吗？", region="杭州", region_key="浙江", answer={"conclusion": "旧"},
                                cited=[pinned], by="站长")
    again = records.save_vetted(question="送外卖 被撞了 算工伤吗", region="杭州", region_key="浙江", answer={"conclusion": "新"},
                                cited=[pinned], by="副站长", comment="补充了时限")
    assert again == first
    vetted = records.vetted_for("送外卖被撞了，算工伤吗", "浙江")
    assert vetted.answer == {"conclusion": "新"} and vetted.vetted_by == "副站长" and vetted.cited == (pinned,)
    assert records.vetted_for("送外卖被撞了，算工伤吗", "广东") is None
    assert [v.id for v in records.vetted_answers()] == [first]


def test_a_report_is_numbered_handled_and_closed_once(records_where):
    records = Records(records_where)
    report = records.add_report(what="站点扣了我的押金，电话13812345678", city="杭州", contact="13900001111")
    assert report.status == "已收到" and "13812345678" not in report.what and report.contact == "13900001111"
    assert records.report(report.number.lower().replace("-", " ")) == report
    forwarded = records.update_report(report.number, by="站长", forwarded_to="工会")
    assert forwarded.status == "已转交" and forwarded.first_response_at and forwarded.closed_at is None
    closed = records.update_report(report.number, by="站长", outcome="退了", done=True)
    assert closed.status == "已办结" and closed.closed_at and closed.first_response_at == forwarded.first_response_at
    with pytest.raises(RecordError):
        records.update_report(report.number, by="站长", forwarded_to="居委会")
    with pytest.raises(RecordError):
        records.update_report("LQ-2222-2222", by="站长", done=True)
    assert [r.number for r in records.reports()] == [report.number]


def test_login_attempts_are_kept_and_read_since_a_time(records_where):
    records = Records(records_where)
    records.add_login_attempt(account="站长", client="10.0.0.7", ok=False)
    records.add_login_attempt(account="站长", client="10.0.0.7", ok=True)
    attempts = records.login_attempts(since="2000-01-01T00:00:00+00:00")
    assert [(a.account, a.client, a.ok) for a in attempts] == [("站长", "10.0.0.7", False), ("站长", "10.0.0.7", True)]
    assert all(isinstance(a, LoginAttempt) and a.at for a in attempts)
    assert records.login_attempts(since="2999-01-01T00:00:00+00:00") == []


def test_two_servers_handling_the_same_queue_item_one_wins(records_where):
    one, two = both(records_where)
    one.add_refused(question="平台封号怎么办", region="广州", reason="low_confidence")
    [item] = two.queue()
    assert one.handle_queue_item(item.id, by="甲", note="补了问法")
    assert not two.handle_queue_item(item.id, by="乙", note="我也看了")  # already handled: the first keeps it
    [handled] = two.queue(include_handled=True)
    assert (handled.handled_by, handled.note) == ("甲", "补了问法")
    assert not one.handle_queue_item(9999, by="甲")


def test_many_servers_racing_for_one_queue_item_exactly_one_wins(records_where):
    servers = [Records(records_where) for _ in range(4)]
    servers[0].add_refused(question="押金不退怎么办", region=None, reason="not_found")
    [item] = servers[0].queue()
    start, wins = threading.Barrier(len(servers)), []

    def handle(records: Records, name: str) -> None:
        start.wait()
        if records.handle_queue_item(item.id, by=name):
            wins.append(name)

    threads = [threading.Thread(target=handle, args=(r, f"staff{i}")) for i, r in enumerate(servers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(wins) == 1
    assert servers[1].queue(include_handled=True)[0].handled_by == wins[0]


def test_concurrent_report_updates_lose_nothing(records_where):
    """One staffer hands the report on while another closes it, on two servers at once: whatever the
    order, the hand-over and the closing time both survive."""
    one, two = both(records_where)
    numbers = [one.add_report(what=f"欠薪第{i}件", city="杭州").number for i in range(6)]
    for number in numbers:
        start = threading.Barrier(2)

        def forward(n=number):
            start.wait()
            one.update_report(n, by="甲", forwarded_to="工会")

        def close(n=number):
            start.wait()
            two.update_report(n, by="乙", outcome="已协商", done=True)

        threads = [threading.Thread(target=forward), threading.Thread(target=close)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        final = one.report(number)
        assert final.forwarded_to == "工会" and final.closed_at and final.outcome == "已协商" and final.first_response_at


def test_report_numbers_stay_unique_across_servers(records_where, monkeypatch):
    one, two = both(records_where)
    drawn = iter(["LQ-2345-6789", "LQ-2345-6789", "LQ-3456-789A"])
    monkeypatch.setattr("bot.records.new_report_number", lambda: next(drawn))
    first = one.add_report(what="被扣钱")
    second = two.add_report(what="押金不退")  # draws the taken number first, then another
    assert (first.number, second.number) == ("LQ-2345-6789", "LQ-3456-789A")
    assert two.report(first.number).what == "被扣钱"


def test_the_settings_choose_the_backend(records_where, tmp_path):
    if isinstance(records_where, str):
        settings = load_settings(data_dir=tmp_path / "data", records_url=records_where)
        records = Records.for_settings(settings)
        assert records.path is None and not settings.paths.records_path.exists()
    else:
        settings = load_settings(data_dir=tmp_path / "data")
        records = Records.for_settings(settings)
        assert records.path == settings.paths.records_path and records.path.exists()
    records.add_report(what="平台拖欠工资")
    assert len(Records.for_settings(settings).reports()) == 1


def test_the_records_url_setting_has_its_flat_name(monkeypatch):
    monkeypatch.setenv("LAOQUAN_RECORDS_URL", "postgresql+psycopg://laoquan@db.internal/laoquan")
    assert load_settings().paths.records_url == "postgresql+psycopg://laoquan@db.internal/laoquan"


def test_the_postgresql_tests_must_run_in_ci(monkeypatch):
    from tests.postgres import required

    for name in ("CI", "LAOQUAN_REQUIRE_POSTGRES"):
        monkeypatch.delenv(name, raising=False)
    assert not required()  # a developer without PostgreSQL: the tests skip, saying why
    monkeypatch.setenv("CI", "true")
    assert required()
    monkeypatch.delenv("CI")
    monkeypatch.setenv("LAOQUAN_REQUIRE_POSTGRES", "1")  # ./run test
    assert required()
