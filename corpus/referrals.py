"""Referrals: where to turn next (12333, labour inspection, arbitration), read from referrals.yaml.

Each referral is backed by an article in the knowledge base or a published notice; the bot
attaches them to answers as data (``referrals`` in the JSON) and the UI shows phones as links.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from common.files import read_yaml

REFERRALS_FILE = Path(__file__).with_name("referrals.yaml")


@dataclass(frozen=True)
class Referral:
    id: str
    name: str
    what: str
    phone: str | None = None
    basis: str | None = None
    basis_doc: str | None = None
    basis_article: str | None = None
    source_url: str | None = None
    checked: str | None = None

    def to_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v is not None}


class Referrals:
    def __init__(self, items: list[Referral]):
        self.items = items
        self.by_id = {r.id: r for r in items}

    def for_outcome(self, outcome: str) -> list[Referral]:
        """Refusals and partial answers point to the hotline first; answers add the two routes."""
        order = ["hotline-12333"] if outcome != "answered" else ["hotline-12333", "labour-inspection", "arbitration"]
        return [self.by_id[i] for i in order if i in self.by_id]


    def for_guide(self, ids: tuple[str, ...]) -> list[Referral]:
        """A guide's referrals in its order, the 12333 hotline first when the guide does not name it."""
        order = list(ids) if "hotline-12333" in ids else ["hotline-12333", *ids]
        return [self.by_id[i] for i in order if i in self.by_id]


def load_referrals(path: Path = REFERRALS_FILE) -> Referrals:
    data = read_yaml(path, error=ValueError, zh="转介文件", en="the referrals file") or {}
    items = []
    for raw in data.get("referrals", []):
        raw = {k: (str(v) if v is not None and k in ("checked", "phone") else v) for k, v in raw.items()}
        items.append(Referral(**raw))
    return Referrals(items)
