"""The spine against a Chroma *server* (``chroma run`` on loopback, started here) instead of the local
store, chosen the way an operator chooses it: ``LAOQUAN_CHROMA_URL``. A two-document catalog keeps
it fast: index, search, answer, a no-change re-index, and an index swap under a loaded bot.

Skipped — with the reason — only when the installed chromadb has no ``chroma`` executable."""
from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import RIDER

pytestmark = pytest.mark.integration  # the real model, a real Chroma index, the sources folder

DOCS = ["gongshang-baoxian-tiaoli", "laodong-baozhang-jiancha-tiaoli"]


@dataclass(frozen=True)
class ChromaServer:
    url: str
    pid: int
    path: Path


def _chroma_executable() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.is_file() else shutil.which("chroma")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: Path, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never through a proxy
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"chroma run exited with {process.returncode}:\n{log.read_text(errors='replace')[-2000:]}")
        try:
            with opener.open(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"chroma run did not answer at {url} within {timeout:.0f} s:\n{log.read_text(errors='replace')[-2000:]}")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    executable = _chroma_executable()
    if executable is None:
        pytest.skip(f"no `chroma` executable beside {sys.executable} or on PATH: the installed chromadb cannot run a server here")
    root = tmp_path_factory.mktemp("chroma-server")
    port = _free_port()
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "CHROMA_ANONYMIZED_TELEMETRY": "False", "DO_NOT_TRACK": "1"}
    env = {k: v for k, v in env.items() if not k.startswith("CHROMA_OPEN_TELEMETRY") and not k.startswith("CHROMA_OTEL")}
    log = root / "chroma.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([executable, "run", "--path", str(root / "db"), "--host", "127.0.0.1", "--port", str(port)],
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(url, process, log)
        yield ChromaServer(url, process.pid, root / "db")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


