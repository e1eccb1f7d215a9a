"""Benchmark: index the whole sources folder from scratch into a temporary data folder, then
re-index with no change. Prints a table and appends a JSON line to ``bench/results.jsonl``.

    .venv/bin/python -m bench.index

The embedding model folder is shared (built once at set-up), so this measures indexing, not the
model build. Peak RSS is the process's own maximum resident size.
"""
from __future__ import annotations

import platform
import resource
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.results import report
from laoquan.settings import load_settings



def main() -> None:
    from kb.index import index_sources

    with tempfile.TemporaryDirectory(prefix="laoquan-bench-") as tmp:
        settings = load_settings(data_dir=Path(tmp))
        started = time.perf_counter()
        scratch = index_sources(settings, progress=False)
        scratch_s = time.perf_counter() - started
        started = time.perf_counter()
        again = index_sources(settings, progress=False)
        again_s = time.perf_counter() - started
    vectors = scratch.chunks + scratch.questions
    row = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "bench": "index",
        "machine": f"{platform.machine()} {len(__import__('os').sched_getaffinity(0))} cores",
        "documents": scratch.documents,
        "chunks": scratch.chunks,
        "questions": scratch.questions,
        "from_scratch_s": round(scratch_s, 1),
        "embed_s": round(scratch.embed_seconds, 1),
        "vectors_per_s": round(vectors / scratch_s, 1),
        "no_change_s": round(again_s, 2),
        "no_change_embedded": again.embedded,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    report(row)


if __name__ == "__main__":
    main()
