"""The concept layer: recognise what a worker is asking about in their own words.

``corpus/concepts.yaml`` lists, per legal concept, the law's terms, everyday phrasings, slang,
misspellings, 繁體 forms and English words, and the articles that govern it. A question that
contains any of those forms *hits* the concept; the retriever then

- adds the concept's legal terms to the keyword query (so 「被炒了」 also searches 解除劳动合同),
- adds the concept's articles as a third ranked list to the fusion, and
- counts the hits as evidence that the question is about labour rights at all (for refusing).

Platform words (站长, 派单 …) signal the domain but not a concept, so they count only as evidence.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from common.files import read_yaml
from common.settings import REPO_ROOT

CONCEPTS_FILE = REPO_ROOT / "corpus" / "concepts.yaml"
_CONCEPT_FORMS = ("legal_terms", "phrasings", "slang", "misspellings", "traditional", "english")


@dataclass(frozen=True)
class Concept:
    id: str
    name: str
    legal_terms: tuple[str, ...]
    forms: tuple[str, ...]
    """Every surface form that signals this concept (lower-cased)."""
    platform_words: tuple[str, ...]
    articles: tuple[tuple[str, str], ...]
    """(doc_id, article) pairs, most important first."""


@dataclass(frozen=True)
class ConceptMatch:
    concepts: tuple[Concept, ...]
    """Concepts the question hits, in order of their first appearance in the question."""
    platform_words: tuple[str, ...]

    @property
    def legal_terms(self) -> list[str]:
        return [t for c in self.concepts for t in c.legal_terms]

    def ranked_articles(self) -> list[tuple[str, str]]:
        """Articles of the hit concepts: cited by more hit concepts first, then by list order."""
        votes: dict[tuple[str, str], tuple[int, int]] = {}
        for c in self.concepts:
            for position, ref in enumerate(c.articles):
                count, best = votes.get(ref, (0, 10**6))
                votes[ref] = (count + 1, min(best, position))
        return sorted(votes, key=lambda ref: (-votes[ref][0], votes[ref][1]))


def load_concepts(path: Path = CONCEPTS_FILE) -> tuple[Concept, ...]:
    data = read_yaml(path, error=ValueError, zh="概念词表", en="the concepts file") or {}
    concepts = []
    for raw in data.get("concepts", []):
        forms = {str(f).strip().lower() for key in _CONCEPT_FORMS for f in raw.get(key) or [] if str(f).strip()}
        concepts.append(
            Concept(
                id=raw["id"],
                name=raw.get("name", raw["id"]),
                legal_terms=tuple(raw.get("legal_terms") or ()),
                forms=tuple(sorted(forms, key=len, reverse=True)),
                platform_words=tuple(str(w).lower() for w in raw.get("platform_words") or ()),
                articles=tuple((a["doc"], str(a["article"])) for a in raw.get("articles") or ()),
            )
        )
    return tuple(concepts)


class ConceptMatcher:
    """Finds concept forms in a question by substring (Chinese) or whole word (English)."""

    def __init__(self, concepts: tuple[Concept, ...]):
        self.concepts = concepts
        self._platform = sorted({w for c in concepts for w in c.platform_words}, key=len, reverse=True)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> "ConceptMatcher":
        return cls(load_concepts())

    def chinese_words(self) -> list[str]:
        """Chinese surface forms, for the jieba user dictionary."""
        words = {f for c in self.concepts for f in c.forms + c.platform_words + tuple(c.legal_terms)}
        return sorted(w for w in words if re.search(r"[\u4e00-\u9fff]", w) and " " not in w)

    def match(self, text: str) -> ConceptMatch:
        lowered = text.lower()
        found: list[tuple[int, Concept]] = []
        for concept in self.concepts:
            positions = [p for p in (_find(lowered, form) for form in concept.forms) if p >= 0]
            if positions:
                found.append((min(positions), concept))
        found.sort(key=lambda pc: pc[0])
        platform = tuple(w for w in self._platform if w in lowered)
        return ConceptMatch(tuple(c for _, c in found), platform)


def _find(text: str, form: str) -> int:
    if form.isascii():
        m = re.search(rf"(?<![a-z0-9]){re.escape(form)}(?![a-z0-9])", text)
        return m.start() if m else -1
    return text.find(form)
