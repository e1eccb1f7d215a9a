"""The gold sets, one per question style; each is its own slice in every report.

Each set was written from the official texts by someone who had not seen the retrieval aids
(worker questions, concept lexicon, guides, plain rules) or any output; every set has a dev and a
test half by the same id-hash rule. Ranker weights and thresholds are fitted on the dev halves of
all sets together; the test halves are only scored.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.metrics import GoldItem, load_gold
from common.settings import REPO_ROOT

GOLD_DIR = REPO_ROOT / "evals" / "gold"


@dataclass(frozen=True)
class GoldSet:
    name: str
    """The slice name in reports."""
    path: Path
    description: str

    def items(self) -> list[GoldItem]:
        return load_gold(self.path) if self.path.is_file() else []


GOLD_SETS = (
    GoldSet("first set (mixed styles)", GOLD_DIR / "questions.yaml", "the first set: short, typo, dialect, 繁體, English, formal"),
    GoldSet("workers' words", GOLD_DIR / "worker_words.yaml", "situations in workers' own words, without the legal terms"),
    GoldSet("consultation", GOLD_DIR / "consultation.yaml", "formal consultation questions (legal aid, union officers)"),
    GoldSet("textbook", GOLD_DIR / "textbook.yaml", "textbook / exam scenarios with a named person"),
    GoldSet("English / 繁體 / mixed", GOLD_DIR / "mixed.yaml", "English, traditional characters, code-mixed"),
)
"""Retrieval gold sets (articles a right answer cites). The policy, actionability and numeric
sets are scored on their own (they test other things)."""


def available_sets() -> list[GoldSet]:
    return [s for s in GOLD_SETS if s.path.is_file()]
