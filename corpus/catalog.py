"""The document catalog: the project's own metadata about every official text, read from catalog.yaml.

Why a catalog: the texts in the sources folder come with headers that are sometimes wrong (an old
promulgation line above a revised body, no promulgation line at all; see
``../shared/corpus-raw/README.md``). Titles, 文号, dates, status and partial repeals therefore come
from here, never from the files. Each entry also pins its files by sha256, so a changed or swapped
text is noticed before it is indexed.

- :func:`load_catalog` reads and validates the YAML; anything malformed raises :class:`CatalogError`
  naming the entry and the field.
- :func:`check_catalog` compares the catalog with a sources folder and with itself and returns
  :class:`Problem` objects (missing file, hash mismatch, impossible dates, dangling references,
  files nobody catalogued); :func:`format_problems` prints them one per line.
- The *local overlay* (``<data>/catalog.local.yaml``, written by ``laoquan corpus fetch`` / ``add``)
  gives texts to entries that have none in catalog.yaml; :func:`load_catalog` merges it when asked
  (``overlay=``), :func:`overlay_path` names the settings' one, :func:`load_catalog_for` does both.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Iterator

from common.files import TextDatesLoader, file_sha256, read_yaml
from common.validate import ID_PATTERN, date_field, fail, reject_unknown, text_field

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
OVERLAY_NAME = "catalog.local.yaml"
"""The local catalog overlay, in the data folder: texts fetched or added by an operator."""
_OVERLAY_FIELDS = ("sources", "fetched_from", "fetched_at", "added_from", "added_at", "articles")

KINDS: dict[str, str] = {
    # kind → authority label shown beside a citation
    "法律": "法律",
    "行政法规": "行政法规",
    "部门规章": "部门文件",
    "规范性文件": "部门文件",
    "司法解释": "司法解释",
    "典型案例": "典型案例",
    "地方规范性文件": "地方文件",
    "地方性法规": "地方文件",
    "工作报告": "工作报告",  # e.g. a State Council report to the NPC Standing Committee: informative, not binding
}
STATUSES = ("现行有效", "已修订", "已废止", "试行")
CHANGE_STATUSES = ("已废止", "已修订")
FORMATS = ("markdown", "text", "pdf", "html")
SUFFIX_FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".pdf": "pdf", ".html": "html", ".htm": "html"}
SOURCE_SUBDIRS = ("texts", "pdf")
"""Folders of the sources folder whose files must all be catalogued (others are ignored)."""

_REQUIRED = ("id", "title", "short_name", "issuer", "kind", "region", "status")
_OPTIONAL = ("doc_no", "issued", "effective_from", "effective_to", "supersedes", "superseded_by",
             "article_changes", "source_url", "sources", "notes", "scope", "retroactive", "aliases")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class CatalogError(Exception):
    """catalog.yaml cannot be used as it is; the message names the entry and field, in Chinese and English."""


@dataclass(frozen=True)
class SourceFile:
    path: str
    """Relative to the sources folder, e.g. ``texts/劳动法(2018-12-29).md``; absolute for a text
    from the local overlay (``settings.paths.sources / path`` is then the path itself)."""
    sha256: str
    format: str


@dataclass(frozen=True)
class ArticleChange:
    """A change to part of a document made by another one (e.g. one paragraph repealed)."""

    article: str
    """E.g. ``第三十二条第一款``."""
    status: str
    from_date: date
    by: str
    """Id of the catalog entry that made the change."""
    note: str | None = None


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str
    short_name: str
    issuer: str
    kind: str
    region: str
    status: str
    doc_no: str | None = None
    issued: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    supersedes: tuple[str, ...] = ()
    superseded_by: tuple[str, ...] = ()
    article_changes: tuple[ArticleChange, ...] = ()
    source_url: str | None = None
    sources: tuple[SourceFile, ...] = ()
    notes: str | None = None
    scope: str | tuple[str, ...] | None = None
    """Where a national pilot applies (list of provinces) or free text; None means all of ``region``."""
    retroactive: bool = False
    """True when the document itself takes effect before the date it was issued (checked, not an error)."""
    aliases: tuple[str, ...] = ()
    """Other names people use for it (「56号文」, 「指导性案例238号」), so a question naming it is recognised."""

    def names(self) -> tuple[str, ...]:
        """Every name a question may use for this document: title, short name, 文号, aliases."""
        found = [self.title, self.short_name, *(self.aliases or ())]
        if self.doc_no:
            found.append(self.doc_no)
        return tuple(n for n in found if n and len(n) >= 4)

    @property
    def has_text(self) -> bool:
        return bool(self.sources)

    @property
    def primary_source(self) -> SourceFile | None:
        """The file that is indexed; later sources are alternative copies of the same text."""
        return self.sources[0] if self.sources else None

    @property
    def authority_label(self) -> str:
        return KINDS[self.kind]

    def in_force(self, on: date) -> bool:
        """Whether this version applied on ``on``.

        The start is ``effective_from`` (or ``issued`` when that is unknown; no lower bound when both
        are). A version that was revised or repealed without a recorded ``effective_to`` is not
        affirmed to be in force on any date, because its end is unknown.
        """
        start = self.effective_from or self.issued
        if start and on < start:
            return False
        if self.effective_to:
            return on <= self.effective_to
        return self.status not in ("已废止", "已修订")

    def repealed_articles(self, on: date) -> tuple[ArticleChange, ...]:
        """Parts of this document repealed on or before ``on`` (e.g. 解释（一）第三十二条第一款 from 2025-09-01)."""
        return tuple(c for c in self.article_changes if c.status == "已废止" and c.from_date <= on)


class Catalog:
    """The entries of catalog.yaml, by id, iterated in file order."""

    def __init__(self, entries: list[CatalogEntry]):
        self.entries: dict[str, CatalogEntry] = {e.id: e for e in entries}
        self.overlay_ignored: list[tuple[str, str]] = []
        """(doc id, why) for overlay entries that were not merged (reported by :func:`check_catalog`)."""

    def __iter__(self) -> Iterator[CatalogEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.entries

    def __getitem__(self, doc_id: str) -> CatalogEntry:
        return self.entries[doc_id]

    def get(self, doc_id: str) -> CatalogEntry | None:
        return self.entries.get(doc_id)

    def with_text(self) -> list[CatalogEntry]:
        """Entries whose text is in the sources folder (the ones the index is built from)."""
        return [e for e in self if e.has_text]


# ---------------------------------------------------------------------------------------------
# Loading


def load_catalog(path: Path = CATALOG_FILE, overlay: Path | None = None, *, sources: Path | None = None) -> Catalog:
    """Read and validate catalog.yaml (top-level key ``documents``: a list of entries).

    With ``overlay`` (a ``catalog.local.yaml``; ignored when the file does not exist), entries that
    have no text in catalog.yaml get the overlay's sources, their paths made absolute (relative ones
    are relative to the overlay's folder, the data folder). catalog.yaml wins: an overlay entry for a
    document that has its text there, or that is not in the catalog, is ignored (and reported by
    :func:`check_catalog`). Except for a newcomer: with ``sources`` (the sources folder), a document
    whose file catalog.yaml names is not there takes the overlay's text (``laoquan corpus fetch --all``).
    """
    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise CatalogError(f"{path}: 顶层应为 documents: 列表 / the top level must be a mapping with a 'documents' list")
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for n, raw in enumerate(data["documents"], start=1):
        try:
            entry = _parse_entry(raw, n)
        except CatalogError as exc:  # say which file, too: the catalog or a copy of it
            raise CatalogError(f"{path}: {exc}") from None
        if entry.id in seen:
            raise CatalogError(f"{path}: {entry.id} · id: id 重复 / duplicate id (entry #{n})")
        seen.add(entry.id)
        entries.append(entry)
    catalog = Catalog(entries)
    if overlay is not None and Path(overlay).is_file():
        _merge_overlay(catalog, Path(overlay), sources=sources)
    return catalog


def overlay_path(settings) -> Path:
    """The local catalog overlay of ``settings`` (a :class:`common.settings.Settings`): in its data folder."""
    return Path(settings.paths.data_dir) / OVERLAY_NAME


def load_catalog_for(settings) -> Catalog:
    """``settings.paths.catalog`` merged with the settings' local overlay."""
    return load_catalog(settings.paths.catalog, overlay=overlay_path(settings), sources=settings.paths.sources)


