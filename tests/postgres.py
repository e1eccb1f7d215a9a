"""A throwaway PostgreSQL cluster for the records tests: Debian's ``postgresql`` binaries
(``/usr/lib/postgresql/<version>/bin``, which ``./run test`` installs), ``initdb`` into a temporary
folder, the server on a free loopback port (no other address, its socket in that folder), stopped
and deleted at the end of the session.

``initdb`` refuses to run as root, and the tests run as root here and in CI: then the cluster is
made and run as the ``postgres`` user (``runuser -u postgres --``) in a folder it owns.

When no cluster can be started the PostgreSQL tests are skipped — unless ``CI`` or
``LAOQUAN_REQUIRE_POSTGRES`` is set (``./run test`` sets it): then they fail, so a CI run cannot
pass without having tested PostgreSQL.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"
SUPERUSER = "laoquan"


class PostgresUnavailable(RuntimeError):
    """No cluster could be started here (the reason says why)."""


def required() -> bool:
    """Must the PostgreSQL tests run (fail rather than skip)?"""
    return any(os.environ.get(name, "").strip() not in ("", "0", "false") for name in ("CI", "LAOQUAN_REQUIRE_POSTGRES"))


def _bin_dir() -> Path:
    found = sorted(glob.glob(BIN_GLOB), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    if not found or not (Path(found[-1]) / "initdb").exists():
        raise PostgresUnavailable("Debian's postgresql is not installed (no /usr/lib/postgresql/*/bin/initdb): ./run test installs it")
    return Path(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """A running cluster; :meth:`new_database` gives each test its own empty database."""

    folder: Path
    port: int
    bin_dir: Path
    as_postgres: bool

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = list(args)
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=self.folder)

    @classmethod
    def start(cls) -> "Cluster":
        bin_dir = _bin_dir()
        as_postgres = os.geteuid() == 0
        if as_postgres and not shutil.which("runuser"):
            raise PostgresUnavailable("running as root without runuser: cannot start PostgreSQL as the postgres user")
        folder = Path(tempfile.mkdtemp(prefix="laoquan-pg-"))
        if as_postgres:
            shutil.chown(folder, user="postgres", group="postgres")
        cluster = cls(folder=folder, port=_free_port(), bin_dir=bin_dir, as_postgres=as_postgres)
        data = folder / "data"
        made = cluster._run(str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                            "--encoding=UTF8", "--locale=C", "--no-sync", timeout=180)
        if made.returncode != 0:
            cluster.remove()
            raise PostgresUnavailable(f"initdb failed: {made.stderr.strip()[-400:]}")
        options = f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {folder} -c fsync=off -c full_page_writes=off"
        started = cluster._run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w",
                               "-t", "60", "-o", options, "start", timeout=120)
        if started.returncode != 0:
            log = (folder / "server.log").read_text(errors="replace")[-400:] if (folder / "server.log").exists() else ""
            cluster.remove()
            raise PostgresUnavailable(f"pg_ctl start failed: {started.stderr.strip()[-300:]} {log}")
        return cluster

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a database of :meth:`new_database`, closing what is still connected to it."""
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop", timeout=60)
        finally:
            self.remove()

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
