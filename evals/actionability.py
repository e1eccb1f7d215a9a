"""Can a worker act on the answer? Scores against ``evals/gold/actions.yaml``.

Each gold item names what a right answer must contain: the next steps (from a fixed vocabulary),
the referrals, the article whose time limit must be quoted, the evidence to keep, and the one
missing fact (if any) the answer must ask for or answer conditionally. The split is
``sha1(id) % 2`` (0 → dev, 1 → test), fixed before any system output was seen.

What is scored, per answer, on the worker-facing parts only (conclusion, points, 行动清单,
triage, referral names — never the quoted 依据, whose legal words would credit any answer):
- **conclusion**: present and at most 85 characters (a guide's conclusion is at most 40; an answer
  without a guide states its first article's rule, 白话要义, in at most 85 — issue 15);
- **steps**: share of required steps named (each step has a few everyday words, below);
- **referral**: at least one required referral offered;
- **deadline**: the required article's time limit quoted in a 行动清单 step citing that article;
- **evidence**: share of required evidence kinds mentioned (two shared characters count);
- **asks or conditions**: when a fact is missing, the answer asks it (triage) or says 如果/要看;
- **actionability** = mean of steps, referral and (when required) deadline;
- **readability**: characters per sentence and legal jargon words per 100 characters;
- **faithfulness**: share of points the passage they cite supports (``bot.faithfulness.check_sentence``:
  citation exists, numbers and negations in the passage, most content words from it);
- **misattribution**: share of points their own citation does not support but another citation of
  the same answer does (the right fact with the wrong [n]).
"""
from __future__ import annotations

from bot.compose import RULE_CONCLUSION_MAX

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from common.settings import REPO_ROOT

ACTIONS_FILE = REPO_ROOT / "evals" / "gold" / "actions.yaml"

STEP_WORDS = {
    "就医": ("就医", "治疗", "医院", "看病"),
    "保存证据": ("保存", "证据", "截图", "留好", "留存"),
    "协商": ("协商", "商量"),
    "调解": ("调解",),
    "工会": ("工会", "12351"),
    "劳动保障监察投诉": ("劳动保障监察", "监察", "投诉", "举报"),
    "劳动仲裁": ("仲裁",),
    "法院起诉": ("法院", "起诉", "诉讼"),
    "工伤认定申请": ("工伤认定",),
    "劳动能力鉴定": ("劳动能力鉴定", "伤残等级", "鉴定"),
    "职业伤害确认": ("职业伤害",),
    "报警": ("报警", "110", "交警"),
    "法律援助": ("法律援助", "12348"),
    "平台申诉": ("申诉", "平台客服", "向平台"),
    "社保补缴": ("补缴", "补交"),
}

JARGON = (
    "用人单位", "劳动者", "统筹地区", "社会保险行政部门", "视同", "依照", "前款", "本条例", "本法", "责令", "滞纳金",
    "仲裁时效", "法律关系", "当事人", "行政复议", "行政诉讼", "举证责任", "劳动报酬", "经济补偿", "支付令", "书面形式",
    "不可抗力", "中止", "中断", "应当", "予以", "依法",
)


@dataclass(frozen=True)
class ActionItem:
    id: str
    question: str
    province: str | None
    topic: str
    steps: tuple[str, ...]
    referrals: tuple[str, ...]
    deadline: tuple[str, str] | None
    evidence: tuple[str, ...]
    depends_on: str | None
    split: str


def split_of(item_id: str) -> str:
    return "dev" if int(hashlib.sha1(item_id.encode()).hexdigest(), 16) % 2 == 0 else "test"


def load_actions(path: Path = ACTIONS_FILE) -> list[ActionItem]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = []
    for raw in data.get("items") or []:
        unknown = set(raw.get("steps") or ()) - STEP_WORDS.keys()
        if unknown:
            raise ValueError(f"{raw['id']}: steps outside the vocabulary: {sorted(unknown)}")
        items.append(
            ActionItem(
                id=str(raw["id"]),
                question=str(raw["question"]),
                province=raw.get("province") or None,
                topic=str(raw.get("topic") or ""),
                steps=tuple(raw.get("steps") or ()),
                referrals=tuple(raw.get("referrals") or ()),
                deadline=tuple(raw["deadline"]) if raw.get("deadline") else None,
                evidence=tuple(raw.get("evidence") or ()),
                depends_on=raw.get("depends_on") or None,
                split=split_of(str(raw["id"])),
            )
        )
    return items


def worker_text(answer) -> str:
    """The parts of an answer a worker acts on (not the quoted sources)."""
    parts = [answer.conclusion, *answer.points]
    if answer.actions:
        if answer.actions.evidence:  # shown as 「先保存好：…」 in the answer and the page
            parts.append("先保存好：" + "、".join(answer.actions.evidence))
        parts += [f"{s.what} {s.who or ''}" for s in answer.actions.steps]
    if answer.triage:
        parts += [answer.triage.ask, *answer.triage.choices]
    parts += [f"{r.name} {r.what}" for r in answer.referrals]
    return "\n".join(p for p in parts if p)


