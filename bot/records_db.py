"""Where the records live and how they are opened: an embedded SQLite file (the default) or a
PostgreSQL database shared by several ``laoquan serve`` processes (``LAOQUAN_RECORDS_URL``).

- **Reads never open the database for writing.** SQLite reads go through their own read-only
  connections (``mode=ro``); PostgreSQL reads run in ``READ ONLY`` transactions. A full disk or a
  locked file therefore never stops the worker page's vetted-answer or report look-ups.
- **Writes** run in one transaction each. On SQLite the write lock is taken up front
  (``BEGIN IMMEDIATE``, so two processes or threads never interleave a read-then-write) and the
  caller chooses ``synchronous=FULL`` (reports, their handling, vetted answers) or ``NORMAL``
  (feedback, the queue, the counts); the file is in WAL mode so staff read while workers write.
- **Faults are typed**: :class:`RecordsFull` (no space left), :class:`RecordsCorrupt` (the file is
  not a database), :class:`RecordsUnavailable` (the server cannot be reached), each with a plain
  Chinese ``message`` that says what to do.
- **Migrations** (Alembic, ``bot/migrations``) run on open when the database is behind; an
  up-to-date database is opened without a single write. On PostgreSQL an advisory lock makes
  processes that start together migrate one after the other.
"""
from __future__ import annotations

import errno
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, exc as sa_exc
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import QueuePool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_LOCK = 0x6C71_7265  # 'lqre': the advisory lock id PostgreSQL processes migrate under

FULL_MESSAGE = "存储空间不足，答案照常，反馈暂时无法保存"
"""What a worker (and a staffer) is told when a write finds the disk full."""


class RecordsUnavailable(RuntimeError):
    """The records cannot be used right now; ``message`` is plain Chinese and says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RecordsFull(RecordsUnavailable):
    """A write found no space left (SQLite ``SQLITE_FULL``, PostgreSQL ``53100 disk_full``, ``ENOSPC``)."""

    def __init__(self, message: str = FULL_MESSAGE):
        super().__init__(message)


class RecordsCorrupt(RecordsUnavailable):
    """The records file is not a usable SQLite database (a garbled header, a damaged page)."""


@dataclass(frozen=True)
class Target:
    """Which database: ``path`` for the embedded SQLite file, else ``url`` (SQLAlchemy URL)."""

    path: Path | None = None
    url: str = ""

    @classmethod
    def of(cls, where: Path | str) -> "Target":
        """A path, or a string with ``://`` (``postgresql+psycopg://user@host/db``, ``sqlite:///file``)."""
        if isinstance(where, str) and "://" in where:
            parsed = make_url(where)
            if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
                return cls(path=Path(parsed.database))
            return cls(url=where)
        return cls(path=Path(where))

    @property
    def shown(self) -> str:
        """For messages: the file, or the URL without its password."""
        return str(self.path) if self.path else make_url(self.url).render_as_string(hide_password=True)


def corrupt_message(target: Target) -> str:
    return (f"记录文件 {target.shown} 已损坏，不是有效的数据库。请先停止服务，把这个文件（连同同名的 -wal、-shm 文件）"
            "移到别处留作备份，再重新启动：会新建一个空的记录文件；有备份时用备份替换它。")


def translate(error: BaseException, target: Target) -> RecordsUnavailable | None:
    """The typed fault behind a driver error, or None when it is something else (a bug, a constraint)."""
    original = getattr(error, "orig", None) or error
    if isinstance(original, OSError) and original.errno == errno.ENOSPC:
        return RecordsFull()
    if isinstance(original, sqlite3.Error):
        code = getattr(original, "sqlite_errorcode", None)
        text = str(original).lower()
        if code == sqlite3.SQLITE_FULL or "disk is full" in text:
            return RecordsFull()
        if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT) or "not a database" in text or "malformed" in text:
            return RecordsCorrupt(corrupt_message(target))
        if code == sqlite3.SQLITE_CANTOPEN:
            return RecordsUnavailable(f"记录文件 {target.shown} 打不开：请检查文件夹是否存在、是否有读写权限。")
        return None
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate == "53100":
        return RecordsFull()
    if target.url and isinstance(error, sa_exc.OperationalError) and (sqlstate is None or sqlstate.startswith("08")):  # no connection
        return RecordsUnavailable(f"连不上记录数据库 {target.shown}：请检查 PostgreSQL 是否在运行、LAOQUAN_RECORDS_URL 是否正确。")
    return None


