"""Killing the indexer (SIGKILL) part-way leaves the previous index searchable, and the next run
completes it with no duplicate and no missing chunk."""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import RIDER

pytestmark = pytest.mark.integration  # the real model, a real Chroma index, the sources folder


def _index_in_subprocess(settings) -> subprocess.Popen:
    env = {
        **os.environ,
        "LAOQUAN_SOURCES": str(settings.paths.sources),
        "LAOQUAN_DATA_DIR": str(settings.paths.data_dir),
        "LAOQUAN_CATALOG": str(settings.paths.catalog),
        "LAOQUAN_MODELS_DIR": str(settings.paths.models_dir),
    }
    return subprocess.Popen([sys.executable, "-m", "laoquan.cli", "index", "--quiet"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkill_during_indexing_loses_nothing(tmp_path, workspace, embedder, first_index):
    from kb.index import index_sources, read_manifest
    from kb.retriever import HybridRetriever
    from kb.store import VectorStore

    # A previous index of the subset, then a change that needs ~1,000 new question vectors: the
    # work in progress when the process is killed (8–16 s in: during start-up or embedding; the
    # narrower window after the vectors are written is covered by the next test).
    data = tmp_path / "data"
    shutil.copytree(workspace.paths.data_dir, data)
    settings = workspace.replace(data_dir=data, question_vectors=True)
    questions = tmp_path / "questions"
    shutil.copytree(settings.paths.questions_dir, questions)
    settings = settings.replace(questions_dir=questions)
    before = read_manifest(data / "index")
    for path in questions.glob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("吗", "么").replace("，", ","), encoding="utf-8")

    rng = random.Random(7)
    for _ in range(2):
        process = _index_in_subprocess(settings)
        time.sleep(rng.uniform(8.0, 16.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        # the previous index is still whole and searchable
        manifest = read_manifest(data / "index")
        assert set(manifest["chunks"]) == set(before["chunks"])
        hits = HybridRetriever(settings, embedder=embedder).search(RIDER, k=5).hits
        assert hits and all(h.chunk_id in manifest["chunks"] for h in hits)

    report = index_sources(settings, embedder=embedder, progress=False)
    assert not report.problems
    manifest = read_manifest(data / "index")
    stored = VectorStore.served(settings).stored_hashes()
    wanted = set(manifest["chunks"]) | set(manifest["pointers"])
    assert set(stored) == wanted  # no duplicate, no stray, no missing vector
    again = index_sources(settings, embedder=embedder, progress=False)
    assert (again.embedded, again.deleted) == (0, 0)


def test_crash_between_vectors_and_manifest_is_repaired(tmp_path, workspace, embedder, first_index):
    """The narrowest window: new vectors are in the store but the manifest was not written yet.
    The old manifest is served (stray vectors ignored) and the next run converges exactly."""
    import numpy as np

    from kb.index import index_sources, read_manifest
    from kb.retriever import HybridRetriever
    from kb.store import VectorStore

    data = tmp_path / "data"
    shutil.copytree(workspace.paths.data_dir, data)
    settings = workspace.replace(data_dir=data)
    store = VectorStore.served(settings)
    stray = ["gongshang-baoxian-tiaoli#第十四条?99", "laodong-hetong-fa#第九百条"]
    vector = embedder.embed_query(RIDER)
    store.upsert(stray, np.stack([vector, vector]), ["半截写入", "半截写入"], [{"doc_id": "x", "region": "全国", "effective_from": 0, "effective_to": 99991231, "kind": "question", "content_hash": "h", "record_hash": "r"}] * 2)
    hits = HybridRetriever(settings, embedder=embedder).search(RIDER, k=5).hits
    manifest = read_manifest(data / "index")
    assert hits and all(h.chunk_id in manifest["chunks"] for h in hits)
    report = index_sources(settings, embedder=embedder, progress=False)
    assert report.deleted == 2 and report.embedded == 0
    assert set(VectorStore.served(settings).stored_hashes()) == set(manifest["chunks"]) | set(manifest["pointers"])
