"""What the web page keeps: feedback, the staff queue, vetted answers, problem reports, staff login
attempts and the anonymous answer counts.

By default one SQLite file under the data folder (``settings.paths.records_path``), in WAL mode so the
worker page can write while staff read; with ``LAOQUAN_RECORDS_URL=postgresql+psycopg://…`` a
PostgreSQL database that several ``laoquan serve`` processes share (:mod:`bot.records_db`). The
writes that must survive a power cut — a worker's problem report, its handling, a vetted answer —
are committed with ``synchronous=FULL`` on SQLite; feedback and queue entries with NORMAL. Reads
never open the database for writing; a full disk is :class:`RecordsFull`, a broken file
:class:`RecordsCorrupt` (both with a plain Chinese ``message``).

Nothing here identifies a worker: no session, no address, no account. Free text a worker typed is
passed through :func:`bot.redact.redact` before it is stored — except the contact field of a report,
which the worker fills in on purpose so that staff can reach them (it is shown on the staff page only).
The dashboard's counts (:mod:`bot.dashboard`) come from the ``asked`` table: one row per answer with
the day, ISO week, province, job, topic (a guide or document id), outcome and reason — never the
question, never a session, no time finer than the day. Reports carry ``first_response_at`` (the first
staff action) and ``closed_at`` for the 「10分钟响应、24小时跟踪」 figures.

The schema is made and changed by Alembic migrations (``bot/migrations``), run when the records are
opened and by ``laoquan records upgrade``; a file from before migrations upgrades in place.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot import records_schema as t
from bot.records_db import FULL_MESSAGE, RecordsCorrupt, RecordsFull, RecordsUnavailable  # noqa: F401  (the pages catch them from here)
from bot.records_db import Database, Target
from bot.redact import redact


FORWARD_TARGETS = ("12333", "工会", "调解中心", "法律援助")
"""Where staff hand a worker's report on to."""
REPORT_STATES = ("已收到", "已转交", "已办结")

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
class LoginAttempt:
    """One try at the staff login: when, which account name was typed, from which client address,
    and whether the password was right."""

    at: str
    account: str
    client: str
    ok: bool


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


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def question_key(question: str) -> str:
    """The same question, however it is typed: width-folded, lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", question or "").lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LN")


def _now() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


LOGIN_ATTEMPTS_KEPT = timedelta(days=2)
"""How long staff login tries are kept: the throttle looks back 15 minutes, the staff page one day."""


def _utc_seconds(moment: datetime) -> str:
    """A login attempt's time as stored and compared: UTC, to the second (a naive time is taken as UTC),
    so that text comparison is time comparison whatever the server's time zone."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


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
    """The records database: open once per process (it migrates a database that is behind); every
    call is its own short transaction. ``where`` is the SQLite file (a path, the default
    ``settings.paths.records_path``) or a SQLAlchemy URL (``postgresql+psycopg://user@host/laoquan``,
    :meth:`for_settings` takes it from ``LAOQUAN_RECORDS_URL``)."""

    MAX_TEXT = 2000

    def __init__(self, where: Path | str):
        self.target = Target.of(where)
        self.path = self.target.path
        """The SQLite file (None on PostgreSQL)."""
        self.db = Database(self.target)
        self.db.upgrade()

    @classmethod
    def for_settings(cls, settings) -> "Records":
        """``settings.paths.records_url`` when set, else the SQLite file under the data folder."""
        return cls(settings.paths.records_url or settings.paths.records_path)

    def close(self) -> None:
        self.db.close()

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
        with self.db.write() as db:
            new_id = db.execute(t.feedback.insert().values(
                created_at=_now(), useful=int(useful), question=q, region=region, outcome=outcome, reason=reason,
                conclusion=redact(conclusion or ""), doc_ids=json.dumps(doc_ids))).inserted_primary_key[0]
            if not useful:
                db.execute(t.queue.insert().values(created_at=_now(), kind=QUEUE_NOT_USEFUL, question=q, region=region,
                                                   reason=reason or outcome, conclusion=redact(conclusion or "")))
            return new_id

    def add_refused(self, *, question: str, region: str | None, reason: str) -> int:
        """A question the bot refused, for staff to look at (redacted; nothing about who asked)."""
        q = self._text(question, field="问题", required=True)
        with self.db.write() as db:
            return db.execute(t.queue.insert().values(created_at=_now(), kind=QUEUE_REFUSED, question=q, region=region,
                                                      reason=reason)).inserted_primary_key[0]

    def add_asked(self, *, region: str | None, job: str | None, topic: str | None, outcome: str, reason: str | None,
                  day: date | None = None) -> None:
        """Count one answer for the dashboard: the ISO week and day, the province, the job, the topic
        (a guide or document id), the outcome and its reason — never the question or who asked."""
        from corpus.regions import province_of

        day = day or date.today()
        with self.db.write() as db:
            db.execute(t.asked.insert().values(day=day.isoformat(), week=iso_week(day), region=province_of(region) or "",
                                               job=(job or "")[:20], topic=(topic or "")[:120], outcome=outcome or "",
                                               reason=reason or ""))

    def asked(self) -> list[Asked]:
        c = t.asked.c
        with self.db.read() as db:
            rows = db.execute(select(c.day, c.week, c.region, c.job, c.topic, c.outcome, c.reason).order_by(c.id)).all()
        return [Asked(**r._mapping) for r in rows]

    def feedback_rows(self) -> list[dict]:
        """Feedback without its text: day, 有用 or not, outcome, region (for the dashboard's rates)."""
        c = t.feedback.c
        with self.db.read() as db:
            rows = db.execute(select(c.created_at, c.useful, c.outcome, c.region).order_by(c.id)).all()
        return [dict(r._mapping) for r in rows]

    def feedback_counts(self) -> dict[str, int]:
        c = t.feedback.c
        with self.db.read() as db:
            rows = db.execute(select(c.useful, func.count()).group_by(c.useful)).all()
        counts = {"有用": 0, "没用": 0}
        for useful, n in rows:
            counts["有用" if useful else "没用"] = n
        return counts

    def queue(self, *, include_handled: bool = False) -> list[QueueItem]:
        """Newest first."""
        query = select(t.queue).order_by(t.queue.c.id.desc())
        if not include_handled:
            query = query.where(t.queue.c.handled_at.is_(None))
        with self.db.read() as db:
            return [QueueItem(**r._mapping) for r in db.execute(query).all()]

    def handle_queue_item(self, item_id: int, *, by: str, note: str = "") -> bool:
        """Mark an open queue item handled. False when there is no such item or another staffer (in
        this process or another) handled it first: the first one keeps it."""
        c = t.queue.c
        with self.db.write(durable=True) as db:
            result = db.execute(update(t.queue).where(c.id == int(item_id), c.handled_at.is_(None)).values(
                handled_at=_now(), handled_by=by, note=(note or "").strip()[: self.MAX_TEXT] or None))
            return result.rowcount == 1

    # -- vetted answers ---------------------------------------------------------------------

    def save_vetted(self, *, question: str, region: str | None, region_key: str, answer: dict,
                    cited: list[CitedDoc], by: str, comment: str = "") -> int:
        """Approve ``answer`` for ``question`` in ``region_key`` (a province, or "" for national);
        replaces an earlier approval of the same question there."""
        key = question_key(question)
        if not key:
            raise RecordError("问题是空的，不能保存。")
        values = dict(question_key=key, region_key=region_key, question=question.strip(), region=region,
                      answer=json.dumps(answer, ensure_ascii=False),
                      cited=json.dumps([c.__dict__ for c in cited], ensure_ascii=False),
                      comment=(comment or "").strip() or None, vetted_by=by, vetted_at=_now())
        insert = (postgresql if self.db.dialect == "postgresql" else sqlite).insert(t.vetted).values(**values)
        changed = {k: insert.excluded[k] for k in values if k not in ("question_key", "region_key")}
        c = t.vetted.c
        with self.db.write(durable=True) as db:
            db.execute(insert.on_conflict_do_update(index_elements=[c.question_key, c.region_key], set_=changed))
            return db.execute(select(c.id).where(c.question_key == key, c.region_key == region_key)).scalar_one()

    def vetted_for(self, question: str, region_key: str) -> VettedAnswer | None:
        c = t.vetted.c
        with self.db.read() as db:
            row = db.execute(select(t.vetted).where(c.question_key == question_key(question), c.region_key == region_key)).first()
        return _vetted(row._mapping) if row else None

    def vetted_answers(self) -> list[VettedAnswer]:
        with self.db.read() as db:
            return [_vetted(r._mapping) for r in db.execute(select(t.vetted).order_by(t.vetted.c.id.desc())).all()]

    # -- problem reports (诉求反映) ---------------------------------------------------------

    def add_report(self, *, what: str, platform: str = "", city: str = "", contact: str = "") -> Report:
        """A worker's problem report; returns it with the number they look it up by (unique across
        every process sharing the database: the column is UNIQUE and a clash draws again)."""
        text = self._text(what, field="发生了什么", required=True)
        platform_ = self._text(platform, field="平台")
        city_ = self._text(city, field="城市")
        contact_ = (contact or "").strip()[:200] or None  # given on purpose: stored as typed, shown to staff only
        for _ in range(5):
            number = new_report_number()
            try:
                with self.db.write(durable=True) as db:
                    db.execute(t.reports.insert().values(number=number, created_at=_now(), what=text, platform=platform_,
                                                         city=city_, contact=contact_, status=REPORT_STATES[0]))
                return self.report(number)
            except IntegrityError:  # the same number twice: draw again
                continue
        raise RuntimeError("could not draw a unique report number")

    def report(self, number: str) -> Report | None:
        number = normalise_report_number(number)
        if not number:
            return None
        with self.db.read() as db:
            row = db.execute(select(t.reports).where(t.reports.c.number == number)).first()
        return Report(**row._mapping) if row else None

    def reports(self) -> list[Report]:
        """Newest first."""
        with self.db.read() as db:
            return [Report(**r._mapping) for r in db.execute(select(t.reports).order_by(t.reports.c.id.desc())).all()]

    def update_report(self, number: str, *, by: str, forwarded_to: str | None = None, outcome: str | None = None,
                      done: bool = False) -> Report:
        """Staff: mark a report 已转交 (to one of :data:`FORWARD_TARGETS`), record its outcome, close it.
        Read and write in one locked transaction, so two staffers (or servers) acting at once never
        lose each other's change or move the first-response and closing times."""
        if forwarded_to and forwarded_to not in FORWARD_TARGETS:
            raise RecordError(f"只能转交给：{'、'.join(FORWARD_TARGETS)}。")
        wanted = normalise_report_number(number)
        c = t.reports.c
        with self.db.write(durable=True) as db:
            row = db.execute(select(t.reports).where(c.number == wanted).with_for_update()).first() if wanted else None
            if row is None:
                raise RecordError("找不到这个编号的诉求。")
            report = Report(**row._mapping)
            status = REPORT_STATES[2] if done else (REPORT_STATES[1] if (forwarded_to or report.forwarded_to) else report.status)
            now = _now()
            db.execute(update(t.reports).where(c.number == report.number).values(
                status=status, forwarded_to=forwarded_to or report.forwarded_to,
                outcome=(outcome or "").strip()[: self.MAX_TEXT] or report.outcome, updated_at=now, updated_by=by,
                first_response_at=report.first_response_at or now,
                closed_at=report.closed_at or (now if status == REPORT_STATES[2] else None)))
        return self.report(report.number)

    # -- staff logins ------------------------------------------------------------------------

    def add_login_attempt(self, *, account: str, client: str, ok: bool) -> None:
        """One try at the staff login (the account name as typed, cut to 200 characters). Tries older
        than :data:`LOGIN_ATTEMPTS_KEPT` go in the same write: a guesser cannot grow the table without end."""
        now = datetime.now(timezone.utc)
        with self.db.write() as db:
            db.execute(t.login_attempts.delete().where(t.login_attempts.c.at < _utc_seconds(now - LOGIN_ATTEMPTS_KEPT)))
            db.execute(t.login_attempts.insert().values(at=_utc_seconds(now), account=(account or "")[:200], client=(client or "")[:200],
                                                        ok=bool(ok)))

    def login_attempts(self, *, since: str) -> list[LoginAttempt]:
        """The tries at or after ``since`` (an ISO time, any offset; naive = UTC; empty: all), oldest first."""
        c = t.login_attempts.c
        since_utc = _utc_seconds(datetime.fromisoformat(since)) if since else ""  # "": every try
        with self.db.read() as db:
            rows = db.execute(select(c.at, c.account, c.client, c.ok).where(c.at >= since_utc).order_by(c.id)).all()
        return [LoginAttempt(at=r.at, account=r.account, client=r.client, ok=bool(r.ok)) for r in rows]