class Database:
    """The two engines of one records database: one that writes, one that only reads."""

    def __init__(self, target: Target):
        self.target = target
        if target.path is not None:
            self.writer, self.reader = _sqlite_engines(target.path)
        else:
            engine = create_engine(target.url, pool_pre_ping=True)
            self.writer, self.reader = engine, engine.execution_options(postgresql_readonly=True)

    @property
    def dialect(self) -> str:
        return self.writer.dialect.name

    @contextmanager
    def read(self):
        """A connection that cannot write (SQLite ``mode=ro``; PostgreSQL ``READ ONLY``)."""
        with self._faults():
            with self.reader.connect() as conn:
                yield conn

    @contextmanager
    def write(self, *, durable: bool = False):
        """One transaction, committed when the block ends, rolled back on an error."""
        with self._faults():
            with self.writer.connect() as conn:
                if self.dialect == "sqlite":  # outside the transaction (the driver is in autocommit)
                    _pragma(conn, f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
                with conn.begin():
                    yield conn

    @contextmanager
    def _faults(self):
        try:
            yield
        except RecordsUnavailable:
            raise
        except (sa_exc.DBAPIError, sqlite3.Error, OSError) as error:
            typed = translate(error, self.target)
            if typed is None:
                raise
            raise typed from error

    def close(self) -> None:
        self.writer.dispose()
        self.reader.dispose()

    # -- migrations -------------------------------------------------------------------------

    def revision(self) -> str | None:
        """The migration the database is at (None: new, or made before migrations existed)."""
        from alembic.runtime.migration import MigrationContext

        if self.target.path is not None and not self.target.path.exists():
            return None
        with self.read() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def upgrade(self) -> tuple[str | None, str]:
        """Bring the schema to the newest migration; returns (before, after). No write when it is
        already there."""
        from alembic import command

        head = head_revision()
        before = self.revision()
        if before == head:
            return before, head
        if before is not None and before not in known_revisions():
            raise RecordsUnavailable(f"记录数据库 {self.target.shown} 的版本（{before}）比这个程序新：请把所有服务器升级到同一版本再启动。")
        if self.target.path is not None:
            self.target.path.parent.mkdir(parents=True, exist_ok=True)
        with self.write(durable=True) as conn:
            if self.dialect == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
            config = _alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        if self.dialect == "sqlite":
            with self._faults(), self.writer.connect() as conn:
                _pragma(conn, "PRAGMA journal_mode=WAL")
        return before, head


def _pragma(conn: Connection, sql: str) -> None:
    """A PRAGMA on the driver's connection itself: through SQLAlchemy it would first open a
    transaction (``BEGIN IMMEDIATE``), inside which ``journal_mode`` cannot change."""
    conn.connection.driver_connection.execute(sql).close()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {script.revision for script in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def _sqlite_engines(path: Path) -> tuple[Engine, Engine]:
    """The writer opens the file read-write and takes the write lock at BEGIN; the reader opens it
    with ``mode=ro``, so a read never creates, extends or locks the file for writing."""
    path = Path(path)

    def connect_rw():
        return sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)

    def connect_ro():
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10, isolation_level=None,
                               check_same_thread=False)

    url = f"sqlite:///{path}"  # with a creator the URL only picks the dialect and the pool (QueuePool for a file)
    writer = create_engine(url, creator=connect_rw, poolclass=QueuePool)
    reader = create_engine(url, creator=connect_ro, poolclass=QueuePool)

    @event.listens_for(writer, "begin")
    def _begin_immediate(conn: Connection) -> None:  # the write lock up front: no read-then-write races
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(reader, "begin")
    def _begin_deferred(conn: Connection) -> None:  # one consistent snapshot per read
        conn.exec_driver_sql("BEGIN")

    return writer, reader
