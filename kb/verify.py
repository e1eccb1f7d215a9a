"""``laoquan index --verify``: is the index what the sources say, and can every part of it be read?

Checks, each finding one line saying what is wrong and what fixes it:

- the manifest: there, a JSON object of the expected shape, of this splitter version;
- the chunk texts: each matches its own sha256 (an edited manifest) and the text the source file
  gives today (each document is read and split again and its chunks' hashes compared);
- the Chroma collection the manifest names: there, as many vectors as the manifest has, the same
  ids, the same text hashes, and a sample of vectors read back whole (finite, unit length, each
  its own nearest neighbour — a deleted or garbled HNSW segment fails this);
- the records file (``records.sqlite3``): ``PRAGMA quick_check``, opened read-only.

Nothing is written. :func:`verify_index` returns the findings; each says which run repairs it
(:class:`Fix`): a plain ``laoquan index``, ``laoquan index --rebuild``, or nothing this command can
do (the records file is the web page's: restore it from a backup).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from common.files import file_sha256
from common.settings import Settings
from corpus.catalog import Catalog, load_catalog_for
from kb.faults import REBUILD_HINT, TEXT_HASH_KEY, IndexFault, sqlite_problem, text_matches, text_sha256
from kb.generations import index_lock, pointer_of
from kb.index import IndexReport, probe_sample, read_manifest, split_document, token_counter
from kb.load import SourceError, load_source
from kb.store import CollectionMissingError, VectorStore


class Check(Enum):
    MANIFEST = "manifest"
    CHUNK_TEXT = "chunk_text"
    SOURCES = "sources"
    COLLECTION = "collection"
    VECTORS = "vectors"
    RECORDS = "records"


class Fix(Enum):
    """What repairs a finding, mildest first."""

    INDEX = 1
    """A plain ``laoquan index`` (it re-reads what changed and rewrites what is broken)."""
    REBUILD = 2
    """``laoquan index --rebuild``: nothing indexed before can be trusted."""
    MANUAL = 3
    """Not this command's to repair (the records file): the message says what to do."""


@dataclass(frozen=True)
class Finding:
    check: Check
    message: str
    fix: Fix

    @property
    def line(self) -> str:
        how = {Fix.INDEX: "运行 `laoquan index --verify --repair`（或 `laoquan index`）可修复",
               Fix.REBUILD: REBUILD_HINT, Fix.MANUAL: ""}[self.fix]
        return f"[{self.check.value}] {self.message}" + (f"；{how}" if how else "")


@dataclass
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    """What was looked at: documents, chunks, vectors, sampled vectors, records file (1 or 0)."""

    @property
    def ok(self) -> bool:
        return not self.findings

    def needs(self, fix: Fix) -> bool:
        return any(f.fix is fix for f in self.findings)

    def lines(self) -> list[str]:
        if self.findings:
            return [f.line for f in self.findings]
        c = self.checked
        return [f"索引检查无误：文档 {c.get('documents', 0)} 份，条文块 {c.get('chunks', 0)} 个，向量 {c.get('vectors', 0)} 个"
                f"（抽查 {c.get('sampled', 0)} 个），记录文件{'无误' if c.get('records') else '不存在（还没有记录）'}"]


def verify_index(settings: Settings, *, catalog: Catalog | None = None, sample: int = 24) -> VerifyReport:
    """Every check above, under the index lock (an index run in progress is waited for)."""
    report = VerifyReport()
    with index_lock(settings.paths.index_dir):
        manifest = _check_manifest(settings, report)
        if manifest is not None:
            _check_chunk_texts(manifest, report)
            _check_sources(settings, catalog or load_catalog_for(settings), manifest, report)
            _check_collection(settings, manifest, report, sample)
    _check_records(settings.paths.records_path, report)
    return report


def _check_manifest(settings: Settings, report: VerifyReport) -> dict | None:
    try:
        manifest = read_manifest(settings.paths.index_dir)
    except IndexFault as exc:
        report.findings.append(Finding(Check.MANIFEST, str(exc).split("；")[0], Fix.REBUILD))
        return None
    if manifest.get("stale"):
        report.findings.append(Finding(Check.MANIFEST, f"还没有当前版本的索引（{settings.paths.index_dir}）", Fix.INDEX))
        return None
    return manifest


def _check_chunk_texts(manifest: dict, report: VerifyReport) -> None:
    chunks = manifest["chunks"]
    report.checked["chunks"] = len(chunks)
    edited = [cid for cid, r in chunks.items() if not text_matches(r)]
    if edited:
        report.findings.append(Finding(Check.CHUNK_TEXT, f"{len(edited)} 个条文块的文本与其 sha256 不符（如 {edited[0]}），不会被引用", Fix.INDEX))