def upgrade_records(settings) -> tuple[str | None, str, str]:
    """``laoquan records upgrade``: migrate the settings' records database to the newest revision.
    Returns (revision before — None for a new database or a file from before migrations —, after,
    where: the file or the URL without its password)."""
    db = Database(Target.of(settings.paths.records_url or settings.paths.records_path))
    try:
        before, after = db.upgrade()
    finally:
        db.close()
    return before, after, db.target.shown


def copy_records(source: Records, target: Records) -> dict[str, int]:
    """``laoquan records copy``: every row of ``source`` into an empty ``target`` (moving the SQLite
    file of one machine to the PostgreSQL of many), ids kept, in one transaction; returns the rows
    copied per table. A target that already holds records is refused: nothing is merged."""
    tables = t.metadata.sorted_tables
    with target.db.read() as db:
        filled = [table.name for table in tables if db.execute(select(func.count()).select_from(table)).scalar()]
    if filled:
        raise RecordError(f"目标数据库已经有记录（{'、'.join(filled)}），没有复制：请换一个空的数据库。")
    copied = {}
    with source.db.read() as src, target.db.write(durable=True) as dst:
        for table in tables:
            rows = [dict(r._mapping) for r in src.execute(select(table).order_by(table.c.id))]
            if rows:
                dst.execute(table.insert(), rows)
            copied[table.name] = len(rows)
        if target.db.dialect == "postgresql":  # the next id after the copied ones
            for table in tables:
                dst.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                                    f" COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)")
    return copied


def _vetted(data) -> VettedAnswer:
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
