"""What the web page keeps: feedback, the staff queue, vetted answers and problem reports (SQLite).

One file under the data folder (``settings.paths.records_path``), in WAL mode so the worker page can write
while staff read. The writes that must survive a power cut — a worker's problem report, its handling,
a vetted answer — are committed with ``synchronous=FULL``; feedback and queue entries with NORMAL.

Nothing here identifies a worker: no session, no address, no account. Free text a worker typed is
passed through :func:`bot.redact.redact` before it is stored — except the contact field of a report,
which the worker fills in on purpose so that staff can reach them (it is shown on the staff page only).
The dashboard's counts (:mod:`bot.dashboard`) come from the ``asked`` table: one row per answer with
the day, ISO week, province, job, topic (a guide or document id), outcome and reason — never the
question, never a session, no time finer than the day. Reports carry ``first_response_at`` (the first
staff action) and ``closed_at`` for the 「10分钟响应、24小时跟踪」 figures.

The schema is created when the file is opened (columns added since are added to an older file).
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from bot.redact import redact

FORWARD_TARGETS = ("12333", "工会", "调解中心", "法律援助")
"""Where staff hand a worker's report on to."""
REPORT_STATES = ("已收到", "已转交", "已办结")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    useful INTEGER NOT NULL,
    question TEXT NOT NULL,
    region TEXT,
    outcome TEXT,
    reason TEXT,
    conclusion TEXT,
    doc_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    region TEXT,
    reason TEXT,
    conclusion TEXT,
    handled_at TEXT,
    handled_by TEXT,
    note TEXT
);
CREATE TABLE IF NOT EXISTS vetted (
    id INTEGER PRIMARY KEY,
    question_key TEXT NOT NULL,
    region_key TEXT NOT NULL,
    question TEXT NOT NULL,
    region TEXT,
    answer TEXT NOT NULL,
    cited TEXT NOT NULL,
    comment TEXT,
    vetted_by TEXT NOT NULL,
    vetted_at TEXT NOT NULL,
    UNIQUE (question_key, region_key)
);
CREATE TABLE IF NOT EXISTS reports (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    what TEXT NOT NULL,
    platform TEXT,
    city TEXT,
    contact TEXT,
    status TEXT NOT NULL,
    forwarded_to TEXT,
    outcome TEXT,
    updated_at TEXT,
    updated_by TEXT
);
CREATE TABLE IF NOT EXISTS asked (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    week TEXT NOT NULL,
    region TEXT NOT NULL DEFAULT '',
    job TEXT NOT NULL DEFAULT '',
    topic TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS asked_week ON asked (week);
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    client TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_at ON login_attempts (at);
"""
_REPORT_COLUMNS = {"first_response_at": "TEXT", "closed_at": "TEXT"}
"""Added to ``reports`` after the first release: a records file from before gets them on open."""

QUEUE_REFUSED, QUEUE_NOT_USEFUL = "refused", "not_useful"


class RecordError(ValueError):
    """Input the records cannot take; ``message`` is friendly Chinese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class QueueItem:
    id: int
    created_at: str
    kind: str
    """``refused`` (the bot could not answer) or ``not_useful`` (a worker tapped 没用)."""
    question: str
    region: str | None
    reason: str | None
    conclusion: str | None
    handled_at: str | None = None
    handled_by: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class CitedDoc:
    """A document an answer cites, as it was when the answer was vetted."""

    doc_id: str
    status: str
    sha256: str


@dataclass(frozen=True)
class VettedAnswer:
    id: int
    question: str
    region: str | None
    answer: dict
    """The Answer's ``to_json()`` as the staffer approved it."""
    cited: tuple[CitedDoc, ...]
    comment: str | None
    vetted_by: str
    vetted_at: str


@dataclass(frozen=True)
class Report:
    id: int
    number: str
    created_at: str
    what: str
    platform: str | None
    city: str | None
    contact: str | None
    status: str
    forwarded_to: str | None
    outcome: str | None
    updated_at: str | None
    updated_by: str | None
    first_response_at: str | None = None
    """When a staffer first acted on it (the 「10分钟响应」 clock stops here)."""
    closed_at: str | None = None
    """When it was marked 已办结 (the 「24小时跟踪」 promise)."""


@dataclass(frozen=True)
class Asked:
    """One answered (or refused) question, anonymously: no text, no time finer than the day, no
    session — what the station dashboard counts (:mod:`bot.dashboard`)."""

    day: str
    week: str
    """ISO week, 「2026-W48」."""
    region: str
    """The province the worker chose ("" = none)."""
    job: str
    topic: str
    """The 办事指南 followed, else the top cited document's id ("" when nothing was cited)."""
    outcome: str
    reason: str


@dataclass(frozen=True)
class LoginAttempt:
    """One try at the staff login (:mod:`bot.login_guard` throttles on these)."""

    at: str
    """ISO timestamp (UTC)."""
    account: str
    client: str
    """The client's address as the server saw it."""
    ok: bool


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def question_key(question: str) -> str:
    """The same question, however it is typed: width-folded, lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", question or "").lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read over the phone


def new_report_number() -> str:
    """An unguessable number a worker can read out: ``LQ-XXXX-XXXX`` (31^8 ≈ 8.5e11 values)."""
    body = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"LQ-{body[:4]}-{body[4:]}"


def normalise_report_number(text: str) -> str:
    """「lq 7k3m 9qx2」 → 「LQ-7K3M-9QX2」 (what a worker types back)."""
    chars = re.sub(r"[^0-9A-Za-z]", "", unicodedata.normalize("NFKC", text or "")).upper()
    if chars.startswith("LQ"):
        chars = chars[2:]
    return f"LQ-{chars[:4]}-{chars[4:]}" if len(chars) == 8 else ""


class Records:
    """The records file: open once per process; every call uses its own short connection."""

    MAX_TEXT = 2000

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect(durable=True) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            have = {row[1] for row in db.execute("PRAGMA table_info(reports)")}
            for column, kind in _REPORT_COLUMNS.items():
                if column not in have:
                    db.execute(f"ALTER TABLE reports ADD COLUMN {column} {kind}")

    @contextmanager
    def _connect(self, *, durable: bool = False):
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            db.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
            with db:  # one transaction: committed on success, rolled back on error
                yield db
        finally:
            db.close()

    def _text(self, value: str | None, *, field: str, required: bool = False) -> str | None:
        value = (value or "").strip()
        if required and not value:
            raise RecordError(f"请填写{field}。")
        if len(value) > self.MAX_TEXT:
            raise RecordError(f"{field}太长了（最多 {self.MAX_TEXT} 个字），请精简后再提交。")
        return redact(value) if value else None

    # -- feedback and the queue -------------------------------------------------------------

    def add_feedback(self, *, useful: bool, question: str, region: str | None, outcome: str, reason: str,
                     conclusion: str, doc_ids: list[str]) -> int:
        """A worker's 有用 / 没用 on one answer; 没用 also puts the question in the staff queue."""
        q = self._text(question, field="问题", required=True)
        with self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, useful, question, region, outcome, reason, conclusion, doc_ids)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (_now(), int(useful), q, region, outcome, reason, redact(conclusion or ""), json.dumps(doc_ids)),
            )
            if not useful:
                db.execute("INSERT INTO queue (created_at, kind, question, region, reason, conclusion) VALUES (?, ?, ?, ?, ?, ?)",
                           (_now(), QUEUE_NOT_USEFUL, q, region, reason or outcome, redact(conclusion or "")))
            return cur.lastrowid

    def add_refused(self, *, question: str, region: str | None, reason: str) -> int:
        """A question the bot refused, for staff to look at (redacted; nothing about who asked)."""
        q = self._text(question, field="问题", required=True)
        with self._connect() as db:
            return db.execute("INSERT INTO queue (created_at, kind, question, region, reason) VALUES (?, ?, ?, ?, ?)",
                              (_now(), QUEUE_REFUSED, q, region, reason)).lastrowid

    def add_asked(self, *, region: str | None, job: str | None, topic: str | None, outcome: str, reason: str | None,
                  day: date | None = None) -> None:
        """Count one answer for the dashboard: the ISO week and day, the province, the job, the topic
        (a guide or document id), the outcome and its reason — never the question or who asked."""
        from corpus.regions import province_of

        day = day or date.today()
        with self._connect() as db:
            db.execute("INSERT INTO asked (day, week, region, job, topic, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (day.isoformat(), iso_week(day), province_of(region) or "", (job or "")[:20], (topic or "")[:120],
                        outcome or "", reason or ""))

    def asked(self) -> list[Asked]:
        with self._connect() as db:
            rows = db.execute("SELECT day, week, region, job, topic, outcome, reason FROM asked ORDER BY id").fetchall()
        return [Asked(**dict(r)) for r in rows]

    def feedback_rows(self) -> list[dict]:
        """Feedback without its text: day, 有用 or not, outcome, region (for the dashboard's rates)."""
        with self._connect() as db:
            rows = db.execute("SELECT created_at, useful, outcome, region FROM feedback ORDER BY id").fetchall()
        return [dict(r) for r in rows]

    def feedback_counts(self) -> dict[str, int]:
        with self._connect() as db:
            rows = db.execute("SELECT useful, COUNT(*) FROM feedback GROUP BY useful").fetchall()
        counts = {"有用": 0, "没用": 0}
        for useful, n in rows:
            counts["有用" if useful else "没用"] = n
        return counts

    def queue(self, *, include_handled: bool = False) -> list[QueueItem]:
        """Newest first."""
        where = "" if include_handled else "WHERE handled_at IS NULL"
        with self._connect() as db:
            rows = db.execute(f"SELECT * FROM queue {where} ORDER BY id DESC").fetchall()
        return [QueueItem(**dict(r)) for r in rows]

    def handle_queue_item(self, item_id: int, *, by: str, note: str = "") -> bool:
        with self._connect(durable=True) as db:
            cur = db.execute("UPDATE queue SET handled_at = ?, handled_by = ?, note = ? WHERE id = ?",
                             (_now(), by, (note or "").strip()[: self.MAX_TEXT] or None, int(item_id)))
            return cur.rowcount == 1

    # -- vetted answers ---------------------------------------------------------------------

    def save_vetted(self, *, question: str, region: str | None, region_key: str, answer: dict,
                    cited: list[CitedDoc], by: str, comment: str = "") -> int:
        """Approve ``answer`` for ``question`` in ``region_key`` (a province, or "" for national);
        replaces an earlier approval of the same question there."""
        key = question_key(question)
        if not key:
            raise RecordError("问题是空的，不能保存。")
        with self._connect(durable=True) as db:
            db.execute(
                "INSERT INTO vetted (question_key, region_key, question, region, answer, cited, comment, vetted_by, vetted_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (question_key, region_key) DO UPDATE SET question = excluded.question, region = excluded.region,"
                " answer = excluded.answer, cited = excluded.cited, comment = excluded.comment,"
                " vetted_by = excluded.vetted_by, vetted_at = excluded.vetted_at",
                (key, region_key, question.strip(), region, json.dumps(answer, ensure_ascii=False),
                 json.dumps([c.__dict__ for c in cited], ensure_ascii=False), (comment or "").strip() or None, by, _now()),
            )
            return db.execute("SELECT id FROM vetted WHERE question_key = ? AND region_key = ?", (key, region_key)).fetchone()[0]

    def vetted_for(self, question: str, region_key: str) -> VettedAnswer | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM vetted WHERE question_key = ? AND region_key = ?",
                             (question_key(question), region_key)).fetchone()
        return _vetted(row) if row else None

    def vetted_answers(self) -> list[VettedAnswer]:
        with self._connect() as db:
            return [_vetted(r) for r in db.execute("SELECT * FROM vetted ORDER BY id DESC").fetchall()]

    # -- problem reports (诉求反映) ---------------------------------------------------------

    def add_report(self, *, what: str, platform: str = "", city: str = "", contact: str = "") -> Report:
        """A worker's problem report; returns it with the number they look it up by."""
        text = self._text(what, field="发生了什么", required=True)
        platform_ = self._text(platform, field="平台")
        city_ = self._text(city, field="城市")
        contact_ = (contact or "").strip()[:200] or None  # given on purpose: stored as typed, shown to staff only
        for _ in range(5):
            number = new_report_number()
            try:
                with self._connect(durable=True) as db:
                    db.execute("INSERT INTO reports (number, created_at, what, platform, city, contact, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (number, _now(), text, platform_, city_, contact_, REPORT_STATES[0]))
                return self.report(number)
            except sqlite3.IntegrityError:  # the same number twice: draw again
                continue
        raise RuntimeError("could not draw a unique report number")

    def report(self, number: str) -> Report | None:
        number = normalise_report_number(number)
        if not number:
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM reports WHERE number = ?", (number,)).fetchone()
        return Report(**dict(row)) if row else None

    def reports(self) -> list[Report]:
        """Newest first."""
        with self._connect() as db:
            return [Report(**dict(r)) for r in db.execute("SELECT * FROM reports ORDER BY id DESC").fetchall()]

    def update_report(self, number: str, *, by: str, forwarded_to: str | None = None, outcome: str | None = None,
                      done: bool = False) -> Report:
        """Staff: mark a report 已转交 (to one of :data:`FORWARD_TARGETS`), record its outcome, close it."""
        report = self.report(number)
        if report is None:
            raise RecordError("找不到这个编号的诉求。")
        if forwarded_to and forwarded_to not in FORWARD_TARGETS:
            raise RecordError(f"只能转交给：{'、'.join(FORWARD_TARGETS)}。")
        status = REPORT_STATES[2] if done else (REPORT_STATES[1] if (forwarded_to or report.forwarded_to) else report.status)
        now = _now()
        closed_at = report.closed_at or (now if status == REPORT_STATES[2] else None)
        with self._connect(durable=True) as db:
            db.execute("UPDATE reports SET status = ?, forwarded_to = ?, outcome = ?, updated_at = ?, updated_by = ?,"
                       " first_response_at = COALESCE(first_response_at, ?), closed_at = ? WHERE number = ?",
                       (status, forwarded_to or report.forwarded_to, (outcome or "").strip()[: self.MAX_TEXT] or report.outcome,
                        now, by, now, closed_at, report.number))
        return self.report(report.number)


    # -- staff logins ---------------------------------------------------------------------

    def add_login_attempt(self, *, account: str, client: str, ok: bool) -> None:
        """One try at the staff login, right or wrong (the account name as typed, at most 100 characters)."""
        with self._connect() as db:
            db.execute("INSERT INTO login_attempts (at, account, client, ok) VALUES (?, ?, ?, ?)",
                       (datetime.now(timezone.utc).isoformat(timespec="microseconds"), (account or "")[:100], (client or "")[:100], int(ok)))

    def login_attempts(self, *, since: str) -> list[LoginAttempt]:
        """The tries at the staff login at or after ``since`` (an ISO timestamp), oldest first."""
        since_utc = datetime.fromisoformat(since)
        since_utc = (since_utc if since_utc.tzinfo else since_utc.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
        with self._connect() as db:
            rows = db.execute("SELECT at, account, client, ok FROM login_attempts WHERE at >= ? ORDER BY id",
                              (since_utc.isoformat(timespec="microseconds"),)).fetchall()
        return [LoginAttempt(at=r["at"], account=r["account"], client=r["client"], ok=bool(r["ok"])) for r in rows]


def _vetted(row: sqlite3.Row) -> VettedAnswer:
    data = dict(row)
    return VettedAnswer(
        id=data["id"], question=data["question"], region=data["region"], answer=json.loads(data["answer"]),
        cited=tuple(CitedDoc(**c) for c in json.loads(data["cited"])), comment=data["comment"],
        vetted_by=data["vetted_by"], vetted_at=data["vetted_at"],
    )


# -- staleness of a vetted answer -------------------------------------------------------------


def document_fingerprint(catalog, doc_id: str, *, notes_dir: Path | None = None) -> CitedDoc | None:
    """What a vetted answer pins of a cited document: its catalog status and the sha256 of its text
    (the primary source file's recorded hash; for a 要点-only document, its notes file)."""
    entry = catalog.get(doc_id)
    if entry is None:
        return None
    if entry.primary_source is not None:
        digest = entry.primary_source.sha256
    else:
        note = Path(notes_dir) / f"{doc_id}.yaml" if notes_dir else None
        digest = hashlib.sha256(note.read_bytes()).hexdigest() if note and note.is_file() else ""
    return CitedDoc(doc_id=doc_id, status=entry.status, sha256=digest)


def stale_reasons(vetted: VettedAnswer, catalog, *, notes_dir: Path | None = None) -> list[str]:
    """Why a vetted answer no longer holds: a document it cites changed status or text, or is gone.
    Empty when it is still good."""
    reasons = []
    for then in vetted.cited:
        now = document_fingerprint(catalog, then.doc_id, notes_dir=notes_dir)
        if now is None:
            reasons.append(f"{then.doc_id}：已从目录中删除")
        elif now.status != then.status:
            reasons.append(f"{then.doc_id}：状态由「{then.status}」变为「{now.status}」")
        elif now.sha256 != then.sha256:
            reasons.append(f"{then.doc_id}：文本已变更")
    return reasons
