"""白话要义: one or two sentences per article, in everyday words, written by the project.

``corpus/plain_rules/<doc_id>.yaml`` holds, per article, the rule and the sha256 of the article's
text it was written from (the article's paragraphs joined by newlines, as the splitter gives them).
When a text changes, its rules no longer match their hash: they are *stale*, never shown, and
``laoquan corpus check`` lists them. The answer states each cited article's rule in these words;
the verbatim text stays in the citation card.

Every rule is checked mechanically (``tests/test_plain_rules.py``): its numbers occur in the
article, it has no negation the article lacks, and it does not turn 应当 into 可以 or back.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from common.files import read_yaml

PLAIN_RULES_DIR = Path(__file__).with_name("plain_rules")

ArticleKey = tuple[str, str]


class PlainRulesError(ValueError):
    """A rules file that cannot be read."""


@dataclass(frozen=True)
class PlainRule:
    doc_id: str
    article: str
    rule: str
    sha256: str
    """sha256 of the article text the rule was written from."""


def article_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class PlainRules:
    rules: Mapping[ArticleKey, PlainRule]

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, doc_id: str, article: str) -> PlainRule | None:
        return self.rules.get((doc_id, article))

    def current(self, article_texts: Mapping[ArticleKey, str]) -> "PlainRules":
        """Only the rules whose article text is the one they were written from."""
        return PlainRules({k: r for k, r in self.rules.items() if k in article_texts and article_sha256(article_texts[k]) == r.sha256})

    def stale(self, article_texts: Mapping[ArticleKey, str]) -> list[PlainRule]:
        """Rules of indexed documents whose article is gone or whose text changed."""
        docs = {d for d, _ in article_texts}
        return [r for k, r in sorted(self.rules.items()) if k[0] in docs and (k not in article_texts or article_sha256(article_texts[k]) != r.sha256)]


def load_plain_rules(folder: Path = PLAIN_RULES_DIR) -> PlainRules:
    rules: dict[ArticleKey, PlainRule] = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        data = read_yaml(path, error=PlainRulesError, zh="白话要义文件", en="plain-rules file")
        if not isinstance(data, dict) or not isinstance(data.get("doc"), str) or not isinstance(data.get("rules"), dict):
            raise PlainRulesError(f"{path.name}: 需要 doc 和 rules 两项 / needs `doc` and `rules`")
        for article, entry in data["rules"].items():
            if not isinstance(entry, dict) or not str(entry.get("rule", "")).strip() or not re.fullmatch(r"[0-9a-f]{64}", str(entry.get("sha256", ""))):
                raise PlainRulesError(f"{path.name}: {article} 需要 rule 和 64 位 sha256 / needs `rule` and a sha256")
            rules[(data["doc"], str(article))] = PlainRule(data["doc"], str(article), str(entry["rule"]).strip(), str(entry["sha256"]))
    return PlainRules(rules)
