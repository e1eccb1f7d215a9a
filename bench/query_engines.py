"""Benchmark: the query-embedding engines side by side on every eval question (issue 19).

    .venv/bin/python -m bench.query_engines [--engines torch onnx onnx-int8] [--threads 1 2]

Every question and turn of ``evals/gold/*.yaml`` (only the question texts: ``bench.rankings``'
reader), embedded as the retriever embeds it (typos read, ``query: `` prompt) by each engine in one
warm process: the cosine of each ONNX engine's vector with torch's (min and mean) and the
milliseconds per question (p50/p95) of each engine and thread count, one after the other in the
same process. Prints a table and appends a JSON line to ``bench/results.jsonl``.
"""
from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime

import numpy as np

from common.settings import load_settings  # first: telemetry off
from bench.results import report


def eval_turns() -> list[str]:
    from bench.rankings import eval_questions
    from kb.retriever import read_query

    typos = load_settings().paths.typos
    return [read_query(turn, typos) for q in eval_questions() for turn in q["turns"]]


def _timed(embed, texts: list[str]) -> tuple[np.ndarray, list[float]]:
    vectors, ms = [], []
    for text in texts:
        started = time.perf_counter()
        vectors.append(embed(text))
        ms.append((time.perf_counter() - started) * 1000)
    return np.stack(vectors), ms


def run(*, engines: list[str], threads: list[int]) -> dict:
    from evals.metrics import percentile
    from kb.embeddings import Embedder, ensure_model_folder
    from kb.query_engine import QueryEngine, load_onnx_embedder

    settings = load_settings()
    model_dir = ensure_model_folder(settings.paths.model_dir)
    texts = eval_turns()
    row = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "bench": "query_engines",
           "machine": f"{platform.machine()} {len(os.sched_getaffinity(0))} cores", "questions": len(texts),
           "loadavg_1m_before": round(os.getloadavg()[0], 2)}
    reference = None
    for name in engines:
        engine = QueryEngine.named(name)
        for count in ([0] if engine is QueryEngine.TORCH else threads):
            embedder = Embedder(model_dir) if engine is QueryEngine.TORCH else load_onnx_embedder(model_dir, engine, threads=count)
            label = engine.value if engine is QueryEngine.TORCH else f"{engine.value}_{count}t"
            for text in texts[:5]:
                embedder.embed_query(text)  # warm
            vectors, ms = _timed(embedder.embed_query, texts)
            ordered = sorted(ms)
            row[f"{label}_p50_ms"] = round(percentile(ordered, 50), 2)
            row[f"{label}_p95_ms"] = round(percentile(ordered, 95), 2)
            if engine is QueryEngine.TORCH:
                reference = vectors
            elif reference is not None:
                cos = (vectors * reference).sum(1) / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(reference, axis=1))
                row[f"{label}_cosine_min"] = round(float(cos.min()), 7)
                row[f"{label}_cosine_mean"] = round(float(cos.mean()), 7)
                row[f"{label}_max_abs_diff"] = float(f"{np.abs(vectors - reference).max():.2e}")
    row["loadavg_1m_after"] = round(os.getloadavg()[0], 2)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", nargs="+", default=["torch", "onnx", "onnx-int8"], help="torch first: the others are compared with it")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="intra-op threads of the ONNX engines, one pass each")
    args = parser.parse_args()
    report(run(engines=args.engines, threads=args.threads))


if __name__ == "__main__":
    main()
