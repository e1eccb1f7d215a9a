"""Index swap: a running bot keeps answering while ``laoquan index`` runs in another process, every
answer comes whole from one index generation (old or new, never a mix, never half-built), and the
bot switches to the new index once it is complete. A re-index without changes writes nothing;
old generations are dropped only by the retention rule."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

from tests.conftest import RIDER

pytestmark = pytest.mark.integration  # the real model, a real Chroma index, the sources folder

LAW = "gongshang-baoxian-tiaoli"
OLD_LINE = "(六)在上下班途中，受到非本人主要责任的交通事故"
NEW_LINE = "(六)在上下班途中或者配送途中，受到非本人主要责任的交通事故"


def _index_in_subprocess(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "LAOQUAN_SOURCES": str(settings.paths.sources),
        "LAOQUAN_DATA_DIR": str(settings.paths.data_dir),
        "LAOQUAN_CATALOG": str(settings.paths.catalog),
        "LAOQUAN_MODELS_DIR": str(settings.paths.models_dir),
    }
    return subprocess.Popen([sys.executable, "-m", "laoquan.cli", "index", "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _expected_store(manifest: dict) -> dict[str, str]:
    """id → record hash of every vector a manifest's generation must hold, no more."""
    from kb.index import _record_hash

    return {cid: _record_hash(r) for cid, r in {**manifest["chunks"], **manifest["pointers"]}.items()}


def _article_text(manifest: dict, article: str) -> str:
    return "\n".join(r["text"] for r in manifest["chunks"].values() if r["doc_id"] == LAW and r["article"] == article)


@pytest.fixture
def copy(tmp_path, workspace, first_index):
    """The spine's index and sources copied, so this test may change them."""
    data, sources = tmp_path / "data", tmp_path / "sources"
    shutil.copytree(workspace.paths.data_dir, data)
    shutil.copytree(workspace.paths.sources, sources)
    return workspace.replace(data_dir=data, sources=sources, index_check_seconds=0.0)


def _edit_article_14(settings) -> None:
    path = settings.paths.sources / "texts" / "工伤保险条例(2010-12-20).md"
    text = path.read_text(encoding="utf-8")
    assert OLD_LINE in text
    path.write_text(text.replace(OLD_LINE, NEW_LINE, 1), encoding="utf-8")


def test_server_answers_through_a_reindex_and_swaps_when_complete(copy, embedder):
    from kb.index import read_manifest
    from laoquan.app import ReloadingBot, load_bot

    bot = load_bot(copy, embedder=embedder)
    assert isinstance(bot, ReloadingBot)
    old = read_manifest(copy.paths.index_dir)
    start = bot.current()
    assert start.generation == old["generation"] and start.collection == old["collection"]
    first = bot.ask(RIDER)
    assert any(c.article == "第十四条" and OLD_LINE in c.quote for c in first.citations), "the rider's answer quotes item (六)"

    _edit_article_14(copy)
    indexer = _index_in_subprocess(copy)
    seen = []  # (loaded index, answer, the ids and record hashes its collection held right then)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        running = indexer.poll() is None
        loaded = bot.current()
        answer = loaded.bot.ask(RIDER)  # what bot.ask does: one loaded index answers the whole question
        stored = {cid: h for cid, (_, h) in loaded.bot.retriever._store.stored_hashes().items()}
        seen.append((loaded, answer, stored, running))
        if not running and loaded.generation != start.generation:
            break
        time.sleep(0.05)
    output = indexer.communicate()[0]
    assert indexer.returncode == 0, output
    new = read_manifest(copy.paths.index_dir)
    assert new["generation"] == old["generation"] + 1 and new["collection"] != old["collection"]
    assert "新索引版本" in output

    by_generation = {old["generation"]: old, new["generation"]: new}
    during = [s for s in seen if s[3]]
    assert during, "no question was answered while the indexer ran"
    for loaded, answer, stored, _ in seen:
        manifest = by_generation[loaded.generation]  # only ever the old or the new generation
        assert loaded.collection == manifest["collection"]
        # the collection this index reads holds exactly its manifest's vectors: never half-built,
        # never written to while it is served
        assert stored == _expected_store(manifest)
        assert answer.outcome != "refused" and any(c.article == "第十四条" for c in answer.citations)
        for c in answer.citations:
            if c.kind == "原文":
                text = _article_text(manifest, c.article) if c.doc_id == LAW else None
                if text is not None:
                    assert all(line in text for line in c.quote.split("\n")), (loaded.generation, c.article)
    assert all(loaded.generation == old["generation"] for loaded, *_ in during[:1])
    assert seen[-1][0].generation == new["generation"], "the bot did not switch to the new index"

    after = bot.ask(RIDER)
    quote = next(c.quote for c in after.citations if c.article == "第十四条")
    assert NEW_LINE in quote and OLD_LINE not in quote
    assert bot.retriever.generation == new["generation"]
    # the in-process dense matrix (kb.dense_matrix) is rebuilt from the new generation's collection
    import numpy as np

    old_dense, new_dense = start.bot.retriever.dense, bot.retriever.dense
    assert new_dense is not old_dense and set(new_dense.ids) == set(_expected_store(new))
    stored = bot.retriever._store.embeddings_for(new_dense.ids)
    assert all(np.array_equal(new_dense.vectors_for([i])[i], v) for i, v in stored.items())
    changed = [i for i in new_dense.ids if i in old_dense.row_of and not np.array_equal(new_dense.vectors_for([i])[i], old_dense.vectors_for([i])[i])]
    assert changed, "the edited article's vector is the new one in the new matrix"


