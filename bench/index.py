"""Benchmark: index the whole sources folder from scratch into a temporary data folder, re-index
with no change, then with one document's catalog dates changed (a new index generation: every
vector copied, none embedded — the cost of an index swap). Prints a table and appends a JSON line
to ``bench/results.jsonl``.

    .venv/bin/python -m bench.index

The embedding model folder is shared (built once at set-up), so this measures indexing, not the
model build. Peak RSS is the process's own maximum resident size.
"""
from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from bench.results import report
from common.settings import load_settings


def catalog_with_one_change(settings, folder: Path) -> Path:
    """A copy of the catalog where one document with text gets an end date far in the future: its
    chunks' filter metadata change, their text does not (a new generation, nothing to embed)."""
    data = yaml.safe_load(settings.paths.catalog.read_text(encoding="utf-8"))
    entry = next(e for e in data["documents"] if e.get("sources") and not e.get("effective_to"))
    entry["effective_to"] = "2099-12-31"
    path = folder / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def main() -> None:
    from kb.index import index_sources

    load_before = round(os.getloadavg()[0], 2)  # anything else busy shows here
    with tempfile.TemporaryDirectory(prefix="laoquan-bench-") as tmp:
        settings = load_settings(data_dir=Path(tmp))
        started = time.perf_counter()
        scratch = index_sources(settings, progress=False)
        scratch_s = time.perf_counter() - started
        started = time.perf_counter()
        again = index_sources(settings, progress=False)
        again_s = time.perf_counter() - started
        changed_settings = settings.replace(catalog=catalog_with_one_change(settings, Path(tmp)))
        started = time.perf_counter()
        swap = index_sources(changed_settings, progress=False)
        swap_s = time.perf_counter() - started
    vectors = scratch.chunks + scratch.questions
    row = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "bench": "index",
        "machine": f"{platform.machine()} {len(os.sched_getaffinity(0))} cores",
        "loadavg_1m_before": load_before,
        "documents": scratch.documents,
        "chunks": scratch.chunks,
        "questions": scratch.questions,
        "from_scratch_s": round(scratch_s, 1),
        "embed_s": round(scratch.embed_seconds, 1),
        "guide_embed_s": round(scratch.guide_seconds, 1),
        "vectors_per_s": round(vectors / scratch_s, 1),
        "no_change_s": round(again_s, 2),
        "no_change_embedded": again.embedded,
        "no_change_new_generation": again.new_generation,
        "one_doc_change_s": round(swap_s, 2),
        "one_doc_change_new_generation": swap.new_generation,
        "one_doc_change_copied": swap.reused_vectors,
        "one_doc_change_embedded": swap.embedded,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    report(row)


if __name__ == "__main__":
    main()
