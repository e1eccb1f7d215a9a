"""Migrations (bot/migrations, Alembic): a records file made by the SQLite-only releases — with and
without the report columns added later — opens, upgrades in place and keeps every row; an
up-to-date database opens without a write; ``laoquan records upgrade`` says what it did; servers
that start together on one PostgreSQL migrate it once."""
from __future__ import annotations

import hashlib
import sqlite3
import threading

import pytest

from bot.records import Records
from bot.records_db import head_revision
from laoquan.cli import main

OLD_SCHEMA = """
CREATE TABLE feedback (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, useful INTEGER NOT NULL, question TEXT NOT NULL,
    region TEXT, outcome TEXT, reason TEXT, conclusion TEXT, doc_ids TEXT NOT NULL DEFAULT '[]');
CREATE TABLE queue (id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, kind TEXT NOT NULL, question TEXT NOT NULL, region TEXT,
    reason TEXT, conclusion TEXT, handled_at TEXT, handled_by TEXT, note TEXT);
CREATE TABLE vetted (id INTEGER PRIMARY KEY, question_key TEXT NOT NULL, region_key TEXT NOT NULL, question TEXT NOT NULL,
    region TEXT, answer TEXT NOT NULL, cited TEXT NOT NULL, comment TEXT, vetted_by TEXT NOT NULL, vetted_at TEXT NOT NULL,
    UNIQUE (question_key, region_key));
CREATE TABLE reports (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, what TEXT NOT NULL,
    platform TEXT, city TEXT, contact TEXT, status TEXT NOT NULL, forwarded_to TEXT, outcome TEXT, updated_at TEXT, updated_by TEXT);
CREATE TABLE asked (id INTEGER PRIMARY KEY, day TEXT NOT NULL, week TEXT NOT NULL, region TEXT NOT NULL DEFAULT '',
    job TEXT NOT NULL DEFAULT '', topic TEXT NOT NULL DEFAULT '', outcome TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '');
CREATE INDEX asked_week ON asked (week);
"""
"""The schema the SQLite-only ``bot/records.py`` created (its ``_SCHEMA``); the release after it added
``reports.first_response_at`` and ``closed_at`` with ALTER TABLE."""

ROWS = """
INSERT INTO feedback (created_at, useful, question, region, outcome, reason, conclusion, doc_ids)
    VALUES ('2026-11-02T10:00:00+08:00', 0, '工资被扣了〔手机号〕', '杭州', 'partial', 'low_confidence', '可能适用：', '["laodong-hetong-fa"]');
INSERT INTO queue (created_at, kind, question, region, reason) VALUES ('2026-11-02T10:00:00+08:00', 'not_useful', '工资被扣了', '杭州', 'low_confidence');
INSERT INTO queue (created_at, kind, question, region, reason, handled_at, handled_by, note)
    VALUES ('2026-11-03T09:00:00+08:00', 'refused', '外卖箱被偷了', '广州', 'not_found', '2026-11-03T10:00:00+08:00', '站长', '补了问法');
INSERT INTO vetted (question_key, region_key, question, region, answer, cited, comment, vetted_by, vetted_at)
    VALUES ('送外卖被撞了算工伤吗', '浙江', '送外卖被撞了算工伤吗？', '杭州', '{"conclusion": "可以"}',
            '[{"doc_id": "gongshang-baoxian-tiaoli", "status": "现行有效", "sha256": "ab"}]', NULL, '站长', '2026-11-04T09:00:00+08:00');
INSERT INTO reports (number, created_at, what, city, contact, status, forwarded_to, updated_at, updated_by)
    VALUES ('LQ-2345-6789', '2026-11-01T09:00:00+08:00', '押金不退', '杭州', '13900001111', '已转交', '工会', '2026-11-01T09:05:00+08:00', '站长');
INSERT INTO asked (day, week, region, job, topic, outcome, reason) VALUES ('2026-11-02', '2026-W45', '浙江', '外卖', 'injury-commute', 'answered', '');
"""


