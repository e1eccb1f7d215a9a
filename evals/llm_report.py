"""``python -m evals.llm_report --sample N``: the actionability figures with the configured LLM writing the answers.

The default ``./run eval` (`python -m evals.run`)` is LLM-free (the product's default). This report runs a fixed sample
of ``evals/gold/actions.yaml`` through ``load_bot(settings)`` with ``LAOQUAN_LLM`` set (a local
``gguf:PATH`` model or an ``openai``-compatible service), so the LLM rewrites each answer and
:mod:`bot.faithfulness` checks it before it is shown (:mod:`bot.llm`). Per split it reports:

- how often the LLM's text was shown (``llm.checked`` and not ``fallback``) and how often the
  LLM-free answer was shown instead, with why (the flag kinds of the fallbacks);
- the actionability figures of :mod:`evals.actionability` on the *final shown* answer, beside the
  same figures for the LLM-free bot on the same items;
- the key figure: **shown sentences that fail the support check when re-checked independently**
  (:func:`recheck_shown`): every sentence of a shown conclusion and of the shown points is checked
  again with :func:`bot.faithfulness.check_sentence` against the answer's own citations. The writer
  drops every sentence that fails, so this must be 0; anything else is a bug in the writer's check;
- seconds per answer (the whole ask, retrieval included) and of the LLM alone.

The sample is fixed and documented: the first ``N/2`` dev and ``N/2`` test items, ordered by id
(the split is ``evals.actionability.split_of``). Item questions are not copied into the report.
Writes ``evals/reports/llm.md`` and ``llm.json`` (committed).
"""
from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

from evals.actionability import ActionItem, score_answer, summarise
from common.settings import REPO_ROOT, Settings

REPORTS_DIR = REPO_ROOT / "evals" / "reports"

NO_LLM_MESSAGE = (
    "没有配置大模型：请设置 LAOQUAN_LLM=gguf:/路径/模型.gguf 或 LAOQUAN_LLM=openai（再加 LAOQUAN_LLM_MODEL 等）。\n"
    "No LLM configured: set LAOQUAN_LLM=gguf:/path/model.gguf or LAOQUAN_LLM=openai (with LAOQUAN_LLM_MODEL …)."
)

FATAL_KINDS = ("timeout", "model_error", "empty", "too_long", "no_conclusion", "conclusion_too_long",
               "bad_citation", "quote_not_verbatim", "too_few_points", "too_many_unsupported")
"""Flag kinds that make the writer fall back (see ``bot.faithfulness.check_draft`` and ``bot.llm``)."""