def _read_yaml(path: Path) -> object:
    return read_yaml(path, error=CatalogError, zh="目录文件", en="the catalog", loader=TextDatesLoader)


def read_overlay(path: Path) -> dict[str, dict]:
    """The overlay's ``documents`` mapping (doc id → {sources, fetched_from, …}), validated; {} if absent."""
    path = Path(path)
    if not path.is_file():
        return {}
    data = _read_yaml(path)
    documents = (data or {}).get("documents") or {} if isinstance(data, (dict, type(None))) else None
    if not isinstance(documents, dict):
        raise CatalogError(f"{path}: 顶层应为 documents: 映射（文档 id → 原文）/ the top level must be a 'documents' mapping of id → sources")
    for doc_id, raw in documents.items():
        label = f"{path.name} · {doc_id}"
        if not isinstance(raw, dict):
            raise _fail(label, "-", "条目应为映射", "an entry must be a mapping")
        reject_unknown(raw, _OVERLAY_FIELDS, label, error=CatalogError)
        if not isinstance(raw.get("sources"), list) or not raw["sources"]:
            raise _fail(label, "sources", "应为非空列表", "must be a non-empty list")
    return documents


def _merge_overlay(catalog: Catalog, overlay: Path, *, sources: Path | None = None) -> None:
    base = overlay.resolve().parent
    for doc_id, raw in read_overlay(overlay).items():
        entry = catalog.get(doc_id)
        if entry is None:
            catalog.overlay_ignored.append((doc_id, "目录中没有这份文档 / not in the catalog"))
            continue
        if entry.has_text and (sources is None or (Path(sources) / entry.primary_source.path).is_file()):
            catalog.overlay_ignored.append((doc_id, "catalog.yaml 已有原文，以它为准 / catalog.yaml has its text already"))
            continue
        sources = []
        for i, item in enumerate(raw["sources"]):
            source = _source(item, i, f"{overlay.name} · {doc_id}", relative_only=False)
            sources.append(SourceFile(path=str(base / source.path), sha256=source.sha256, format=source.format))
        catalog.entries[doc_id] = replace(entry, sources=tuple(sources))