def old_file(path, *, later_columns: bool):
    """A records file as today's code left it (before migrations), with one row or two in each table."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(OLD_SCHEMA)
        if later_columns:
            db.execute("ALTER TABLE reports ADD COLUMN first_response_at TEXT")
            db.execute("ALTER TABLE reports ADD COLUMN closed_at TEXT")
        db.executescript(ROWS)
        if later_columns:
            db.execute("UPDATE reports SET first_response_at = '2026-11-01T09:05:00+08:00'")
    return path


@pytest.mark.parametrize("later_columns", [False, True], ids=["first-release", "with-report-times"])
def test_an_old_records_file_upgrades_without_losing_rows(tmp_path, later_columns):
    path = old_file(tmp_path / "records.sqlite3", later_columns=later_columns)
    records = Records(path)
    assert records.db.revision() == head_revision()
    assert records.feedback_counts() == {"有用": 0, "没用": 1}
    assert [(q.kind, q.handled_by) for q in records.queue(include_handled=True)] == [("refused", "站长"), ("not_useful", None)]
    vetted = records.vetted_for("送外卖被撞了，算工伤吗", "浙江")
    assert vetted.answer == {"conclusion": "可以"} and vetted.cited[0].doc_id == "gongshang-baoxian-tiaoli"
    report = records.report("LQ-2345-6789")
    assert (report.what, report.contact, report.forwarded_to) == ("押金不退", "13900001111", "工会")
    assert report.first_response_at == ("2026-11-01T09:05:00+08:00" if later_columns else None)
    assert [(a.week, a.topic) for a in records.asked()] == [("2026-W45", "injury-commute")]
    # and it goes on working: new rows next to the old ones, the new table there
    assert records.update_report("LQ-2345-6789", by="站长", done=True).closed_at
    records.add_report(what="新的诉求")
    records.add_login_attempt(account="站长", client="127.0.0.1", ok=True)
    assert len(records.reports()) == 2 and len(records.login_attempts(since="")) == 1
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_file_with_only_some_old_tables_gets_the_rest(tmp_path):
    path = tmp_path / "records.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE reports (id INTEGER PRIMARY KEY, number TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, what TEXT NOT NULL,"
                   " platform TEXT, city TEXT, contact TEXT, status TEXT NOT NULL, forwarded_to TEXT, outcome TEXT, updated_at TEXT, updated_by TEXT)")
        db.execute("INSERT INTO reports (number, created_at, what, status) VALUES ('LQ-2345-6789', '2026-11-01T09:00:00+08:00', '旧的', '已收到')")
    records = Records(path)
    assert records.report("LQ-2345-6789").what == "旧的"
    records.add_feedback(useful=True, question="问题", region=None, outcome="answered", reason="", conclusion="", doc_ids=[])
    assert records.feedback_counts()["有用"] == 1


def test_an_up_to_date_file_is_opened_without_a_write(tmp_path):
    path = tmp_path / "records.sqlite3"
    Records(path).add_report(what="押金不退")
    with sqlite3.connect(path) as db:  # checkpoint, so that the file alone holds everything
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    again = Records(path)
    assert again.reports()[0].what == "押金不退"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    wal = tmp_path / "records.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0  # nothing was written to the log either


def test_cli_records_upgrade_says_what_it_did(tmp_path, capsys):
    old_file(tmp_path / "records.sqlite3", later_columns=False)
    assert main(["--data-dir", str(tmp_path), "records", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "已升级" in out and head_revision() in out and "records.sqlite3" in out
    assert main(["--data-dir", str(tmp_path), "records", "upgrade"]) == 0
    assert "已是最新" in capsys.readouterr().out
    with sqlite3.connect(tmp_path / "records.sqlite3") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
        assert {"first_response_at", "closed_at"} <= {row[1] for row in db.execute("PRAGMA table_info(reports)")}


def test_cli_records_upgrade_on_postgresql_hides_the_password(postgres_cluster, tmp_path, monkeypatch, capsys):
    url = postgres_cluster.new_database().replace("laoquan@", "laoquan:geheim@")  # trust auth: any password works
    monkeypatch.setenv("LAOQUAN_RECORDS_URL", url)
    assert main(["--data-dir", str(tmp_path), "records", "upgrade"]) == 0
    out = capsys.readouterr().out
    assert "已升级" in out and "geheim" not in out and "127.0.0.1" in out


def test_servers_starting_together_migrate_postgresql_once(postgres_cluster):
    url = postgres_cluster.new_database()
    start, opened, errors = threading.Barrier(3), [], []

    def open_records():
        start.wait()
        try:
            opened.append(Records(url))
        except Exception as exc:  # noqa: BLE001 — collected and shown by the assertion
            errors.append(repr(exc))

    threads = [threading.Thread(target=open_records) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and len(opened) == 3
    opened[0].add_report(what="押金不退")
    assert [r.what for r in opened[2].reports()] == ["押金不退"]
    assert opened[1].db.revision() == head_revision()


def test_a_database_newer_than_the_program_is_said_plainly(records_where):
    from sqlalchemy import text

    from bot.records import RecordsUnavailable

    records = Records(records_where)
    with records.db.write() as db:
        db.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    records.close()
    with pytest.raises(RecordsUnavailable) as raised:
        Records(records_where)
    assert "9999" in raised.value.message and "升级" in raised.value.message


def test_an_old_sqlite_file_is_copied_into_an_empty_database(tmp_path, records_where, capsys):
    data = tmp_path / "data"
    data.mkdir()
    old_file(data / "records.sqlite3", later_columns=False)
    Records(data / "records.sqlite3").add_login_attempt(account="站长", client="10.0.0.7", ok=False)
    target = str(records_where) if isinstance(records_where, str) else str(tmp_path / "target.sqlite3")
    assert main(["--data-dir", str(data), "records", "copy", "--to", target]) == 0
    assert "reports 1 行" in capsys.readouterr().out
    copied = Records(target)
    assert copied.report("LQ-2345-6789").forwarded_to == "工会"
    assert [q.handled_by for q in copied.queue(include_handled=True)] == ["站长", None]  # newest first
    assert copied.vetted_for("送外卖被撞了算工伤吗", "浙江").vetted_by == "站长"
    assert [(a.account, a.ok) for a in copied.login_attempts(since="")] == [("站长", False)]
    copied.add_refused(question="新问题", region=None, reason="not_found")  # new ids follow the copied ones
    assert [q.id for q in copied.queue(include_handled=True)] == [3, 2, 1]
    assert main(["--data-dir", str(data), "records", "copy", "--to", target]) == 2  # not into a database that has records
    assert "已经有记录" in capsys.readouterr().err