def _check_sources(settings: Settings, catalog: Catalog, manifest: dict, report: VerifyReport) -> None:
    """Each document's source file as indexed (its sha256), and its chunks as the file splits today."""
    documents, chunks = manifest["documents"], manifest["chunks"]
    count_tokens = None
    report.checked["documents"] = len(documents)
    for entry in catalog.with_text():
        indexed = documents.get(entry.id)
        path = settings.paths.sources / entry.primary_source.path
        if indexed is None:
            report.findings.append(Finding(Check.SOURCES, f"{entry.id}: 没有编入索引", Fix.INDEX))
            continue
        try:
            sha256 = file_sha256(path)
        except OSError:
            continue  # a missing file keeps its old index on purpose (``laoquan corpus check`` reports it)
        if indexed.get("source_sha256") != sha256:
            report.findings.append(Finding(Check.SOURCES, f"{entry.id}: 原文文件已改动，索引还是旧的", Fix.INDEX))
            continue
        try:
            text = load_source(path, format=entry.primary_source.format)
        except SourceError:
            continue
        if count_tokens is None:
            from kb.embeddings import ensure_model_folder

            count_tokens = token_counter(ensure_model_folder(settings.paths.model_dir))
        fresh = {c.chunk_id: text_sha256(c.text) for c in split_document(entry, text, path, count_tokens, IndexReport())}
        kept = {cid: chunks[cid].get(TEXT_HASH_KEY) for cid in indexed["chunks"] if cid in chunks}
        differing = sorted(set(fresh) ^ set(kept) | {cid for cid in fresh.keys() & kept.keys() if fresh[cid] != kept[cid]})
        if differing:
            report.findings.append(Finding(Check.SOURCES, f"{entry.id}: {len(differing)} 个条文块与原文不一致（如 {differing[0]}）", Fix.INDEX))


def _check_collection(settings: Settings, manifest: dict, report: VerifyReport, sample: int) -> None:
    pointer = pointer_of(manifest, base=settings.index.collection)
    wanted = set(manifest["chunks"]) | set(manifest.get("pointers", {}))
    chroma_file = settings.paths.chroma_dir / "chroma.sqlite3"
    if not settings.index.chroma_url and chroma_file.is_file():
        problem = sqlite_problem(chroma_file)
        if problem:
            report.findings.append(Finding(Check.COLLECTION, f"向量库文件 {chroma_file} {problem}", Fix.REBUILD))
            return
    try:
        store = VectorStore(settings, collection=pointer.collection, create=False)
        hashes = store.text_hashes()
    except CollectionMissingError:
        report.findings.append(Finding(Check.COLLECTION, f"索引指向的向量集合 {pointer.collection} 不在向量库里", Fix.INDEX))
        return
    except IndexFault as exc:  # the SQLite file is sound (checked above): its segment files are not
        fix = Fix.REBUILD if settings.index.chroma_url else Fix.INDEX
        report.findings.append(Finding(Check.VECTORS, str(exc).split("；")[0], fix))
        return
    report.checked["vectors"] = len(hashes)
    missing, extra = wanted - set(hashes), set(hashes) - wanted
    if missing:
        report.findings.append(Finding(Check.COLLECTION, f"向量集合 {pointer.collection} 缺少 {len(missing)} 个向量（如 {min(missing)}）", Fix.INDEX))
    if extra:
        report.findings.append(Finding(Check.COLLECTION, f"向量集合 {pointer.collection} 多出 {len(extra)} 个清单里没有的向量（如 {min(extra)}）", Fix.INDEX))
    unlike = sorted(cid for cid, r in manifest["chunks"].items() if cid in hashes and hashes[cid] != r.get(TEXT_HASH_KEY))
    if unlike:
        report.findings.append(Finding(Check.COLLECTION, f"{len(unlike)} 个向量旁记的文本 sha256 与清单不同（如 {unlike[0]}）", Fix.REBUILD))
    ids = probe_sample(sorted(wanted & set(hashes)), sample)
    report.checked["sampled"] = len(ids)
    problem = store.probe(ids)
    if problem:
        report.findings.append(Finding(Check.VECTORS, problem.split("；")[0], Fix.INDEX))


def _check_records(path: Path, report: VerifyReport) -> None:
    """``PRAGMA quick_check`` of the records file, opened read-only (never created)."""
    if not path.is_file():
        report.checked["records"] = 0
        return
    problem = sqlite_problem(path)
    report.checked["records"] = 1
    if problem:
        what_to_do = f"先停止 `laoquan serve` 并备份该文件，再从备份恢复（或用 sqlite3 的 .recover 抢救）：{path}"
        report.findings.append(Finding(Check.RECORDS, f"记录文件{problem}：{what_to_do}", Fix.MANUAL))