def _fail(label: str, field: str, zh: str, en: str) -> CatalogError:
    return fail(CatalogError, label, field, zh, en)


def _parse_entry(raw: object, n: int) -> CatalogEntry:
    label = f"第{n}条 (entry #{n})"
    if not isinstance(raw, dict):
        raise _fail(label, "-", "条目应为映射", "an entry must be a mapping")
    if isinstance(raw.get("id"), str) and raw["id"].strip():
        label = raw["id"]
    reject_unknown(raw, _REQUIRED + _OPTIONAL, label, error=CatalogError)
    req = {field: _text(raw, field, label) for field in _REQUIRED}
    missing = [field for field, value in req.items() if value is None]
    if missing:
        raise _fail(label, missing[0], "缺少必填字段", "missing required field")
    if not ID_PATTERN.fullmatch(req["id"]):
        raise _fail(label, "id", "id 只能用小写字母、数字和连字符", "id must be lowercase letters, digits and hyphens")
    if req["kind"] not in KINDS:
        raise _fail(label, "kind", f"未知类别 {req['kind']!r}", f"unknown kind, expected one of {', '.join(KINDS)}")
    if req["status"] not in STATUSES:
        raise _fail(label, "status", f"未知状态 {req['status']!r}", f"unknown status, expected one of {', '.join(STATUSES)}")
    retroactive = raw.get("retroactive", False)
    if not isinstance(retroactive, bool):
        raise _fail(label, "retroactive", "应为 true 或 false", "must be true or false")
    return CatalogEntry(
        **req,
        doc_no=_text(raw, "doc_no", label),
        issued=_date(raw.get("issued"), "issued", label),
        effective_from=_date(raw.get("effective_from"), "effective_from", label),
        effective_to=_date(raw.get("effective_to"), "effective_to", label),
        supersedes=_ids(raw, "supersedes", label),
        superseded_by=_ids(raw, "superseded_by", label),
        article_changes=tuple(_change(c, i, label) for i, c in enumerate(_list(raw, "article_changes", label))),
        source_url=_text(raw, "source_url", label),
        sources=tuple(_source(s, i, label) for i, s in enumerate(_list(raw, "sources", label))),
        notes=_text(raw, "notes", label),
        scope=_scope(raw.get("scope"), label),
        retroactive=retroactive,
        aliases=tuple(str(a) for a in _list(raw, "aliases", label)),
    )


