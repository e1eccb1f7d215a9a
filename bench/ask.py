"""Benchmark: latency of retrieval alone and of a full default answer, in one warm process, over
every question of the gold set. Prints a table and appends a JSON line to ``bench/results.jsonl``.

    .venv/bin/python -m bench.ask [--warmup 5] [--repeat 1] [--gradio 40]

The bot (model, index) is loaded once; a few questions are asked first and not counted, so the
figures are those of a running server, not of start-up. Each question is asked as the evals ask
it (its province and as-of date), with the default LLM-free answerer; a question the guards
refuse (``QuestionError``) still counts as an answer. Latencies are wall-clock per call; peak RSS
is the process's own maximum resident size. Then each stage's own time per answer
(:mod:`bench.stages`: query embedding, dense, BM25, the rest of the lanes, 要点, ranking, guides,
list items, compose, render) over the same questions, and Gradio's queue and event overhead over the
first ``--gradio`` questions asked one at a time through the page on loopback; the breakdown is printed
as its own table.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from datetime import UTC, date, datetime

from common.settings import (  # first: telemetry off before anything else
    REPO_ROOT,
    load_settings,
)
from bench.results import report

GOLD = REPO_ROOT / "evals" / "gold" / "questions.yaml"


def time_retrieval(bot, items, *, repeat: int = 1) -> list[float]:
    """Milliseconds of ``bot.retriever.search`` per question (default k), each timed as a new question."""
    from bench.stages import forget_query_vectors

    out = []
    for _ in range(repeat):
        for item in items:
            forget_query_vectors(bot)
            started = time.perf_counter()
            bot.retriever.search(item.question, region=item.province, as_of=item.as_of or date.today())
            out.append((time.perf_counter() - started) * 1000)
    return out


def time_answers(bot, items, *, repeat: int = 1) -> tuple[list[float], float]:
    """Milliseconds of ``bot.ask`` per question, and the wall time of the whole pass in seconds; each
    question timed as a new one (its vector not kept from the retrieval pass)."""
    from bench.stages import forget_query_vectors
    from bot.guards import QuestionError

    out = []
    pass_started = time.perf_counter()
    for _ in range(repeat):
        for item in items:
            forget_query_vectors(bot)
            started = time.perf_counter()
            try:
                bot.ask(item.question, region=item.province, as_of=item.as_of or date.today())
            except QuestionError:
                pass  # refused by the guards: a (fast) answer all the same
            out.append((time.perf_counter() - started) * 1000)
    return out, time.perf_counter() - pass_started


def warm_up(bot, items, *, count: int) -> None:
    """Ask a few questions (retrieval and answer) so caches and lazy loads are out of the way."""
    time_retrieval(bot, items[:count])
    time_answers(bot, items[:count])


def summarize(label: str, values: list[float]) -> dict:
    from evals.metrics import percentile

    ordered = sorted(values)
    return {f"{label}_{name}_ms": round(percentile(ordered, q), 1) for name, q in (("p50", 50), ("p95", 95), ("p99", 99))}


def run(*, warmup: int = 5, repeat: int = 1, gradio: int = 40) -> dict:
    import tempfile

    from bench.stages import breakdown, gradio_overhead, profile_answers
    from evals.metrics import load_gold
    from kb.query_engine import engine_name
    from laoquan.app import load_bot

    items = load_gold(GOLD)
    load_before = round(os.getloadavg()[0], 2)  # anything else busy shows here
    load_started = time.perf_counter()
    bot = load_bot(load_settings())
    load_s = time.perf_counter() - load_started
    warm_up(bot, items, count=warmup)
    retrieval_ms = time_retrieval(bot, items, repeat=repeat)
    answer_ms, answer_s = time_answers(bot, items, repeat=repeat)
    stages = breakdown(profile_answers(bot, items))  # after the plain timings: the stage timers cost a little
    if gradio:
        with tempfile.TemporaryDirectory(prefix="laoquan-bench-") as records_dir:
            stages.update(gradio_overhead(bot, [item.question for item in items[:gradio]], settings=load_settings(), records_dir=records_dir))
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "bench": "ask",
        "machine": f"{platform.machine()} {len(os.sched_getaffinity(0))} cores",
        "questions": len(answer_ms),
        "warmup": warmup,
        "loadavg_1m_before": load_before,
        "query_engine": engine_name(bot.retriever.embedder),
        "load_bot_s": round(load_s, 1),
        **summarize("retrieval", retrieval_ms),
        **summarize("answer", answer_ms),
        "answers_per_s": round(len(answer_ms) / answer_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **stages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=int, default=5, help="questions asked first, not counted")
    parser.add_argument("--repeat", type=int, default=1, help="passes over the gold set")
    parser.add_argument("--gradio", type=int, default=40, help="questions asked through the page for Gradio's overhead (0: skip)")
    args = parser.parse_args()
    row = run(warmup=args.warmup, repeat=args.repeat, gradio=args.gradio)
    report(row)
    from bench.stages import stage_table

    print("\n" + stage_table(row))


if __name__ == "__main__":
    main()