def test_no_change_reindex_writes_no_generation_and_keeps_the_bot(copy, embedder):
    from kb.generations import manifest_signature
    from kb.index import index_sources
    from kb.store import generation_collections
    from laoquan.app import load_bot

    bot = load_bot(copy, embedder=embedder)
    loaded = bot.current()
    signature = manifest_signature(copy.paths.index_dir)
    collections = [c.name for c in generation_collections(copy)]
    started = time.perf_counter()
    report = index_sources(copy, embedder=embedder, progress=False)
    seconds = time.perf_counter() - started
    assert not report.new_generation and report.embedded == 0 and report.generation == loaded.generation
    assert seconds < 5, f"no-change re-index took {seconds:.1f} s"
    assert manifest_signature(copy.paths.index_dir) == signature  # not even rewritten
    assert [c.name for c in generation_collections(copy)] == collections
    streamed = list(bot.stream(RIDER))  # the same stream interface as the bot underneath
    assert streamed and streamed[-1].citations == bot.ask(RIDER).citations
    assert bot.current() is loaded


def test_old_generations_are_dropped_only_after_the_grace_period(copy, embedder):
    """The run that replaces a generation keeps it; a later run drops it once the grace period has
    passed. A bot whose generation was dropped under it (idle past the grace period) loads the
    newest index and answers."""
    from kb.index import index_sources
    from kb.store import generation_collections
    from laoquan.app import load_bot

    def names():
        return [c.generation for c in generation_collections(copy)]

    g = load_bot(copy, embedder=embedder).generation
    idle = load_bot(copy.replace(index_check_seconds=3600.0), embedder=embedder)  # never looks
    path = copy.paths.sources / "texts" / "劳动保障监察条例(2004-11-01).md"
    original = path.read_text(encoding="utf-8")

    path.write_text(original.replace("第九条 任何组织或者个人", "第九条 任何单位或者个人", 1), encoding="utf-8")
    report = index_sources(copy, embedder=embedder, progress=False)
    assert report.new_generation and report.generation == g + 1 and report.embedded == 1
    assert names() == [g, g + 1]  # the replaced generation is kept (stamped as retired)

    zero = copy.replace(index_grace_seconds=0.0)
    path.write_text(original, encoding="utf-8")
    report = index_sources(zero, embedder=embedder, progress=False)
    assert report.new_generation and report.generation == g + 2
    assert report.dropped_generations == [f"{copy.index.collection}_g{g}"]
    assert names() == [g + 1, g + 2]

    assert idle.generation == g and g not in names()
    # its collection is gone, but the vectors it ranks with are in memory: it keeps answering from
    # its own generation (never a mix) until it looks, and then moves to the newest
    answer = idle.ask(RIDER)
    assert answer.outcome != "refused" and answer.citations and idle.generation == g
    idle.reload()
    assert idle.generation == g + 2 and idle.ask(RIDER).citations


def test_index_runs_one_at_a_time(copy):
    """A second run waits for the lock the first holds (and says so)."""
    import threading

    from kb.generations import index_lock

    said, order = [], []
    with index_lock(copy.paths.index_dir):
        waiter = threading.Thread(target=lambda: _locked(copy, said, order))
        waiter.start()
        time.sleep(0.5)
        order.append("first done")
    waiter.join(timeout=10)
    assert order == ["first done", "second ran"] and said and "等它完成" in said[0]


def _locked(settings, said, order):
    from kb.generations import index_lock

    with index_lock(settings.paths.index_dir, say=said.append):
        order.append("second ran")
