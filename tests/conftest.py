"""Shared fixtures, and a guard that fails the run if anything opens a non-loopback connection.

The guard wraps ``socket.socket.connect`` (and ``connect_ex``): a connection to anything but
127.0.0.0/8, ::1 or a Unix socket is refused on the spot *and* recorded, so that a library that
swallows the error (telemetry clients do) still fails the session at the end.
"""
from __future__ import annotations

import ipaddress
import socket

import shutil

import pytest
import yaml

import common.settings  # noqa: F401  (switches telemetry off before anything else is imported)
from common.settings import load_settings

_ATTEMPTS: list[str] = []
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name that would need DNS: not loopback


def _guarded(real):
    def connect(self, address):
        if self.family != getattr(socket, "AF_UNIX", None) and not _is_loopback(address):
            _ATTEMPTS.append(repr(address))
            raise ConnectionRefusedError(f"laoquan tests: non-loopback connection blocked: {address!r}")
        return real(self, address)

    return connect


socket.socket.connect = _guarded(_real_connect)
socket.socket.connect_ex = _guarded(_real_connect_ex)


def pytest_sessionfinish(session, exitstatus):
    if _ATTEMPTS:
        session.exitstatus = 1
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter:
            reporter.write_line(f"NETWORK GUARD: {len(_ATTEMPTS)} non-loopback connection(s) attempted: {_ATTEMPTS[:5]}", red=True)


@pytest.fixture
def network_attempts():
    """The non-loopback connection attempts recorded so far (a test can assert it stays empty)."""
    return _ATTEMPTS


@pytest.fixture(scope="session")
def sources_dir():
    from common.settings import load_settings

    path = load_settings().paths.sources
    if not path.is_dir():
        pytest.fail(f"sources folder not found: {path} (set LAOQUAN_SOURCES)")
    return path


# -- the spine on a small real index ------------------------------------------------------------
# Five texts (~280 articles and their worker questions): real model, real Chroma, temporary folder.

SUBSET = ["gongshang-baoxian-tiaoli", "laodong-hetong-fa", "laodong-zhengyi-jieshi-1", "laodong-zhengyi-jieshi-2", "laodong-baozhang-jiancha-tiaoli"]
RIDER = "送外卖路上被车撞了，算工伤吗？"


@pytest.fixture(scope="session")
def embedder():
    from kb.embeddings import Embedder, ensure_model_folder

    return Embedder(ensure_model_folder(load_settings().paths.model_dir))


@pytest.fixture(scope="session")
def workspace(tmp_path_factory, sources_dir):
    """A sources folder with copies of the subset's files and a catalog naming only them."""
    root = tmp_path_factory.mktemp("spine")
    real = yaml.safe_load(load_settings().paths.catalog.read_text(encoding="utf-8"))
    entries = [e for e in real["documents"] if e["id"] in SUBSET]
    assert len(entries) == len(SUBSET)
    for entry in entries:
        entry["sources"] = entry["sources"][:1]
        target = root / "sources" / entry["sources"][0]["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sources_dir / entry["sources"][0]["path"], target)
    catalog = root / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({**real, "documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return load_settings(sources=root / "sources", data_dir=root / "data", catalog=catalog)


@pytest.fixture(scope="session")
def first_index(workspace, embedder):
    from kb.index import index_sources

    return index_sources(workspace, embedder=embedder, progress=False)


@pytest.fixture(scope="session")
def bot(workspace, first_index, embedder):
    from laoquan.app import load_bot

    return load_bot(workspace, embedder=embedder)




@pytest.fixture(scope="session")
def full_bot(tmp_path_factory, sources_dir, embedder):
    """The bot over every text of the sources folder (the real catalog, notes, worker questions and
    guides), indexed into a temporary data folder: what the gold sets are scored on (~2 min)."""
    from kb.index import index_sources
    from laoquan.app import load_bot

    settings = load_settings(sources=sources_dir, data_dir=tmp_path_factory.mktemp("full") / "data")
    index_sources(settings, embedder=embedder, progress=False)
    return load_bot(settings, embedder=embedder)


@pytest.fixture(scope="session")
def web(bot, workspace, tmp_path_factory):
    """``laoquan serve``'s app (workers at /, staff at /staff) on a free loopback port, over the
    ``bot`` index, with its own records and one staff account (tests/webserver.py). One per session:
    the API tests and the browser tests share it."""
    from tests.webserver import start

    server = start(bot, workspace, tmp_path_factory.mktemp("web"))
    yield server
    server.stop()
