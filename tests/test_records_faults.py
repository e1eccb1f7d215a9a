"""Faults of the records store (issue 20, items 8 and 9): a full disk and a garbled records file.

- Reads never open the database for writing: with every read-write open refused (what a full disk
  does to SQLite once it has to create its ``-wal`` / ``-shm`` files), the records still open and
  every look-up works — the worker page's vetted-answer look-up above all.
- A write that finds no space raises :class:`RecordsFull`, whose message the page shows:
  「存储空间不足，答案照常，反馈暂时无法保存」, while answers go on.
- A garbled ``records.sqlite3`` header is :class:`RecordsCorrupt`: one line that names the file
  and says what to do, in ``serve`` start-up, ``records upgrade`` and on the page; never a traceback.
"""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event

from bot.asking import Asker
from bot.records import FULL_MESSAGE, Records, RecordsCorrupt, RecordsFull, RecordsUnavailable, document_fingerprint
from common.settings import load_settings
from laoquan.cli import main
from tests.conftest import RIDER

PROFILE = {"chosen": True, "province": "浙江", "city": "杭州", "job": "外卖"}


def seeded(path, catalog=None) -> tuple[Records, str]:
    records = Records(path)
    number = records.add_report(what="押金不退", city="杭州").number
    records.add_refused(question="平台封号怎么办", region="杭州", reason="not_found")
    if catalog is not None:
        pinned = document_fingerprint(catalog, "gongshang-baoxian-tiaoli")
        records.save_vetted(question=RIDER, region="杭州", region_key="浙江", answer={"question": RIDER, "conclusion": "站点审核过的结论"},
                            cited=[pinned], by="站长")
    records.close()
    return records, number


def refuse_writable_opens(monkeypatch) -> None:
    """From now on SQLite cannot open a file for writing (a full disk); read-only opens still work."""
    real = sqlite3.connect

    def connect(database, *args, **kwargs):
        if kwargs.get("uri") and "mode=ro" in str(database):
            return real(database, *args, **kwargs)
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(sqlite3, "connect", connect)


def garble_header(path) -> None:
    with open(path, "r+b") as f:
        f.write(b"\x00garbled-header!" * 4)


# -- a full disk ----------------------------------------------------------------------------------


def test_a_full_disk_keeps_every_look_up_working(tmp_path, fake_bot, monkeypatch):
    path = tmp_path / "records.sqlite3"
    _, number = seeded(path, fake_bot.catalog)
    refuse_writable_opens(monkeypatch)
    records = Records(path)  # up to date: opened without a write
    assert records.report(number).what == "押金不退" and len(records.reports()) == 1
    assert [q.question for q in records.queue()] == ["平台封号怎么办"]
    assert records.feedback_counts() == {"有用": 0, "没用": 0} and records.asked() == [] and records.login_attempts(since="") == []
    vetted = Asker(fake_bot, records, load_settings()).vetted(RIDER, "杭州", None)  # the worker page's look-up
    assert vetted["answer"]["conclusion"] == "站点审核过的结论" and vetted["by"] == "站长"
    with pytest.raises(RecordsFull) as raised:
        records.add_feedback(useful=False, question="没用", region="杭州", outcome="answered", reason="", conclusion="", doc_ids=[])
    assert raised.value.message == FULL_MESSAGE == "存储空间不足，答案照常，反馈暂时无法保存"
    with pytest.raises(RecordsFull):
        records.add_report(what="又一件")


def test_a_database_that_fills_up_says_so_and_still_reads(tmp_path):
    """A real SQLITE_FULL: the file may not grow past its size (``max_page_count``), so inserts fail
    the way they do on a full disk."""
    records = Records(tmp_path / "records.sqlite3")
    number = records.add_report(what="押金不退").number
    pages = sqlite3.connect(records.path).execute("PRAGMA page_count").fetchone()[0]
    event.listen(records.db.writer, "connect", lambda conn, _: conn.execute(f"PRAGMA max_page_count={pages + 1}"))
    records.db.writer.dispose()  # new connections get the limit
    with pytest.raises(RecordsFull) as raised:
        for i in range(200):
            records.add_report(what="很长的诉求" * 390)
    assert raised.value.message == FULL_MESSAGE
    assert isinstance(raised.value.__cause__.orig, sqlite3.OperationalError)  # SQLite's own error, typed
    assert records.report(number).what == "押金不退" and len(records.reports()) >= 1


