"""Load the official text of a catalog document that has none yet: ``laoquan corpus fetch`` / ``add``.

The new-employment-form documents are catalogued without their text (``sources: []`` in
catalog.yaml). An operator can download the official page or PDF (:func:`fetch_documents`) or hand
in a file they already have (:func:`add_file`). Either way the file is

1. recognised (Content-Type, the ``%PDF`` magic bytes, the file name),
2. read with the project's own loader (:func:`kb.load.load_source` must find text) and split
   (:func:`kb.split.split_articles`: how many 第…条 articles it has),
3. stored atomically as ``<data>/sources/<doc_id>.<ext>`` with its sha256, and
4. recorded in the local catalog overlay ``<data>/catalog.local.yaml`` (written atomically), which
   :func:`corpus.catalog.load_catalog` merges, so ``laoquan index`` indexes it with the catalog's
   metadata.

A document that fails any step leaves the data folder and the overlay as they were: whatever was
fetched or indexed before stays. Nothing here runs unless an operator asks; the tests use a
loopback server only.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

from common.files import write_atomic
from corpus.catalog import OVERLAY_NAME, SUFFIX_FORMATS, Catalog, CatalogEntry, read_overlay

USER_AGENT = "laoquan/0.1 (laoquan policy-knowledge bot; corpus fetch run by an operator)"
MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT = 30.0
LAW_KINDS = ("法律", "行政法规", "部门规章", "地方性法规", "司法解释")
"""Kinds whose text must have 第…条 articles (others may be numbered 一、二、 and are split by headings)."""
EXTENSIONS = {"pdf": "pdf", "html": "html", "text": "txt", "markdown": "md"}
_ARTICLE_LABEL = re.compile(r"第[零〇一二三四五六七八九十百千\d]+条(之[一二三四五六七八九十]+)?")


class FetchError(Exception):
    """One document could not be loaded; the message says why, in Chinese and English."""


@dataclass(frozen=True)
class FetchResult:
    doc_id: str
    ok: bool
    message: str
    """One friendly line (Chinese / English) for the operator."""
    path: Path | None = None
    sha256: str | None = None
    format: str | None = None
    articles: int = 0
    chunks: int = 0
    skipped: bool = False
    """Not tried: the catalog has no address for it (and none was given)."""


# ---------------------------------------------------------------------------------------------
# Which documents


def wanted_entries(catalog: Catalog, base: Catalog, ids: list[str] | None) -> list[CatalogEntry]:
    """The entries to fetch: the named ones, or every entry without text (in ``catalog``, the merged one).

    ``base`` is catalog.yaml alone: a document whose text is pinned there is never fetched.
    """
    if not ids:
        return [e for e in catalog if not e.has_text]
    out = []
    for doc_id in ids:
        entry = base.get(doc_id)
        if entry is None:
            raise FetchError(f"目录中没有这份文档 / no such document in the catalog: {doc_id}")
        if entry.has_text:
            raise FetchError(f"{doc_id}: catalog.yaml 已有原文，无需下载 / catalog.yaml already has its text")
        out.append(entry)
    return out


# ---------------------------------------------------------------------------------------------
# Downloading


def download(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> tuple[bytes, str, str]:
    """(body, Content-Type, final URL) of ``url``; redirects followed (at most 5), size limited."""
    import httpx

    if not re.match(r"https?://", url, re.I):
        raise FetchError(f"地址应以 http:// 或 https:// 开头 / not an http(s) URL: {url}")
    try:
        with httpx.Client(
            follow_redirects=True, max_redirects=MAX_REDIRECTS, timeout=timeout, headers={"User-Agent": USER_AGENT}
        ) as client:
            with client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise FetchError(f"下载失败，HTTP {response.status_code} / download failed: HTTP {response.status_code} ({url})")
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > max_bytes:
                    raise FetchError(f"文件太大（{int(declared) // 1048576} MB）/ too large: over {max_bytes // 1048576} MB")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise FetchError(f"文件太大 / too large: over {max_bytes // 1048576} MB")
                return bytes(body), response.headers.get("content-type", ""), str(response.url)
    except httpx.TooManyRedirects:
        raise FetchError(f"重定向超过 {MAX_REDIRECTS} 次 / more than {MAX_REDIRECTS} redirects: {url}") from None
    except httpx.TimeoutException:
        raise FetchError(f"连接超时（{timeout:g} 秒）/ timed out after {timeout:g} s: {url}") from None
    except httpx.InvalidURL as exc:
        raise FetchError(f"地址无效 / invalid URL: {url} ({exc})") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"连接失败 / connection failed: {url} ({type(exc).__name__}: {exc})") from None


def detect_format(data: bytes, content_type: str = "", name: str = "") -> str:
    """``pdf``, ``html``, ``text`` or ``markdown``; :class:`FetchError` for anything else (an image…)."""
    ctype = content_type.split(";")[0].strip().lower()
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    suffix = Path(name.split("?")[0]).suffix.lower()
    if head.startswith(b"%PDF") or ctype == "application/pdf" or (not ctype and suffix == ".pdf"):
        return "pdf"
    if ctype in ("text/html", "application/xhtml+xml") or (not ctype and suffix in (".html", ".htm")):
        return "html"
    if suffix in (".md", ".markdown") and ctype in ("", "text/plain", "text/markdown", "application/octet-stream"):
        return "markdown"
    if ctype == "text/markdown":
        return "markdown"
    if re.match(rb"(?i)<(!doctype html|html|head|body|meta|p\b|div\b)", head):
        return "html"
    if ctype.startswith("text/") or (not ctype and suffix == ".txt") or ctype in ("", "application/octet-stream"):
        if b"\x00" not in data[:4096] and _decodes(data):
            return "text"
    shown = ctype or (suffix or "未知 unknown")
    raise FetchError(f"不是文本或PDF（{shown}）/ not a text page or PDF ({shown})")


def _decodes(data: bytes) -> bool:
    from kb.load import SourceError, decode_text

    try:
        decode_text(data, name="")
        return True
    except SourceError:
        return False


# ---------------------------------------------------------------------------------------------
# Checking, storing, recording


def check_text(data: bytes, fmt: str, entry: CatalogEntry, workdir: Path) -> tuple[int, int, str]:
    """(articles, chunks, note): the file read and split as the index would; :class:`FetchError` if unusable."""
    from kb.load import SourceError, load_source
    from kb.split import split_articles

    workdir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{entry.id}.", suffix=f".{EXTENSIONS[fmt]}.check", dir=workdir)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            source = load_source(Path(tmp), format=fmt)
        except SourceError as exc:
            raise FetchError(str(exc).replace(Path(tmp).name, f"{entry.id}.{EXTENSIONS[fmt]}")) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    chunks = split_articles(source, doc_id=entry.id, title=entry.short_name, kind=entry.kind)
    articles = len({c.article for c in chunks if _ARTICLE_LABEL.fullmatch(c.article)})
    if entry.kind in LAW_KINDS and not articles:
        raise FetchError(f"找不到“第…条”条文，可能不是正文页 / no articles (第…条) found: is this the text itself? ({entry.kind})")
    flat = re.sub(r"\s+", "", source.text)
    note = ""
    if not any(re.sub(r"\s+", "", name) in flat for name in (entry.title, entry.short_name) if name):
        note = "；注意：正文里没有找到文件标题，请核对 / note: the title is not in the text, please check it is the right document"
    return articles, len(chunks), note


def store(
    entry: CatalogEntry, data: bytes, fmt: str, data_dir: Path, *, origin: dict, label: str
) -> FetchResult:
    """Check ``data``, save it as ``<data>/sources/<id>.<ext>`` and record it in the overlay."""
    data_dir = Path(data_dir)
    sources_dir = data_dir / "sources"
    articles, chunks, note = check_text(data, fmt, entry, sources_dir)
    overlay = data_dir / OVERLAY_NAME
    documents = dict(read_overlay(overlay))  # a broken overlay stops here, before anything is written
    target = sources_dir / f"{entry.id}.{EXTENSIONS[fmt]}"
    sha256 = hashlib.sha256(data).hexdigest()
    write_atomic(target, data)
    previous = documents.get(entry.id) or {}
    documents[entry.id] = {
        "sources": [{"path": target.relative_to(data_dir).as_posix(), "sha256": sha256, "format": fmt}],
        **origin,
        "articles": articles,
    }
    write_overlay(overlay, documents)
    for old in previous.get("sources", []):  # a text of another format fetched before
        old_path = data_dir / str(old.get("path", ""))
        if old_path.resolve() != target.resolve() and old_path.resolve().parent == sources_dir.resolve():
            old_path.unlink(missing_ok=True)
    found = f"找到 {articles} 条条文 / {articles} articles" if articles else f"无“第…条”，按标题分为 {chunks} 段 / no 第…条 articles, {chunks} chunks by heading"
    dates = "" if entry.effective_from else "；目录缺施行日期 effective_from，请补上 / the catalog needs effective_from for it"
    return FetchResult(entry.id, True, f"✓ {entry.id}（{entry.short_name}）：已保存，{found}（{label}）{note}{dates}",
                       target, sha256, fmt, articles, chunks)


def write_overlay(path: Path, documents: dict) -> None:
    header = (
        "# 劳权通本地目录补充：由 `laoquan corpus fetch` / `laoquan corpus add` 写入，请勿手工修改。\n"
        "# Local catalog overlay written by `laoquan corpus fetch` / `add`: texts for catalog entries\n"
        "# that have none in corpus/catalog.yaml. Paths are relative to this folder (the data folder).\n"
    )
    body = yaml.safe_dump({"documents": documents}, allow_unicode=True, sort_keys=False)
    write_atomic(Path(path), (header + body).encode("utf-8"))


def _size_label(fmt: str, data: bytes) -> str:
    return f"{fmt}, {max(1, round(len(data) / 1024))} KB"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def fetch_document(entry: CatalogEntry, data_dir: Path, *, url: str | None = None, timeout: float = TIMEOUT,
                   max_bytes: int = MAX_BYTES) -> FetchResult:
    """Download ``url`` (default: the entry's ``source_url``), check it, store it, record it."""
    url = url or entry.source_url
    if not url:
        return FetchResult(entry.id, False, f"– {entry.id}（{entry.short_name}）：跳过，目录里没有 source_url，可用 --id {entry.id} --url 指定"
                                            f" / skipped: no source_url in the catalog (give one with --url)", skipped=True)
    try:
        data, content_type, final_url = download(url, timeout=timeout, max_bytes=max_bytes)
        fmt = detect_format(data, content_type, final_url)
        origin = {"fetched_from": url, "fetched_at": _now()}
        return store(entry, data, fmt, data_dir, origin=origin, label=_size_label(fmt, data))
    except FetchError as exc:
        return FetchResult(entry.id, False, f"✗ {entry.id}（{entry.short_name}）：失败 / failed: {exc}")


def fetch_documents(catalog: Catalog, base: Catalog, data_dir: Path, *, ids: list[str] | None = None,
                    url: str | None = None, timeout: float = TIMEOUT, on_result=None) -> list[FetchResult]:
    """Fetch each chosen entry (default: all without text); ``url`` only with exactly one id.
    ``on_result`` is called with each result as soon as it is known (the CLI prints it)."""
    if url and len(ids or []) != 1:
        raise FetchError("--url 只能和一个 --id 一起用 / --url needs exactly one --id")
    results = []
    for entry in wanted_entries(catalog, base, ids):
        results.append(fetch_document(entry, data_dir, url=url, timeout=timeout))
        if on_result:
            on_result(results[-1])
    return results


def add_file(entry: CatalogEntry, file: Path, data_dir: Path) -> FetchResult:
    """A file an operator already has: checked, copied into the data folder and recorded."""
    file = Path(file)
    try:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise FetchError(f"读不到文件 / cannot read {file}: {exc.strerror or exc}") from None
        if not data:
            raise FetchError(f"文件是空的 / empty file: {file.name}")
        if file.suffix.lower() not in SUFFIX_FORMATS and not data.lstrip()[:4] == b"%PDF":
            raise FetchError(f"不支持的文件类型 {file.suffix or '（无扩展名）'}，请另存为 PDF、HTML 或 TXT"
                             f" / unsupported file type {file.suffix!r}: save it as PDF, HTML or plain text")
        fmt = detect_format(data, "", file.name)
        origin = {"added_from": str(file.resolve()), "added_at": _now()}
        return store(entry, data, fmt, data_dir, origin=origin, label=_size_label(fmt, data))
    except FetchError as exc:
        return FetchResult(entry.id, False, f"✗ {entry.id}（{entry.short_name}）：失败 / failed: {exc}")