def _text(raw: dict, field: str, label: str) -> str | None:
    return text_field(raw, field, label, error=CatalogError)


def _date(value: object, field: str, label: str) -> date | None:
    return date_field(value, field, label, error=CatalogError)


def _list(raw: dict, field: str, label: str) -> list:
    value = raw.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(label, field, "应为列表", "must be a list")
    return value


def _ids(raw: dict, field: str, label: str) -> tuple[str, ...]:
    values = _list(raw, field, label)
    if not all(isinstance(v, str) and v for v in values):
        raise _fail(label, field, "应为文档 id 列表", "must be a list of document ids")
    return tuple(values)


def _scope(value: object, label: str) -> str | tuple[str, ...] | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _fail(label, "scope", "应为文字或文字列表", "must be text or a list of text")


def _change(raw: object, i: int, label: str) -> ArticleChange:
    field = f"article_changes[{i}]"
    if not isinstance(raw, dict):
        raise _fail(label, field, "应为映射", "must be a mapping")
    reject_unknown(raw, ("article", "status", "from", "by", "note"), label, error=CatalogError, prefix=f"{field}.")
    for key in ("article", "status", "from", "by"):
        if raw.get(key) in (None, ""):
            raise _fail(label, f"{field}.{key}", "缺少必填字段", "missing required field")
    for key in ("article", "status", "by"):
        _text(raw, key, f"{label} · {field}")
    if raw["status"] not in CHANGE_STATUSES:
        raise _fail(label, f"{field}.status", f"未知状态 {raw['status']!r}", f"expected one of {', '.join(CHANGE_STATUSES)}")
    return ArticleChange(
        article=raw["article"],
        status=raw["status"],
        from_date=_date(raw["from"], f"{field}.from", label),
        by=raw["by"],
        note=_text(raw, "note", f"{label} · {field}"),
    )