def test_postgresql_reads_run_read_only(postgres_cluster):
    from sqlalchemy import text

    records = Records(postgres_cluster.new_database())
    with pytest.raises(Exception, match="read-only"):
        with records.db.read() as db:
            db.execute(text("INSERT INTO asked (day, week, outcome) VALUES ('2026-12-01', '2026-W49', 'answered')"))
    assert records.asked() == []


# -- a garbled records file -------------------------------------------------------------------------


def test_a_garbled_records_file_is_one_clear_error(tmp_path):
    path = tmp_path / "records.sqlite3"
    seeded(path)
    garble_header(path)
    with pytest.raises(RecordsCorrupt) as raised:
        Records(path)
    assert str(path) in raised.value.message and "备份" in raised.value.message and "重新启动" in raised.value.message


@pytest.mark.parametrize("command", [["serve"], ["records", "upgrade"]])
def test_the_cli_says_a_garbled_records_file_in_one_line(tmp_path, capsys, command):
    data = tmp_path / "data"
    data.mkdir()
    seeded(data / "records.sqlite3")
    garble_header(data / "records.sqlite3")
    assert main(["--data-dir", str(data), *command]) == 2
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert err.startswith("laoquan: 记录文件") and "records.sqlite3" in err and "备份" in err


def test_unreadable_records_do_not_stop_an_answer(tmp_path, fake_bot):
    records, _ = seeded(tmp_path / "records.sqlite3", fake_bot.catalog)
    records = Records(tmp_path / "records.sqlite3")
    records.close()  # every connection gone: the next read opens the file afresh
    garble_header(tmp_path / "records.sqlite3")
    asker = Asker(fake_bot, records, load_settings())
    assert asker.vetted(RIDER, "杭州", None) is None  # no vetted answer: the bot answers as usual
    with pytest.raises(RecordsCorrupt):
        records.report("LQ-2345-6789")


# -- the page ------------------------------------------------------------------------------------


@pytest.fixture
def page(fake_bot, tmp_path):
    from tests.webserver import start

    server = start(fake_bot, load_settings(), tmp_path / "data")
    yield server
    server.stop()


def worker(page):
    from gradio_client import Client

    return Client(page.url, verbose=False, analytics_enabled=False)


def test_the_page_answers_and_says_storage_is_full(page, monkeypatch):
    number = page.records.add_report(what="押金不退", city="杭州").number
    refuse_writable_opens(monkeypatch)
    page.records.db.writer.dispose()  # the open write connections go: new ones cannot be made
    client = worker(page)
    transcript, notice, _ = client.predict(RIDER, PROFILE, api_name="/ask")
    assert notice == "" and 'class="conclusion"' in transcript  # answers go on
    notice, what = client.predict("平台扣了我三天的跑单费", "美团", "杭州", "", api_name="/report")
    assert FULL_MESSAGE in notice and what == "平台扣了我三天的跑单费"  # kept in the box to send later
    assert "已收到" in client.predict(number, api_name="/lookup_report")


def test_the_page_says_a_garbled_records_file_plainly(page):
    number = page.records.add_report(what="押金不退", city="杭州").number
    page.records.db.close()
    garble_header(page.records.path)
    client = worker(page)
    said = client.predict(number, api_name="/lookup_report")
    assert "已损坏" in said and "备份" in said and "Traceback" not in said
    transcript, notice, _ = client.predict(RIDER, PROFILE, api_name="/ask")
    assert notice == "" and 'class="conclusion"' in transcript


def test_an_unreachable_postgresql_is_one_clear_line():
    from tests.webserver import free_port

    url = f"postgresql+psycopg://laoquan:geheim@127.0.0.1:{free_port()}/laoquan"  # nothing listens there
    with pytest.raises(RecordsUnavailable) as raised:
        Records(url)
    assert "连不上记录数据库" in raised.value.message and "LAOQUAN_RECORDS_URL" in raised.value.message
    assert "geheim" not in raised.value.message
