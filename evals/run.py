"""``./run eval` (`python -m evals.run`)`: run the gold set through the bot and the textbook baseline, write the report.

For every item the bot answers (outcome, citations, latency) and the retriever's top 5 are kept;
the baseline's top-4 chunks are scored beside them. Figures are given per split — dev (where
thresholds and weights are chosen) and test (never tuned on) — and per slice (topic, persona,
style) for the test split. The report is written as JSON (with every item's details) and
Markdown to ``evals/reports/`` (committed) and a time-stamped copy under the data folder.
"""
from __future__ import annotations

import json
import platform
import time
from collections import defaultdict
from datetime import date, datetime, timezone
from pathlib import Path

from evals.metrics import GoldItem, ItemResult, load_gold, score, score_policy
from common.settings import REPO_ROOT, Settings

GOLD_FILE = REPO_ROOT / "evals" / "gold" / "questions.yaml"
POLICY_FILE = REPO_ROOT / "evals" / "gold" / "policy.yaml"
WORDS_FILE = REPO_ROOT / "evals" / "gold" / "worker_words.yaml"
"""A second held-out set: situations in workers' own words, avoiding the articles' legal terms
(written later, by someone who had not seen the retrieval aids or the other gold sets)."""
REPORTS_DIR = REPO_ROOT / "evals" / "reports"

METRICS = [
    ("doc_recall_at_1", "doc recall@1"),
    ("doc_recall_at_5", "doc recall@5"),
    ("article_hit_at_1", "article hit@1 (the article a conclusion names)"),
    ("article_hit_at_5", "article hit@5"),
    ("article_recall_at_5", "article recall@5"),
    ("mrr", "MRR"),
    ("citation_precision", "citation precision"),
    ("cites_gold_article", "answers citing a gold article"),
    ("citations_per_answer", "citations per answer"),
    ("refusal_accuracy", "refusal accuracy"),
    ("refusal_recall", "refusals caught"),
    ("false_refusal_rate", "false refusals"),
    ("latency_p50_ms", "answer p50 ms"),
    ("latency_p95_ms", "answer p95 ms"),
]


def run_bot(bot, items: list[GoldItem], *, with_notes: bool = False) -> tuple[list[ItemResult], list[float]]:
    """The bot's results (with the item's province and as-of date), plus retrieval-only latencies.
    Every citation is checked against the catalog: a text not in force on the as-of date is
    recorded as expired."""
    from bot.guards import QuestionError

    results, retrieval_ms = [], []
    for item in items:
        as_of = item.as_of or date.today()
        started = time.perf_counter()
        try:
            answer = bot.ask(item.question, region=item.province, as_of=as_of)
            outcome, cited = answer.outcome, [(c.doc_id, c.article) for c in answer.citations]
        except QuestionError:
            outcome, cited = "refused", []
        latency = (time.perf_counter() - started) * 1000
        retrieval = bot.retriever.search(item.question, k=5, region=item.province, as_of=as_of)
        retrieval_ms.append(retrieval.timings_ms["total"])
        ranked = [(h.doc_id, h.article) for h in retrieval.hits]
        if with_notes:  # 要点 are their own group: the five best law articles, then the five best 要点
            ranked += [(n.doc_id, n.article) for n in retrieval.notes[:5]]
        expired = [(d, a) for d, a in cited if not bot.catalog.get(d).in_force(as_of)]
        results.append(ItemResult(item, ranked, outcome, cited, latency, expired))
    return results, retrieval_ms


def run_baseline(baseline, items: list[GoldItem]) -> list[ItemResult]:
    results = []
    for item in items:
        started = time.perf_counter()
        ranked = baseline.search(item.question)
        latency = (time.perf_counter() - started) * 1000
        cited = ranked  # the textbook pipeline shows every chunk it retrieved, never refuses
        results.append(ItemResult(item, ranked, "answered", cited, latency))
    return results