def _source(raw: object, i: int, label: str, *, relative_only: bool = True) -> SourceFile:
    field = f"sources[{i}]"
    if not isinstance(raw, dict):
        raise _fail(label, field, "应为映射", "must be a mapping")
    reject_unknown(raw, ("path", "sha256", "format"), label, error=CatalogError, prefix=f"{field}.")
    for key in ("path", "sha256", "format"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _fail(label, f"{field}.{key}", "缺少必填字段", "missing required field")
    path = raw["path"]
    if relative_only and (path.startswith("/") or ".." in Path(path).parts):
        raise _fail(label, f"{field}.path", "路径应相对于原文文件夹", "path must be relative to the sources folder")
    if not _SHA256.fullmatch(raw["sha256"]):
        raise _fail(label, f"{field}.sha256", "应为 64 位小写十六进制", "must be 64 lowercase hex digits")
    if raw["format"] not in FORMATS:
        raise _fail(label, f"{field}.format", f"未知格式 {raw['format']!r}", f"expected one of {', '.join(FORMATS)}")
    return SourceFile(path=path, sha256=raw["sha256"], format=raw["format"])


# ---------------------------------------------------------------------------------------------
# Checking against the sources folder


@dataclass(frozen=True)
class Problem:
    doc_id: str | None
    """None for a problem of the sources folder itself (an uncatalogued file)."""
    field: str
    message: str
    level: str = "error"
    """Either "error" (the catalog is wrong) or "warning" (worth a look, nothing breaks)."""


def check_catalog(catalog: Catalog, sources_dir: Path) -> list[Problem]:
    """Everything that is wrong between the catalog, itself and ``sources_dir``; empty when all is well."""
    sources_dir = Path(sources_dir)
    problems: list[Problem] = []
    catalogued: set[str] = set()
    for entry in catalog:
        problems += _check_files(entry, sources_dir)
        problems += _check_dates(entry)
        problems += _check_refs(entry, catalog)
        catalogued.update(s.path for s in entry.sources)
    for doc_id, why in getattr(catalog, "overlay_ignored", []):
        problems.append(Problem(doc_id, "catalog.local.yaml", f"本地原文未使用 / local text not used: {why}", "warning"))
    for sub in SOURCE_SUBDIRS:
        folder = sources_dir / sub
        if not folder.is_dir():
            continue
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = file.relative_to(sources_dir).as_posix()
            if rel not in catalogued:
                problems.append(Problem(None, "sources", f"文件未收入目录 / file not in the catalog: {rel}", "warning"))
    return problems


def _check_files(entry: CatalogEntry, sources_dir: Path) -> list[Problem]:
    problems = []
    for i, source in enumerate(entry.sources):
        field = f"sources[{i}]"
        path = sources_dir / source.path
        expected_format = SUFFIX_FORMATS.get(path.suffix.lower())
        if expected_format != source.format:
            problems.append(Problem(entry.id, f"{field}.format",
                                    f"格式与扩展名不符 / format {source.format!r} does not match {path.suffix!r}"))
        if not path.is_file():
            problems.append(Problem(entry.id, f"{field}.path", f"文件不存在 / file not found: {source.path}"))
            continue
        actual = file_sha256(path)
        if actual != source.sha256:
            problems.append(Problem(entry.id, f"{field}.sha256",
                                    f"文件内容已变 / hash mismatch: {source.path} expected {source.sha256[:12]}…, "
                                    f"actual {actual[:12]}…"))
    return problems


def _check_dates(entry: CatalogEntry) -> list[Problem]:
    problems = []
    if entry.effective_from and entry.issued and entry.effective_from < entry.issued and not entry.retroactive:
        problems.append(Problem(entry.id, "effective_from",
                                f"施行早于发布 / effective_from {entry.effective_from} is before issued {entry.issued} "
                                f"(set retroactive: true if the document says so)"))
    if entry.effective_to and entry.effective_from and entry.effective_to < entry.effective_from:
        problems.append(Problem(entry.id, "effective_to",
                                f"失效早于施行 / effective_to {entry.effective_to} is before effective_from {entry.effective_from}"))
    if entry.has_text and not entry.effective_from:
        problems.append(Problem(entry.id, "effective_from",
                                "有原文的文档须写施行日期 / an indexed document needs effective_from"))
    if entry.status in ("已修订", "已废止") and not entry.effective_to:
        problems.append(Problem(entry.id, "effective_to",
                                f"状态为{entry.status}却没有失效日期 / status {entry.status} needs effective_to"))
    return problems


def _check_refs(entry: CatalogEntry, catalog: Catalog) -> list[Problem]:
    refs = [(f"supersedes[{i}]", r) for i, r in enumerate(entry.supersedes)]
    refs += [(f"superseded_by[{i}]", r) for i, r in enumerate(entry.superseded_by)]
    refs += [(f"article_changes[{i}].by", c.by) for i, c in enumerate(entry.article_changes)]
    return [Problem(entry.id, field, f"引用的文档不在目录中 / unknown document id: {ref}")
            for field, ref in refs if ref not in catalog]


def format_problems(problems: list[Problem]) -> str:
    """One short line per problem, errors and warnings marked in Chinese and English."""
    tags = {"error": "错误 error", "warning": "警告 warning"}
    return "\n".join(f"[{tags.get(p.level, p.level)}] {p.doc_id or '-'} · {p.field}: {p.message}" for p in problems)
