"""Project-written worker questions per article (``corpus/article_questions/<doc_id>.yaml``)."""
from __future__ import annotations

from pathlib import Path

from common.files import file_sha256_or_empty, read_yaml

QUESTIONS_DIR = Path(__file__).with_name("article_questions")


def questions_file(doc_id: str, folder: Path = QUESTIONS_DIR) -> Path:
    return folder / f"{doc_id}.yaml"


def load_article_questions(doc_id: str, folder: Path = QUESTIONS_DIR) -> dict[str, list[str]]:
    """article heading → questions; empty when the document has no questions file."""
    path = questions_file(doc_id, folder)
    if not path.is_file():
        return {}
    data = read_yaml(path, error=ValueError, zh="问题文件", en="the questions file") or {}
    if data.get("doc") not in (None, doc_id):
        raise ValueError(f"{path.name}: doc is {data.get('doc')!r}, expected {doc_id!r}")
    return {str(article): [str(q).strip() for q in qs if str(q).strip()] for article, qs in (data.get("articles") or {}).items()}


def questions_fingerprint(doc_id: str, folder: Path = QUESTIONS_DIR) -> str:
    return file_sha256_or_empty(questions_file(doc_id, folder))