@pytest.fixture(scope="module")
def server_settings(chroma_server, workspace, tmp_path_factory):
    """Settings read from ``LAOQUAN_CHROMA_URL``, over a copy of two of the spine's texts."""
    from common.settings import load_settings

    root = tmp_path_factory.mktemp("on-server")
    catalog = yaml.safe_load(workspace.paths.catalog.read_text(encoding="utf-8"))
    catalog["documents"] = [e for e in catalog["documents"] if e["id"] in DOCS]
    for entry in catalog["documents"]:
        target = root / "sources" / entry["sources"][0]["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(workspace.paths.sources / entry["sources"][0]["path"], target)
    (root / "catalog.yaml").write_text(yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LAOQUAN_CHROMA_URL", chroma_server.url)
        settings = load_settings(sources=root / "sources", data_dir=root / "data", catalog=root / "catalog.yaml")
    assert settings.index.chroma_url == chroma_server.url
    return settings


@pytest.fixture(scope="module")
def server_index(server_settings, embedder):
    from kb.index import index_sources

    return index_sources(server_settings, embedder=embedder, progress=False)


def test_index_is_written_to_the_server(server_settings, server_index, chroma_server):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    assert server_index.documents == len(DOCS) and not server_index.problems
    assert server_index.embedded == server_index.chunks + server_index.questions
    assert not server_settings.paths.chroma_dir.exists()  # nothing in a local store
    client = chromadb.HttpClient(host="127.0.0.1", port=int(chroma_server.url.rsplit(":", 1)[1]),
                                 settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_collection(f"{server_settings.index.collection}_g{server_index.generation}")
    assert collection.count() == server_index.chunks + server_index.questions


def test_search_and_answer_from_the_server(server_settings, server_index, embedder):
    from laoquan.app import load_bot

    bot = load_bot(server_settings, embedder=embedder)
    hits = bot.retriever.search(RIDER, k=5).hits
    assert ("gongshang-baoxian-tiaoli", "第十四条") in [(h.doc_id, h.article) for h in hits]
    answer = bot.ask(RIDER)
    assert answer.outcome in ("answered", "partial")  # partial: the bot asks whether the rider has a labour contract
    c = next(c for c in answer.citations if c.article == "第十四条")
    source = (server_settings.paths.sources / "texts" / "工伤保险条例(2010-12-20).md").read_text(encoding="utf-8")
    assert all(line in source for line in c.quote.split("\n"))
    refused = bot.ask("红烧肉怎么做才好吃")
    assert refused.outcome == "refused" and not refused.citations


def test_no_change_reindex_on_the_server_writes_nothing(server_settings, server_index, embedder):
    from kb.generations import manifest_signature
    from kb.index import index_sources

    signature = manifest_signature(server_settings.paths.index_dir)
    started = time.perf_counter()
    again = index_sources(server_settings, embedder=embedder, progress=False)
    assert time.perf_counter() - started < 5
    assert (again.embedded, again.deleted, again.new_generation) == (0, 0, False)
    assert manifest_signature(server_settings.paths.index_dir) == signature


def test_index_swap_on_the_server(server_settings, server_index, embedder):
    """A changed article: a new generation on the server, the loaded bot swaps to it, the
    previous generation stays for the grace period."""
    from kb.index import index_sources, read_manifest
    from kb.store import VectorStore, generation_collections
    from laoquan.app import load_bot

    settings = server_settings.replace(index_check_seconds=0.0)
    bot = load_bot(settings, embedder=embedder)
    before = bot.generation
    path = settings.paths.sources / "texts" / "工伤保险条例(2010-12-20).md"
    old_line = "(六)在上下班途中，受到非本人主要责任的交通事故"
    path.write_text(path.read_text(encoding="utf-8").replace(old_line, "(六)在上下班途中或者配送途中，受到非本人主要责任的交通事故", 1), encoding="utf-8")
    report = index_sources(settings, embedder=embedder, progress=False)
    assert report.new_generation and report.generation == before + 1 and report.embedded == 1
    assert bot.retriever.generation == before  # not swapped before it looks
    bot.ask(RIDER)  # notices the new manifest; loads it in the background
    deadline = time.monotonic() + 60
    while bot.generation == before and time.monotonic() < deadline:
        time.sleep(0.2)
        bot.ask(RIDER)
    assert bot.generation == before + 1
    quote = next(c.quote for c in bot.ask(RIDER).citations if c.article == "第十四条")
    assert "配送途中" in quote
    assert [c.generation for c in generation_collections(settings)] == [before, before + 1]
    manifest = read_manifest(settings.paths.index_dir)
    assert set(VectorStore.served(settings).stored_hashes()) == set(manifest["chunks"]) | set(manifest["pointers"])


def _remote_addresses(pid: int) -> list[str]:
    """Remote addresses of the TCP/UDP sockets process ``pid`` holds (from /proc)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        for line in lines:
            fields = line.split()
            if fields[9] not in inodes:
                continue
            hex_ip = fields[2].split(":")[0]
            raw = bytes.fromhex(hex_ip)
            # /proc prints each 32-bit word in host (little-endian) order
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.append(str(ipaddress.ip_address(raw)))
    return found


def test_chroma_server_talks_to_loopback_only(chroma_server, server_index):
    remote = [ipaddress.ip_address(a) for a in _remote_addresses(chroma_server.pid)]
    assert remote, "the server holds no socket: is it running?"
    outside = [str(a) for a in remote if not (a.is_loopback or a.is_unspecified or (a.ipv4_mapped and a.ipv4_mapped.is_loopback))]
    assert not outside, f"chroma run has connections beyond loopback: {outside}"


def test_crash_leftovers_on_the_server_are_ignored_then_repaired(server_settings, server_index, embedder):
    """Vectors no manifest names (a crash's leftovers) in the served collection on the server: the
    retriever ignores them, the next run deletes exactly them, embeds nothing, writes no generation."""
    import numpy as np

    from kb.index import index_sources, read_manifest
    from kb.retriever import HybridRetriever
    from kb.store import VectorStore

    store = VectorStore.served(server_settings)
    stray = ["gongshang-baoxian-tiaoli#第十四条?99", "gongshang-baoxian-tiaoli#第九百条"]
    vector = embedder.embed_query(RIDER)
    meta = {"doc_id": "x", "region": "全国", "effective_from": 0, "effective_to": 99991231, "kind": "article", "content_hash": "h", "record_hash": "r"}
    store.upsert(stray, np.stack([vector, vector]), ["半截写入", "半截写入"], [meta, meta])
    manifest = read_manifest(server_settings.paths.index_dir)
    hits = HybridRetriever(server_settings, embedder=embedder).search(RIDER, k=5).hits
    assert hits and all(h.chunk_id in manifest["chunks"] for h in hits)
    report = index_sources(server_settings, embedder=embedder, progress=False)
    assert (report.deleted, report.embedded, report.new_generation) == (2, 0, False)
    assert set(VectorStore.served(server_settings).stored_hashes()) == set(manifest["chunks"]) | set(manifest["pointers"])


def test_sigkill_during_indexing_to_the_server_loses_nothing(server_settings, server_index, embedder, tmp_path):
    """Killing ``laoquan index`` (SIGKILL) while it works against the server leaves the served
    generation whole and searchable; the next run completes it exactly."""
    import random

    from kb.index import index_sources, read_manifest
    from kb.retriever import HybridRetriever
    from kb.store import VectorStore

    questions = tmp_path / "questions"
    shutil.copytree(server_settings.paths.questions_dir, questions)
    settings = server_settings.replace(questions_dir=questions)
    path = questions / "gongshang-baoxian-tiaoli.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("吗", "么").replace("，", ","), encoding="utf-8")
    index_sources(server_settings, embedder=embedder, progress=False)  # the served index, whatever earlier tests did
    before = read_manifest(settings.paths.index_dir)
    env = {**os.environ, "LAOQUAN_CHROMA_URL": settings.index.chroma_url, "LAOQUAN_SOURCES": str(settings.paths.sources),
           "LAOQUAN_DATA_DIR": str(settings.paths.data_dir), "LAOQUAN_CATALOG": str(settings.paths.catalog),
           "LAOQUAN_MODELS_DIR": str(settings.paths.models_dir), "LAOQUAN_QUESTIONS_DIR": str(questions)}
    process = subprocess.Popen([sys.executable, "-m", "laoquan.cli", "index", "--quiet"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.Random(11).uniform(7.0, 12.0))
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert read_manifest(settings.paths.index_dir) == before
    hits = HybridRetriever(settings, embedder=embedder).search(RIDER, k=5).hits
    assert hits and all(h.chunk_id in before["chunks"] for h in hits)

    report = index_sources(settings, embedder=embedder, progress=False)
    assert not report.problems and report.new_generation
    manifest = read_manifest(settings.paths.index_dir)
    assert set(VectorStore.served(settings).stored_hashes()) == set(manifest["chunks"]) | set(manifest["pointers"])
    again = index_sources(settings, embedder=embedder, progress=False)
    assert (again.embedded, again.deleted, again.new_generation) == (0, 0, False)