def run_eval(settings: Settings, *, split: str = "all", baseline: bool = True, out_dir: Path | None = None, gold_path: Path = GOLD_FILE) -> str:
    from evals.baseline import TextbookBaseline
    from evals.metrics import percentile
    from laoquan.app import load_bot

    items = [i for i in load_gold(gold_path) if split == "all" or i.split == split]
    # The gold-set figures are the LLM-free product's: an LLM configured for serving is not used here
    # (``python -m evals.llm_report`` gives the figures with it).
    settings = settings.replace(llm="")
    bot = load_bot(settings)
    ours, retrieval_ms = run_bot(bot, items)
    systems = {"laoquan": ours}
    if baseline:
        textbook = TextbookBaseline(
            catalog=bot.catalog, sources=settings.paths.sources, embedder=bot.retriever.embedder, cache_dir=settings.paths.data_dir / "cache"
        )
        systems["textbook baseline"] = run_baseline(textbook, items)

    policy = {}
    if POLICY_FILE.is_file():
        policy_items = [i for i in load_gold(POLICY_FILE) if split == "all" or i.split == split]
        policy_results, _ = run_bot(bot, policy_items, with_notes=True)
        for s_name in ("dev", "test"):
            subset = [r for r in policy_results if r.item.split == s_name]
            by_slice = defaultdict(list)
            for r in subset:
                by_slice[r.item.slice or "—"].append(r)
            policy[s_name] = {name: {"n": len(rs), **score_policy(rs)} for name, rs in sorted(by_slice.items())}
            policy[s_name]["all"] = {"n": len(subset), **score_policy(subset)}
        policy["items"] = [_item_json(r) for r in policy_results]

    words = {}
    if WORDS_FILE.is_file():
        word_items = [i for i in load_gold(WORDS_FILE) if split == "all" or i.split == split]
        word_systems = {"laoquan": run_bot(bot, word_items)[0]}
        if baseline:
            word_systems["textbook baseline"] = run_baseline(textbook, word_items)
        word_splits = ["dev", "test"] if split == "all" else [split]
        words = {
            "figures": {name: {sp: score([r for r in rs if r.item.split == sp], k=5 if name == "laoquan" else 10**6)
                               for sp in word_splits} for name, rs in word_systems.items()},
            "items": [_item_json(r) for r in word_systems["laoquan"]],
        }

    from evals.gold_sets import available_sets
    from evals.slices import by_slice, run_slices

    slices = by_slice(run_slices(bot, available_sets(), baseline=textbook if baseline else None, split=split))
    from evals.numeric import NUMERIC_SETS, load_numeric, score_numeric

    numeric = {name: score_numeric(bot, [i for i in load_numeric(path) if split == "all" or i.split == split])
               for name, path in NUMERIC_SETS.items() if path.is_file()}
    from evals.multiturn import MULTITURN_SETS, load_multiturn, score_multiturn

    multiturn = {name: score_multiturn(bot, [c for c in load_multiturn(path) if split == "all" or c.split == split])
                 for name, path in MULTITURN_SETS.items() if path.is_file()}

    splits = ["dev", "test"] if split == "all" else [split]
    figures = {}
    for name, results in systems.items():
        k = 5 if name == "laoquan" else 10**6  # the baseline is credited with all articles in its 4 chunks
        figures[name] = {s: score([r for r in results if r.item.split == s], k=k) for s in splits}
    retrieval_sorted = sorted(retrieval_ms)
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.system()}, {_cpu_count()} cores",
        "gold": str(gold_path.relative_to(REPO_ROOT)) if gold_path.is_relative_to(REPO_ROOT) else str(gold_path),
        "index_chunks": len(bot.retriever),
        "retrieval_p50_ms": percentile(retrieval_sorted, 50),
        "retrieval_p95_ms": percentile(retrieval_sorted, 95),
        "figures": figures,
        "style_slices": slices,
        "numeric": numeric,
        "multiturn": multiturn,
        "slices": _slices(ours),
        "expired_citations": sum(len(r.expired) for r in ours),
        "policy": policy,
        "worker_words": words,
        "items": [_item_json(r) for r in ours],
        "actionability": _actionability(bot, split),
    }
    markdown = render_markdown(report)
    for folder in (out_dir or REPORTS_DIR, settings.paths.reports_dir):
        folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    (out_dir or REPORTS_DIR).joinpath("latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir or REPORTS_DIR).joinpath("latest.md").write_text(markdown, encoding="utf-8")
    settings.paths.reports_dir.joinpath(f"eval-{stamp}.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    return markdown


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


def _slices(results: list[ItemResult]) -> dict:
    """Article hit@5 and refusal accuracy per topic, persona and style, on the test split."""
    out = {}
    test = [r for r in results if r.item.split == "test"]
    for field in ("topic", "persona", "style"):
        groups = defaultdict(list)
        for r in test:
            groups[getattr(r.item, field) or "—"].append(r)
        out[field] = {
            name: {"n": len(rs), **{k: v for k, v in score(rs).items() if k in ("article_hit_at_5", "doc_recall_at_5", "refusal_accuracy")}}
            for name, rs in sorted(groups.items(), key=lambda kv: -len(kv[1]))
        }
    return out


def _item_json(r: ItemResult) -> dict:
    return {
        "id": r.item.id,
        "split": r.item.split,
        "question": r.item.question,
        "expect": r.item.expect,
        "gold": [list(c) for c in r.item.citations],
        "outcome": r.outcome,
        "cited": [list(c) for c in r.cited],
        "top5": [list(c) for c in r.ranked],
        "latency_ms": round(r.latency_ms, 1),
        "province": r.item.province,
        "as_of": r.item.as_of.isoformat() if r.item.as_of else None,
        "expired": [list(c) for c in r.expired],
    }


def _fmt(key: str, value) -> str:
    if value is None:
        return "—"
    if key.endswith("_ms"):
        return f"{value:.0f}"
    return f"{value:.2f}"


def _actionability(bot, split: str) -> dict:
    """The actionability set (``evals/gold/actions.yaml``) through the bot: figures per split and per item."""
    from evals.actionability import ACTIONS_FILE, load_actions, run_actions, summarise

    if not ACTIONS_FILE.is_file():
        return {}
    items = [i for i in load_actions() if split == "all" or i.split == split]
    rows = run_actions(bot, items)
    return {
        **{sp: summarise([r for r in rows if r["split"] == sp]) for sp in ("dev", "test") if split in ("all", sp)},
        "items": rows,
    }


ACTION_METRICS = [
    ("with_conclusion", "answers with a conclusion (≤ 85 chars: a guide's ≤ 40, an article's rule ≤ 85)"),
    ("has_actions", "answers with a 行动清单"),
    ("cited_deadline", "行动清单 with a deadline quoted from a cited article"),
    ("guided", "answers following a 办事指南"),
    ("refused", "refused"),
    ("steps", "required next steps named"),
    ("referral", "a required referral offered"),
    ("deadline", "required time limit quoted with its article"),
    ("evidence", "evidence kinds mentioned"),
    ("asks_or_conditions", "missing fact asked or answered conditionally"),
    ("actionability", "actionability (steps, referral, deadline)"),
    ("chars_per_sentence", "characters per sentence (conclusion + points)"),
    ("jargon_per_100", "legal jargon words per 100 characters"),
    ("faithfulness", "faithfulness (points supported by the passage they cite)"),
    ("misattribution", "citation misattribution (point backed only by another citation)"),
]


def render_markdown(report: dict) -> str:
    systems = list(report["figures"])
    splits = list(report["figures"][systems[0]])
    lines = [
        "# Evaluation report",
        "",
        f"Run {report['when']} on {report['machine']}; gold set `{report['gold']}`; index of {report['index_chunks']} chunks.",
        f"Retrieval alone: p50 {report['retrieval_p50_ms']:.0f} ms, p95 {report['retrieval_p95_ms']:.0f} ms.",
        "",
        "The test split is never used to choose thresholds or weights. The baseline is LangChain's "
        "RecursiveCharacterTextSplitter (1000/200) with dense top-4 over the same texts and model; it is "
        "credited with every article inside its 4 chunks, and it never refuses.",
        "",
    ]
    from evals.slices import render_slices

    if report.get("style_slices"):
        lines += render_slices(report["style_slices"])
        numeric = report.get("numeric") or {}
        if numeric:
            lines += ["## The numbers (`evals/gold/numeric*.yaml`, 算一算)", "",
                      "Right: every expected number stated in the conclusion or points, one of the item's articles cited, and a "
                      "missing fact asked back (refuse items: refused). Each set written from the texts by someone who never saw the calculator.", "",
                      "| set | split | n | right | answerable right | numbers stated | article cited | refusals right |", "|---|---|---|---|---|---|---|---|"]
            for name, by_split in numeric.items():
                for sp in ("dev", "test"):
                    if sp in by_split:
                        f = by_split[sp]
                        lines.append(f"| {name} | {sp} | {f['n']} | {f['right']:.2f} | {f['answerable_right']:.2f} | {f['numbers_stated']:.2f} | {f['article_cited']:.2f} | {f['refusals_right']:.2f} |")
            lines.append("")
        multiturn = report.get("multiturn") or {}
        if multiturn:
            lines += ["## Conversations (`evals/gold/multiturn.yaml`, `multiturn2.yaml`)", "",
                      "Each conversation asked turn by turn with one Conversation, as the page does. Right: one of the turn's articles "
                      "among the answer's first five law citations and, for a follow-up, a conclusion other than the previous turn's "
                      "(refuse turns: refused). Strict: also every `must_mention` (copied verbatim from the article) in what the worker "
                      "reads — plain-word rules often say the same in other words, so it is shown on its own.", "",
                      "| set | split | turn | n | right | strict | cited | new conclusion |", "|---|---|---|---|---|---|---|---|"]
            for name, by_split in multiturn.items():
                for sp in ("dev", "test"):
                    for kind, f in (by_split.get(sp) or {}).items():
                        lines.append(f"| {name} | {sp} | {kind} | {f['n']} | {f['right']:.2f} | {_fmt('x', f.get('strict'))} | "
                                     f"{_fmt('x', f.get('cited'))} | {_fmt('x', f.get('new'))} |")
            lines.append("")
        lines += ["## The first gold set in detail (`evals/gold/questions.yaml`)", ""]
    header = "| metric | " + " | ".join(f"{s} ({sp})" for sp in splits for s in systems) + " |"
    lines += [header, "|---|" + "---|" * (len(splits) * len(systems))]
    n_row = "| items (answerable / to refuse) | " + " | ".join(
        f"{report['figures'][s][sp]['answerable']} / {report['figures'][s][sp]['refusable']}" for sp in splits for s in systems
    ) + " |"
    lines.append(n_row)
    for key, label in METRICS:
        cells = [_fmt(key, report["figures"][s][sp].get(key)) for sp in splits for s in systems]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"Citations of texts not in force on the as-of date, over all answers: {report.get('expired_citations', 0)}."]
    words = report.get("worker_words") or {}
    if words:
        w_systems = list(words["figures"])
        w_splits = list(words["figures"][w_systems[0]])
        lines += [
            "",
            "## Workers' own words (`evals/gold/worker_words.yaml`)",
            "",
            "A second held-out set, written later from the texts by someone who had not seen the retrieval aids "
            "(worker questions, concept lexicon, guides) or the other gold sets: situations described without the "
            "articles' legal terms. Same metrics, same split rule; the test half is never inspected item by item.",
            "",
            "| metric | " + " | ".join(f"{s} ({sp})" for sp in w_splits for s in w_systems) + " |",
            "|---|" + "---|" * (len(w_splits) * len(w_systems)),
            "| items (answerable / to refuse) | " + " | ".join(
                f"{words['figures'][s][sp]['answerable']} / {words['figures'][s][sp]['refusable']}" for sp in w_splits for s in w_systems) + " |",
        ]
        for key, label in METRICS:
            lines.append(f"| {label} | " + " | ".join(_fmt(key, words["figures"][s][sp].get(key)) for sp in w_splits for s in w_systems) + " |")
    policy = report.get("policy") or {}
    if policy:
        lines += [
            "",
            "## Policy, region and time (`evals/gold/policy.yaml`)",
            "",
            "Right document cited / in the top 5 (notes have no stable article labels), forbidden documents cited "
            "(another province's rule, a text not in force), refusal accuracy, expired citations.",
            "",
            "| split | slice | n | cites a right doc | right doc in top 5 | cites a forbidden doc | refusal accuracy | expired |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for sp in ("dev", "test"):
            for name, f in (policy.get(sp) or {}).items():
                lines.append(
                    f"| {sp} | {name} | {f['n']} | {_fmt('x', f.get('cites_right_doc'))} | {_fmt('x', f.get('right_doc_in_top5'))} | "
                    f"{_fmt('x', f.get('cites_forbidden'))} | {_fmt('x', f.get('refusal_accuracy'))} | {f.get('expired_citations', 0)} |"
                )
    actions = report.get("actionability") or {}
    if actions:
        splits_here = [sp for sp in ("dev", "test") if sp in actions]
        lines += [
            "",
            "## Can a worker act on it? (`evals/gold/actions.yaml`)",
            "",
            "Scored on the worker-facing parts only (conclusion, points, 行动清单, triage, referrals), never on the quoted sources; "
            "see `evals/actionability.py` for each definition.",
            "",
            "| metric | " + " | ".join(f"{sp} (n={actions[sp]['n']})" for sp in splits_here) + " |",
            "|---|" + "---|" * len(splits_here),
        ]
        for key, label in ACTION_METRICS:
            lines.append(f"| {label} | " + " | ".join(_fmt("x", actions[sp].get(key)) for sp in splits_here) + " |")
    for field, groups in report["slices"].items():
        lines += ["", f"## Test split by {field} (laoquan)", "", f"| {field} | n | doc hit@5 | article hit@5 | refusal accuracy |", "|---|---|---|---|---|"]
        for name, f in groups.items():
            lines.append(
                f"| {name} | {f['n']} | {_fmt('x', f.get('doc_recall_at_5'))} | {_fmt('x', f.get('article_hit_at_5'))} | {_fmt('x', f.get('refusal_accuracy'))} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m evals.run`` (``./run eval``): score the bot and the baseline on every gold set."""
    import argparse

    from common.settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m evals.run", description="score retrieval, citations, refusals and latency on the gold sets")
    parser.add_argument("--split", choices=["dev", "test", "all"], default="all")
    parser.add_argument("--no-baseline", action="store_true", help="skip the textbook LangChain baseline")
    parser.add_argument("--out", type=Path, help="report folder (default evals/reports)")
    parser.add_argument("--sources", type=Path, help="folder of the official texts (default ../shared/corpus-raw)")
    parser.add_argument("--data-dir", type=Path, help="data folder with the index (default data/)")
    args = parser.parse_args(argv)
    settings = load_settings(sources=args.sources.resolve() if args.sources else None, data_dir=args.data_dir.resolve() if args.data_dir else None)
    print(run_eval(settings, split=args.split, baseline=not args.no_baseline, out_dir=args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
