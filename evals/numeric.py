"""The numeric gold set (``evals/gold/numeric.yaml``): questions whose answer is a number.

Written from the texts by someone who never saw the calculator. An answerable item is right when
the worker-facing text (conclusion and points) states every expected number — money, months,
days, or a date (2026-03-15 is matched as 2026年3月15日 too) — *and* the answer cites one of the
item's articles. A must-refuse item is right when the bot refuses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import yaml

from evals.metrics import article_matches
from common.settings import REPO_ROOT

NUMERIC_FILE = REPO_ROOT / "evals" / "gold" / "numeric.yaml"
NUMERIC_SETS = {
    "first numeric set": NUMERIC_FILE,
    "second numeric set": REPO_ROOT / "evals" / "gold" / "numeric2.yaml",
    "third numeric set": REPO_ROOT / "evals" / "gold" / "numeric3.yaml",
    "fourth numeric set": REPO_ROOT / "evals" / "gold" / "numeric4.yaml",
    "fifth numeric set": REPO_ROOT / "evals" / "gold" / "numeric5.yaml",
}
"""Each written by a different helper from the texts alone, neither having seen the calculator; the
second one (sloppier facts: dates, 8k, 一万二, missing facts, local figures) after the calculator had
been fitted to the first one's dev half; the third one (session 6, a union hotline volunteer's third-person
notes) after the calculator had been fitted to both dev halves, scored before any change made for it; the
fourth (voice messages as the phone transcribes them) and the fifth (station intake forms), session 7, by two
more fresh helpers, scored first on the session's starting code. The calculator's session-7 work saw the
fourth set's dev half only and never the fifth."""


@dataclass(frozen=True)
class NumericItem:
    id: str
    question: str
    expect: str
    citations: tuple[tuple[str, str], ...]
    expected: tuple[str, ...]
    """Numbers as written in the set: ``26250``, ``3.5``, ``2026-03-15``."""
    split: str
    needs: tuple[str, ...] = ()
    """Facts the question leaves out that the number needs (工资 …): a right answer asks for them."""


def load_numeric(path=NUMERIC_FILE) -> list[NumericItem]:
    items = []
    for raw in yaml.safe_load(open(path, encoding="utf-8")) or []:
        items.append(NumericItem(
            id=str(raw["id"]), question=str(raw["question"]), expect=raw["expect"],
            citations=tuple((c["doc"], str(c["article"])) for c in raw.get("citations") or []),
            expected=tuple(str(n) for n in raw.get("expected_numbers") or []), split=raw.get("split", "dev"),
            needs=tuple(str(n) for n in raw.get("needs") or []),
        ))
    return items


def numbers_stated(text: str) -> tuple[set[float], set[date]]:
    """The numbers and dates a text states (12,000 and 1.2万 are 12000; 2026年3月15日 is a date)."""
    dates = {date(int(y), int(m), int(d)) for y, m, d in re.findall(r"(\d{4})\s*[年-]\s*(\d{1,2})\s*[月-]\s*(\d{1,2})", text)}
    values = set()
    for number, wan in re.findall(r"(\d[\d,]*(?:\.\d+)?)\s*(万)?", text):
        try:
            value = float(number.replace(",", ""))
        except ValueError:
            continue
        values.add(value * 10000 if wan else value)
    return values, dates


def states(expected: str, text: str) -> bool:
    values, dates = numbers_stated(text)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", expected):
        return date.fromisoformat(expected) in dates
    try:
        want = float(expected.replace(",", ""))
    except ValueError:
        return expected in text
    return any(abs(v - want) < 0.006 for v in values)


def score_numeric(bot, items: list[NumericItem]) -> dict:
    """Per split: share right (numbers and article), numbers stated, article cited, refusals right."""
    from bot.guards import QuestionError

    rows = []
    for item in items:
        try:
            answer = bot.ask(item.question, as_of=date(2026, 12, 7))
            text = "\n".join([answer.conclusion, *answer.points])
            cited = [(c.doc_id, c.article) for c in answer.citations]
            outcome = answer.outcome
            asks_back = answer.triage is not None
        except QuestionError:
            text, cited, outcome, asks_back = "", [], "refused", False
        # a question that leaves out a needed fact: the numbers that can be worked out, and the fact asked for
        numbers_ok = (bool(item.expected) or bool(item.needs)) and all(states(n, text) for n in item.expected)
        article_ok = any(article_matches(c, g) for c in cited for g in item.citations)
        needs_ok = not item.needs or asks_back
        right = (outcome == "refused") if item.expect == "refuse" else (outcome != "refused" and numbers_ok and article_ok and needs_ok)
        rows.append({"id": item.id, "split": item.split, "expect": item.expect, "right": right,
                     "numbers": numbers_ok, "article": article_ok, "outcome": outcome})
    out = {}
    for split in ("dev", "test"):
        chosen = [r for r in rows if r["split"] == split]
        answer = [r for r in chosen if r["expect"] == "answer"]
        if not chosen:
            continue
        out[split] = {
            "n": len(chosen),
            "right": sum(r["right"] for r in chosen) / len(chosen),
            "answerable_right": sum(r["right"] for r in answer) / max(len(answer), 1),
            "numbers_stated": sum(r["numbers"] for r in answer) / max(len(answer), 1),
            "article_cited": sum(r["article"] for r in answer) / max(len(answer), 1),
            "refusals_right": sum(r["right"] for r in chosen if r["expect"] == "refuse") / max(sum(r["expect"] == "refuse" for r in chosen), 1),
        }
    out["items"] = rows
    return out
