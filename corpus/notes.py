"""政策要点: the project's own notes on documents whose official text is not in the sources folder.

``corpus/notes/<doc_id>.yaml`` holds ``sources`` (pages the facts were read on) and ``points``
(``id``, ``article``, ``title``, ``text``, ``source_url``, ``keywords``). They are indexed like
articles and cited as 「要点（非原文）」 with their link — never as quotations.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from common.files import file_sha256_or_empty, read_yaml

NOTES_DIR = Path(__file__).with_name("notes")


@dataclass(frozen=True)
class NotePoint:
    id: str
    title: str
    text: str
    article: str | None = None
    source_url: str | None = None
    keywords: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How a citation names the point: the document's own article when known, else 要点N."""
        return f"要点{self.id}" if not self.article else f"{self.article}（要点{self.id}）"


SOURCE_KINDS = ("official", "reprint", "news")
"""Where a point's facts were read, most trusted first: the issuing authority's own page, a reprint
of the official text elsewhere, journalism or commentary."""


def source_kinds(folder: Path = NOTES_DIR) -> dict[str, str]:
    """Every notes file's source URLs → their kind (``official`` / ``reprint`` / ``news``)."""
    kinds = {}
    for path in sorted(Path(folder).glob("*.yaml")):
        data = _read(path) or {}
        for source in data.get("sources") or []:
            if source.get("url") and source.get("kind") in SOURCE_KINDS:
                kinds[source["url"]] = source["kind"]
    return kinds


def _read(path: Path) -> object:
    return read_yaml(path, error=ValueError, zh="要点文件", en="the notes file")


def notes_file(doc_id: str, folder: Path = NOTES_DIR) -> Path:
    return folder / f"{doc_id}.yaml"


def load_notes(doc_id: str, folder: Path = NOTES_DIR) -> list[NotePoint]:
    """The points of one document's notes; empty when it has none. Points without text are skipped."""
    path = notes_file(doc_id, folder)
    if not path.is_file():
        return []
    data = _read(path) or {}
    if data.get("doc") not in (None, doc_id):
        raise ValueError(f"{path.name}: doc is {data.get('doc')!r}, expected {doc_id!r}")
    default_url = next((s.get("url") for s in data.get("sources") or [] if s.get("url")), None)
    points = []
    for raw in data.get("points") or []:
        text = " ".join(str(raw.get("text") or "").split())
        if not text:
            continue
        points.append(
            NotePoint(
                id=str(raw.get("id", len(points) + 1)),
                title=str(raw.get("title") or "").strip(),
                text=text,
                article=str(raw["article"]).strip() if raw.get("article") not in (None, "", "null") else None,
                source_url=raw.get("source_url") or default_url,
                keywords=tuple(str(k) for k in raw.get("keywords") or ()),
            )
        )
    return points


def notes_fingerprint(doc_id: str, folder: Path = NOTES_DIR) -> str:
    return file_sha256_or_empty(notes_file(doc_id, folder))