def sample_items(items: list[ActionItem], n: int) -> list[ActionItem]:
    """The first ``n // 2`` dev and ``n - n // 2`` test items, each ordered by id: a fixed sample."""
    dev = sorted((i for i in items if i.split == "dev"), key=lambda i: i.id)[: n // 2]
    test = sorted((i for i in items if i.split == "test"), key=lambda i: i.id)[: n - n // 2]
    return dev + test


def shown_sentences(answer) -> list[tuple[str, str]]:
    """``(part, sentence)`` for every LLM-written sentence a worker sees: the conclusion and each
    sentence of each point — only when the LLM's text was shown (else nothing of it is)."""
    from bot.faithfulness import split_sentences

    llm = answer.llm or {}
    if not llm.get("checked") or llm.get("fallback"):
        return []
    out = [("conclusion", answer.conclusion)] if answer.conclusion else []
    out += [("point", s) for point in answer.points for s in split_sentences(point)]
    return out


def recheck_shown(answer, *, min_support: float) -> list[dict]:
    """The shown sentences that fail :func:`bot.faithfulness.check_sentence` when checked again,
    independently of the writer, against the answer's citations (the conclusion against all of
    them, as the writer does; a point's sentence against the passages it cites, advice to the
    answer's own referrals allowed). Also fails a conclusion over 40 characters."""
    from bot.faithfulness import CONCLUSION_MAX_CHARS, HOTLINES, check_sentence, evidence_for
    from bot.llm import _offices

    evidence = evidence_for(answer.citations)
    offices = _offices(answer)
    hotlines = HOTLINES + tuple(o for o in offices if o.isdigit() and o not in HOTLINES)
    failures = []
    for part, sentence in shown_sentences(answer):
        if part == "conclusion":
            check = check_sentence(sentence, evidence, min_support=min_support, cites_all=True)
            if check.ok and len(re.sub(r"\[\d+\]", "", sentence).rstrip("。！!")) > CONCLUSION_MAX_CHARS:
                failures.append({"part": part, "text": sentence, "why": "conclusion_too_long"})
                continue
        else:
            check = check_sentence(sentence, evidence, min_support=min_support, hotlines=hotlines, offices=offices)
        if not check.ok:
            failures.append({"part": part, "text": sentence, "why": check.why, "missing": list(check.missing)[:8]})
    return failures


def fallback_reasons(llm: dict) -> list[str]:
    """Why the LLM-free answer was shown: the fatal flag kinds (a failed conclusion as ``conclusion:<why>``)."""
    reasons = []
    for flag in llm.get("flags") or []:
        kind = flag.get("kind", "")
        if flag.get("part") == "conclusion":
            reasons.append(f"conclusion:{kind}")
        elif kind in FATAL_KINDS:
            reasons.append(kind)
    return list(dict.fromkeys(reasons)) or ["unknown"]


def run_llm_items(llm_bot, plain_bot, items: list[ActionItem], *, min_support: float, progress: bool = False) -> list[dict]:
    """Each item through the LLM-wrapped bot (scored on what is shown) and the LLM-free bot
    (``progress``: a line per answer on stderr — a local model takes tens of seconds each)."""
    from bot.guards import QuestionError

    rows = []
    for item in items:
        started = time.perf_counter()
        try:
            answer = llm_bot.ask(item.question, region=item.province)
        except QuestionError:
            rows.append({"id": item.id, "split": item.split, "status": "question_error"})
            continue
        seconds = time.perf_counter() - started
        llm = answer.llm or {}
        if not llm:
            status = "not_sent"  # refused or nothing to cite: the writer leaves the answer alone
        else:
            status = "shown" if llm.get("checked") and not llm.get("fallback") else "fallback"
        row = {
            "id": item.id,
            "split": item.split,
            "status": status,
            "reasons": fallback_reasons(llm) if status == "fallback" else [],
            # kinds only: a dropped sentence can echo the item's question, which stays out of the report
            "dropped": [{"kind": f.get("kind"), "part": f.get("part")} for f in llm.get("flags") or [] if f.get("part")],
            "shown_sentences": len(shown_sentences(answer)),
            "shown_unsupported": recheck_shown(answer, min_support=min_support),
            "seconds": round(seconds, 2),
            "llm_seconds": round((answer.timings_ms or {}).get("llm", 0.0) / 1000, 2),
            "llm_scores": _scores(item, answer),
        }
        row["plain_scores"] = _scores(item, plain_bot.ask(item.question, region=item.province)) if plain_bot else None
        rows.append(row)
        if progress:
            print(f"{len(rows)}/{len(items)} {item.id} {status} {seconds:.0f} s {' '.join(row['reasons'])}", file=sys.stderr, flush=True)
    return rows


def _scores(item: ActionItem, answer) -> dict:
    scores = score_answer(item, answer)
    return {k: v for k, v in scores.items() if k not in ("id",)}


def summarise_split(rows: list[dict]) -> dict:
    """The figures of one split."""
    asked = [r for r in rows if r["status"] != "question_error"]
    n = len(asked)
    reasons = Counter(reason for r in asked if r["status"] == "fallback" for reason in r["reasons"])
    seconds = sorted(r["seconds"] for r in asked)
    out = {
        "n": n,
        "shown": sum(r["status"] == "shown" for r in asked) / n if n else None,
        "fallback": sum(r["status"] == "fallback" for r in asked) / n if n else None,
        "not_sent": sum(r["status"] == "not_sent" for r in asked) / n if n else None,
        "fallback_reasons": dict(reasons.most_common()),
        "shown_sentences": sum(r["shown_sentences"] for r in asked),
        "shown_unsupported": sum(len(r["shown_unsupported"]) for r in asked),
        "sentences_dropped": sum(1 for r in asked if r["status"] == "shown" for _ in r["dropped"]),
        "seconds_mean": sum(seconds) / n if n else None,
        "seconds_max": seconds[-1] if seconds else None,
        "llm_seconds_mean": sum(r["llm_seconds"] for r in asked) / n if n else None,
        "llm": summarise([_score_row(r, "llm_scores") for r in asked]) if asked else {},
        "plain": summarise([_score_row(r, "plain_scores") for r in asked if r["plain_scores"]]) if asked else {},
    }
    return out


def _score_row(row: dict, key: str) -> dict:
    return {**row[key], "id": row["id"]}


def build_report(settings: Settings, rows: list[dict], *, sample: int) -> dict:
    from bot.llm import model_label

    backend = "gguf" if settings.llm.backend.startswith("gguf:") else settings.llm.backend
    return {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": _machine(),
        "backend": backend,
        "model": model_label(settings),
        "timeout_s": settings.llm.timeout,
        "min_support": settings.llm.min_support,
        "sample": sample,
        "sample_rule": "first N/2 dev and N/2 test items of evals/gold/actions.yaml, ordered by id",
        "splits": {sp: summarise_split([r for r in rows if r["split"] == sp]) for sp in ("dev", "test")},
        "all": summarise_split(rows),
        "items": rows,
    }


def _machine() -> str:
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0
    return f"{platform.machine()}, {platform.system()}, {cores} cores"


def _fmt(value, *, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


ROWS = [
    ("n", "answers"),
    ("shown", "LLM text shown (checked, no fallback)"),
    ("fallback", "fallback to the LLM-free answer"),
    ("not_sent", "not sent to the LLM (refused / no citation)"),
    ("shown_sentences", "LLM sentences shown"),
    ("shown_unsupported", "**shown sentences failing the support check (re-checked)**"),
    ("sentences_dropped", "sentences dropped by the check in shown answers"),
    ("seconds_mean", "seconds per answer (mean)"),
    ("seconds_max", "seconds per answer (max)"),
    ("llm_seconds_mean", "seconds of LLM per answer (mean)"),
]

QUALITY_ROWS = [
    ("with_conclusion", "answers with a conclusion (≤ 40 chars)"),
    ("actionability", "actionability (steps, referral, deadline)"),
    ("steps", "required next steps named"),
    ("chars_per_sentence", "characters per sentence (conclusion + points)"),
    ("jargon_per_100", "legal jargon words per 100 characters"),
    ("faithfulness", "faithfulness (points supported by the passage they cite)"),
    ("misattribution", "citation misattribution"),
]


def render_markdown(report: dict) -> str:
    splits = ["dev", "test", "all"]
    figures = {**report["splits"], "all": report["all"]}
    lines = [
        "# LLM writing: what is shown, and is it supported",
        "",
        f"Run {report['when']} on {report['machine']} (shared with other work); backend `{report['backend']}`, "
        f"model `{report['model']}`, timeout {report['timeout_s']:.0f} s, min support {report['min_support']}.",
        f"Sample: {report['sample']} items — {report['sample_rule']}. Made by `python -m evals.llm_report --sample N` "
        "(see the module docstring); the default `./run eval` (`python -m evals.run`) stays LLM-free.",
        "",
        "| figure | " + " | ".join(f"{sp} (n={figures[sp]['n']})" for sp in splits) + " |",
        "|---|" + "---|" * len(splits),
    ]
    for key, label in ROWS:
        lines.append(f"| {label} | " + " | ".join(_fmt(figures[sp].get(key)) for sp in splits) + " |")
    lines += ["", "Why the LLM-free answer was shown instead (answers per reason; one answer can have several):", ""]
    reasons = figures["all"]["fallback_reasons"]
    lines += [f"- `{k}`: {v}" for k, v in reasons.items()] or ["- (no fallback)"]
    lines += [
        "",
        "## The final shown answer, scored as in `./run eval` (`python -m evals.run`) (`evals/actionability.py`)",
        "",
        "| metric | " + " | ".join(f"{sp} {who}" for sp in splits for who in ("LLM-free", "with LLM")) + " |",
        "|---|" + "---|" * (2 * len(splits)),
    ]
    for key, label in QUALITY_ROWS:
        cells = [_fmt((figures[sp].get(who) or {}).get(key)) for sp in splits for who in ("plain", "llm")]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    failing = [(r["id"], f) for r in report["items"] for f in r.get("shown_unsupported") or []]
    if failing:
        lines += ["", "## Shown sentences that fail the re-check", ""]
        lines += [f"- {item_id} ({f['part']}, `{f['why']}`): {f['text']}" for item_id, f in failing]
    lines += ["", "## Per answer", "", "| id | split | status | reasons | sentences shown | s |", "|---|---|---|---|---|---|"]
    for r in report["items"]:
        if r["status"] == "question_error":
            lines.append(f"| {r['id']} | {r['split']} | question_error | | | |")
            continue
        lines.append(f"| {r['id']} | {r['split']} | {r['status']} | {', '.join(r['reasons'])} | {r['shown_sentences']} | {r['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


def run_llm_report(settings: Settings, *, sample: int, out_dir: Path | None = None, items: list[ActionItem] | None = None, chat_model=None, embedder=None, progress: bool = False) -> dict:
    """Run the sample through the LLM-wrapped and the LLM-free bot; write llm.json and llm.md.
    (``items``, ``chat_model``, ``embedder``: for tests — other items, a stand-in model, a loaded embedder.)"""
    from evals.actionability import load_actions
    from laoquan.app import load_bot

    chosen = sample_items(items if items is not None else load_actions(), sample)
    llm_bot = load_bot(settings, chat_model=chat_model, embedder=embedder)
    plain_bot = load_bot(settings.replace(llm=""), embedder=llm_bot.retriever.embedder)
    rows = run_llm_items(llm_bot, plain_bot, chosen, min_support=settings.llm.min_support, progress=progress)
    report = build_report(settings, rows, sample=len(chosen))
    folder = out_dir or REPORTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    folder.joinpath("llm.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    folder.joinpath("llm.md").write_text(render_markdown(report), encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    from common.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m evals.llm_report", description=__doc__.split("\n")[0])
    parser.add_argument("--sample", type=int, default=12, help="items: the first N/2 dev and N/2 test by id (default 12)")
    parser.add_argument("--out", type=Path, help="report folder (default evals/reports)")
    args = parser.parse_args(argv)
    settings = load_settings()
    if not settings.llm.backend.strip():
        print(NO_LLM_MESSAGE, file=sys.stderr)
        return 2
    if args.sample < 1:
        parser.error("--sample must be at least 1")
    report = run_llm_report(settings, sample=args.sample, out_dir=args.out, progress=True)
    print(render_markdown(report))
    return 1 if report["all"]["shown_unsupported"] else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
