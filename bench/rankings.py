"""Dump the ranked ids of every eval question, to check that a speed change kept every ranking.

    python -m bench.rankings dump OUT.json          # this checkout's code
    python -m bench.rankings compare BEFORE.json AFTER.json

For every question of ``evals/gold/*.yaml`` (the question text, and its province and as-of date
when the item gives them — never the expected answers) it records the retriever's ranked hits
(chunk ids in order, with their scores), the best 要点, each single lane's ten best articles, and the
full default answer's outcome, guide and citations in order; a multi-turn conversation is asked turn
by turn in one :class:`bot.conversation.Conversation`. ``compare`` prints every difference of ids or
order and the largest score difference, and exits 1 when any ranking differs.

The file imports nothing of ``bench`` so that it can be run against another checkout's code
(``PYTHONPATH=/other/checkout python bench/rankings.py dump before.json``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

GOLD_DIR = Path(__file__).resolve().parent.parent / "evals" / "gold"
AS_OF = date(2026, 12, 7)
"""One as-of date for every question that gives none, so that two runs on different days compare."""


def eval_questions(gold_dir: Path = GOLD_DIR) -> list[dict]:
    """Every eval question as ``{"id", "turns": [question, ...], "province", "as_of"}`` — nothing else
    of the item is read."""
    import yaml

    out = []
    for path in sorted(gold_dir.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        items = data["items"] if isinstance(data, dict) else data
        for item in items:
            turns = [t["question"] for t in item["turns"]] if "turns" in item else [item["question"]]
            as_of = item.get("as_of")
            out.append({"id": f"{path.stem}:{item['id']}", "turns": turns, "province": item.get("province"),
                        "as_of": str(as_of) if as_of else None})
    return out


def _retrieval_row(retriever, question: str, region, as_of: date) -> dict:
    r = retriever.search(question, region=region, as_of=as_of, k=10)
    return {
        "hits": [h.chunk_id for h in r.hits],
        "scores": [round(float(h.score), 7) for h in r.hits],
        "dense": [None if h.dense is None else round(float(h.dense), 7) for h in r.hits],
        "notes": [h.chunk_id for h in r.notes],
        "lanes": {str(lane): [list(a) for a in arts] for lane, arts in r.lanes.items()},
        "in_scope": round(float(r.in_scope), 7),
        "confidence": round(float(r.confidence), 7),
    }


def _answer_row(bot, question: str, region, as_of: date, conversation) -> dict:
    from bot.guards import QuestionError

    try:
        a = bot.ask(question, region=region, as_of=as_of, conversation=conversation)
    except QuestionError as exc:
        return {"error": type(exc).__name__}
    return {"outcome": a.outcome, "guide": a.guide, "reason": str(a.reason or ""), "conclusion": a.conclusion,
            "citations": [[c.doc_id, c.article, c.quote] for c in a.citations]}


def dump(out: Path) -> int:
    from bot.conversation import Conversation
    from common.settings import load_settings
    from laoquan.app import load_bot

    bot = load_bot(load_settings())
    rows = {}
    started = time.perf_counter()
    for q in eval_questions():
        as_of = date.fromisoformat(q["as_of"]) if q["as_of"] else AS_OF
        conversation = Conversation() if len(q["turns"]) > 1 else None
        turns = []
        for question in q["turns"]:
            row = {"retrieval": _retrieval_row(bot.retriever, question, q["province"], as_of)}
            row["answer"] = _answer_row(bot, question, q["province"], as_of, conversation)
            turns.append(row)
        rows[q["id"]] = turns
    out.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"{len(rows)} questions dumped to {out} in {time.perf_counter() - started:.0f} s")
    return 0


def compare(before: Path, after: Path) -> int:
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    differences, turns, worst = [], 0, 0.0
    for qid in sorted(set(a) | set(b)):
        if qid not in a or qid not in b:
            differences.append(f"{qid}: only in {'after' if qid in b else 'before'}")
            continue
        for n, (x, y) in enumerate(zip(a[qid], b[qid])):
            turns += 1
            rx, ry = x["retrieval"], y["retrieval"]
            for key in ("hits", "notes", "lanes"):
                if rx[key] != ry[key]:
                    differences.append(f"{qid}#{n}: {key} differ: {rx[key]} vs {ry[key]}")
            for key in ("scores", "dense"):
                for u, v in zip(rx[key], ry[key]):
                    if u is not None and v is not None:
                        worst = max(worst, abs(u - v))
            for key in ("in_scope", "confidence"):
                worst = max(worst, abs(rx[key] - ry[key]))
            if x["answer"] != y["answer"]:
                differences.append(f"{qid}#{n}: answer differs: {x['answer']} vs {y['answer']}")
    for line in differences[:40]:
        print(line)
    print(f"{turns} turns compared; {len(differences)} differences; largest score difference {worst:.2e}")
    return 1 if differences else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    return dump(args.out) if args.command == "dump" else compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