def _mentions(text: str, noun: str) -> bool:
    return noun in text or any(noun[i : i + 2] in text for i in range(len(noun) - 1))


def score_answer(item: ActionItem, answer) -> dict:
    """The figures of one answer (see the module docstring); refused answers score 0 on content."""
    text = worker_text(answer)
    steps = [s for s in item.steps if any(w in text for w in STEP_WORDS[s])]
    referral_ids = {r.id for r in answer.referrals}
    out = {
        "id": item.id,
        "outcome": answer.outcome,
        "guide": getattr(answer, "guide", None),
        "conclusion": bool(answer.conclusion) and len(answer.conclusion) <= RULE_CONCLUSION_MAX,
        "has_actions": bool(answer.actions and answer.actions.steps),
        "cited_deadline": any(s.deadline and s.cite for s in (answer.actions.steps if answer.actions else [])),
        "steps": len(steps) / len(item.steps) if item.steps else 1.0,
        "missing_steps": [s for s in item.steps if s not in steps],
        "referral": bool(referral_ids & set(item.referrals)) if item.referrals else True,
        "evidence": (sum(_mentions(text, e) for e in item.evidence) / len(item.evidence)) if item.evidence else None,
    }
    if item.deadline:
        cited = {c.n: (c.doc_id, c.article) for c in answer.citations}
        quoted = [s for s in (answer.actions.steps if answer.actions else []) if s.deadline and cited.get(s.cite) == tuple(item.deadline)]
        out["deadline"] = bool(quoted)
    else:
        out["deadline"] = None
    if item.depends_on:
        out["asks_or_conditions"] = bool(answer.triage) or bool(re.search(r"如果|要看|取决于|分情况", text))
    parts = [out["steps"], 1.0 if out["referral"] else 0.0] + ([1.0 if out["deadline"] else 0.0] if item.deadline else [])
    out["actionability"] = sum(parts) / len(parts)
    out.update(readability([answer.conclusion, *answer.points]))
    out.update(faithfulness(answer))
    return out


def faithfulness(answer, *, min_support: float = 0.5) -> dict:
    """Supported points / all points, and points backed only by another citation (see above)."""
    from bot.faithfulness import check_sentence, evidence_for

    evidence = evidence_for(answer.citations)
    points = [p for p in answer.points if re.search(r"\[\d+\]", p)]
    if not points:
        return {"faithfulness": None, "misattribution": None}
    ok = wrong_cite = 0
    for point in points:
        if check_sentence(point, evidence, min_support=min_support).ok:
            ok += 1
        elif check_sentence(re.sub(r"\[\d+\]", "", point), evidence, min_support=min_support, cites_all=True).ok:
            wrong_cite += 1
    return {"faithfulness": ok / len(points), "misattribution": wrong_cite / len(points)}


def readability(lines: list[str]) -> dict:
    """Characters per sentence and legal jargon words per 100 characters of the worker-facing lines
    (citation markers removed)."""
    text = re.sub(r"\[\d+\]", "", "\n".join(x for x in lines if x))
    sentences = [s for s in re.split(r"[。！？!?\n；]", text) if s.strip()]
    chars = sum(len(s) for s in sentences)
    jargon = sum(text.count(w) for w in JARGON)
    return {
        "chars_per_sentence": chars / len(sentences) if sentences else 0.0,
        "jargon_per_100": 100 * jargon / chars if chars else 0.0,
    }


def summarise(rows: list[dict]) -> dict:
    """Means over the answers of one split (deadline and conditions only over the items that need them)."""
    def mean(key, subset=None):
        vals = [r[key] for r in (subset or rows) if r.get(key) is not None]
        return sum(float(v) for v in vals) / len(vals) if vals else None

    return {
        "n": len(rows),
        "with_conclusion": mean("conclusion"),
        "has_actions": mean("has_actions"),
        "cited_deadline": mean("cited_deadline"),
        "guided": sum(1 for r in rows if r["guide"]) / len(rows) if rows else None,
        "refused": sum(1 for r in rows if r["outcome"] == "refused") / len(rows) if rows else None,
        "steps": mean("steps"),
        "referral": mean("referral"),
        "deadline": mean("deadline"),
        "evidence": mean("evidence"),
        "asks_or_conditions": mean("asks_or_conditions"),
        "actionability": mean("actionability"),
        "chars_per_sentence": mean("chars_per_sentence"),
        "jargon_per_100": mean("jargon_per_100"),
        "faithfulness": mean("faithfulness"),
        "misattribution": mean("misattribution"),
    }


def run_actions(bot, items: list[ActionItem]) -> list[dict]:
    from bot.guards import QuestionError

    rows = []
    for item in items:
        try:
            answer = bot.ask(item.question, region=item.province)
        except QuestionError:
            continue
        rows.append({**score_answer(item, answer), "split": item.split})
    return rows
