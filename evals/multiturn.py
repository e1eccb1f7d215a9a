"""The multi-turn set (``evals/gold/multiturn.yaml``): conversations whose later turns lean on the
first («那我要去哪里申请？», «要带什么», «多久出结果») or change the topic.

Each conversation is asked turn by turn with one :class:`bot.conversation.Conversation`, as the
page does. A turn is right when:

- answerable: one of its articles is among the answer's first five law citations, and a
  follow-up's conclusion is not the previous turn's conclusion again; *strictly right* when, too,
  every ``must_mention`` string (the office, the number of days, the material — copied verbatim
  from the article) is stated in what the worker reads (conclusion, points, 行动清单): plain-word
  rules often say the same in other words, so this part is reported on its own;
- to refuse: the bot refused.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import yaml

from common.settings import REPO_ROOT
from evals.metrics import article_matches

MULTITURN_FILE = REPO_ROOT / "evals" / "gold" / "multiturn.yaml"
MULTITURN_SETS = {
    "conversations": MULTITURN_FILE,
    "second conversation set": REPO_ROOT / "evals" / "gold" / "multiturn2.yaml",
}
"""Each written by a different fresh helper from the texts alone; the second one (session 7: half typed by
workers, half by station staff asking for a worker) was never looked at by anyone working on follow-ups."""
AS_OF = date(2026, 12, 7)


@dataclass(frozen=True)
class GoldTurn:
    question: str
    expect: str
    follow_up: str
    """where / what / how_long / how_much / deadline / refused / what_if, ``none`` for a new topic, "" for the first turn."""
    citations: tuple[tuple[str, str], ...]
    must_mention: tuple[str, ...]


@dataclass(frozen=True)
class GoldConversation:
    id: str
    split: str
    turns: tuple[GoldTurn, ...]


def load_multiturn(path=MULTITURN_FILE) -> list[GoldConversation]:
    out = []
    for raw in yaml.safe_load(open(path, encoding="utf-8")) or []:
        turns = tuple(
            GoldTurn(question=str(t["question"]), expect=t.get("expect", "answer"), follow_up=str(t.get("follow_up") or ""),
                     citations=tuple((c["doc"], str(c["article"])) for c in t.get("citations") or []),
                     must_mention=tuple(str(m) for m in t.get("must_mention") or []))
            for t in raw["turns"])
        out.append(GoldConversation(id=str(raw["id"]), split=raw.get("split", "dev"), turns=turns))
    return out


def _plain(text: str) -> str:
    """Full-width digits and letters as ASCII (２０％ is 20%), for comparing what is stated."""
    return unicodedata.normalize("NFKC", text)


def shown_text(answer) -> str:
    """What the worker reads of an answer: conclusion, points and the 行动清单 (not the quoted sources)."""
    parts = [answer.conclusion, *answer.points]
    if answer.actions:
        parts += answer.actions.evidence
        parts += [f"{s.what} {s.who or ''} {s.deadline or ''}" for s in answer.actions.steps]
    return _plain("\n".join(parts))


def score_multiturn(bot, conversations: list[GoldConversation]) -> dict:
    """Per split, over follow-up turns, topic changes and refusals: the share right, and its parts."""
    from bot.conversation import Conversation
    from bot.guards import QuestionError

    rows = []
    for conv in conversations:
        state = Conversation()
        previous = None
        for number, turn in enumerate(conv.turns, start=1):
            try:
                answer = bot.ask(turn.question, as_of=AS_OF, conversation=state)
                outcome = answer.outcome
            except QuestionError:
                answer, outcome = None, "refused"
            kind = "first" if number == 1 else ("new_topic" if turn.follow_up == "none" else "follow_up")
            if turn.expect == "refuse":
                kind = "refuse"
            row = {"id": f"{conv.id}#{number}", "split": conv.split, "kind": kind, "outcome": outcome}
            if turn.expect == "refuse":
                row["right"] = outcome == "refused"
            else:
                laws = [(c.doc_id, c.article) for c in (answer.citations if answer else []) if c.kind == "原文"][:5]
                text = shown_text(answer) if answer else ""
                row["cited"] = any(article_matches(c, g) for c in laws for g in turn.citations)
                row["mentions"] = all(_plain(m) in text for m in turn.must_mention)
                row["new"] = kind != "follow_up" or previous is None or answer is None or answer.conclusion != previous.conclusion
                row["right"] = outcome != "refused" and row["cited"] and row["new"]
                row["strict"] = row["right"] and row["mentions"]
            rows.append(row)
            previous = answer
    out = {}
    for split in ("dev", "test"):
        chosen = [r for r in rows if r["split"] == split]
        if not chosen:
            continue
        figures = {}
        for kind in ("first", "follow_up", "new_topic", "refuse"):
            these = [r for r in chosen if r["kind"] == kind]
            if not these:
                continue
            figures[kind] = {"n": len(these), "right": sum(r["right"] for r in these) / len(these)}
            if kind != "refuse":
                for part in ("strict", "cited", "mentions", "new"):
                    figures[kind][part] = sum(r[part] for r in these) / len(these)
        out[split] = figures
    out["items"] = rows
    return out
