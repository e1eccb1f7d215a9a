"""``laoquan corpus fetch`` / ``add``: official texts for catalog entries without one, into a local overlay.

Everything is served by a loopback HTTP server in a thread (127.0.0.1, port 0) from fixtures written
here: a page with a few articles (project-written, not an official text), a small PDF made by hand,
a truncated PDF, a 404, a redirect, a redirect loop, an image-only page, a PNG and a slow page. The
network guard of conftest.py stays on: nothing leaves the machine.
"""
from __future__ import annotations

import hashlib
import shutil
import time
from http.server import BaseHTTPRequestHandler

import pytest

from tests.loopback_http import serve_on_loopback, without_proxies
import yaml

from corpus.catalog import OVERLAY_NAME, check_catalog, load_catalog, load_catalog_for, overlay_path
from kb.fetch import FetchError, add_file, detect_format, fetch_document, fetch_documents
from common.settings import load_settings

DOC = "zhiye-shanghai-baozhang-banfa-2025"  # 规范性文件, 试行, effective 2025-07-01, no text in catalog.yaml
OTHER = "xinjiuye-quanyi-zhidao-yijian-2021"
LAW = "ceshi-fa"  # a made-up law-kind entry without text

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>新就业形态人员职业伤害保障办法（试行）</title></head>
<body><nav>首页 &gt; 政策文件</nav>
<h1>新就业形态人员职业伤害保障办法（试行）</h1>
<h2>第一章 总则</h2>
<p>第一条 为了检验本项目的下载功能，帮助平台从业人员在工作中受到伤害时得到保障，制定本办法。</p>
<p>第二条 本办法适用于通过网络平台接单工作的配送员和网约车司机。</p>
<h2>第二章 待遇</h2>
<p>第三条 从业人员在接单送单途中受到伤害的，可以申请职业伤害保障待遇。</p>
<p>申请时提交下列材料：</p>
<p>（一）身份证明；</p>
<p>（二）事故经过说明。</p>
<footer>网站标识码 测试</footer>
</body></html>
""".encode("utf-8")

NO_TEXT_PAGE = b'<html><head><meta charset="utf-8"></head><body><img src="scan-1.png"><img src="scan-2.png"></body></html>'
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def make_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text (Chinese included) pypdf can extract: a Type0 font with Identity-H
    codes equal to the code points and a ToUnicode map; no font program is embedded."""
    chars = sorted({c for line in lines for c in line})
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /T def "
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{len(chars)} beginbfchar\n" + "".join(f"<{ord(c):04X}> <{ord(c):04X}>\n" for c in chars)
        + "endbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
    ).encode()
    content = "\n".join(
        ["BT /F1 12 Tf 14 TL 50 780 Td"] + [f"<{''.join(f'{ord(c):04X}' for c in line)}> Tj T*" for line in lines] + ["ET"]
    ).encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /Song /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /Song /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity)"
        b" /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
        b"<< /Type /FontDescriptor /FontName /Song /Flags 4 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 880"
        b" /Descent -120 /CapHeight 700 /StemV 80 >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF = make_pdf(["新就业形态人员职业伤害保障办法（试行）", "第一条 为了检验下载功能，制定本办法。", "第二条 平台企业应当按规定参加职业伤害保障。"])
BROKEN_PDF = PDF[: len(PDF) // 2]

ROUTES: dict[str, tuple[int, dict, bytes]] = {
    "/page.html": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE),
    "/banfa.pdf": (200, {"Content-Type": "application/pdf"}, PDF),
    "/download?id=7": (200, {"Content-Type": "application/octet-stream"}, PDF),  # magic bytes decide
    "/broken.pdf": (200, {"Content-Type": "application/pdf"}, BROKEN_PDF),
    "/old-address": (301, {"Location": "/page.html"}, b""),
    "/loop": (302, {"Location": "/loop"}, b""),
    "/scan.html": (200, {"Content-Type": "text/html"}, NO_TEXT_PAGE),
    "/image.png": (200, {"Content-Type": "image/png"}, PNG),
}
SEEN_AGENTS: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        SEEN_AGENTS.append(self.headers.get("User-Agent", ""))
        if self.path == "/slow":
            time.sleep(1.0)
        status, headers, body = ROUTES.get(self.path, (404, {"Content-Type": "text/html"}, b"<p>not found</p>"))
        try:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (the timeout test)
            pass

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def server():
    yield from serve_on_loopback(_Handler)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    without_proxies(monkeypatch)


def _real_entries(*ids: str) -> list[dict]:
    real = yaml.safe_load(load_settings().paths.catalog.read_text(encoding="utf-8"))
    entries = {e["id"]: e for e in real["documents"]}
    return [{**entries[i], "supersedes": [], "superseded_by": []} for i in ids]  # the others are not in the test catalogs


def _law_entry() -> dict:
    return {"id": LAW, "title": "中华人民共和国测试法", "short_name": "测试法", "issuer": "测试机关", "kind": "法律",
            "region": "全国", "status": "现行有效", "effective_from": "2020-01-01", "sources": []}


@pytest.fixture
def settings(tmp_path, server):
    entries = _real_entries(DOC, OTHER) + [_law_entry()]
    entries[0] = {**entries[0], "source_url": f"{server}/page.html"}
    entries[1] = {**entries[1], "source_url": None}
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (tmp_path / "sources").mkdir()
    return load_settings(sources=tmp_path / "sources", data_dir=tmp_path / "data", catalog=catalog)


def _fetch(settings, doc_id=DOC, url=None, **kw):
    return fetch_document(load_catalog_for(settings)[doc_id], settings.paths.data_dir, url=url, **kw)


def _snapshot(settings) -> dict[str, bytes]:
    root = settings.paths.data_dir
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} if root.exists() else {}


# ---------------------------------------------------------------------------------------------
# Fetching


def test_fetch_saves_the_page_and_records_it_in_the_overlay(settings, server):
    result = _fetch(settings)
    assert result.ok, result.message
    assert result.format == "html" and result.articles == 3 and "3 条" in result.message and "3 articles" in result.message
    target = settings.paths.data_dir / "sources" / f"{DOC}.html"
    assert result.path == target and target.read_bytes() == PAGE
    assert result.sha256 == hashlib.sha256(PAGE).hexdigest()

    overlay = yaml.safe_load(overlay_path(settings).read_text(encoding="utf-8"))["documents"][DOC]
    assert overlay["sources"] == [{"path": f"sources/{DOC}.html", "sha256": hashlib.sha256(PAGE).hexdigest(), "format": "html"}]
    assert overlay["fetched_from"] == f"{server}/page.html" and overlay["fetched_at"].endswith("Z")
    assert not list((settings.paths.data_dir / "sources").glob(".*"))  # no temporary files left
    assert any(a.startswith("laoquan/") for a in SEEN_AGENTS)

    merged = load_catalog_for(settings)
    source = merged[DOC].primary_source
    assert merged[DOC].has_text and (settings.paths.sources / source.path) == target  # absolute: the join keeps it
    assert merged[DOC].title == "新就业形态人员职业伤害保障办法（试行）"  # metadata still from catalog.yaml
    assert not load_catalog(settings.paths.catalog)[DOC].has_text  # without the overlay: as before
    assert check_catalog(merged, settings.paths.sources) == []


def test_pdf_is_detected_by_content_type_and_by_magic_bytes(settings, server):
    for url in (f"{server}/banfa.pdf", f"{server}/download?id=7"):
        result = _fetch(settings, url=url)
        assert result.ok and result.format == "pdf" and result.articles == 2, result.message
    assert (settings.paths.data_dir / "sources" / f"{DOC}.pdf").read_bytes() == PDF


def test_redirect_is_followed_and_the_asked_address_recorded(settings, server):
    result = _fetch(settings, url=f"{server}/old-address")
    assert result.ok and result.articles == 3
    overlay = yaml.safe_load(overlay_path(settings).read_text(encoding="utf-8"))["documents"][DOC]
    assert overlay["fetched_from"] == f"{server}/old-address"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/broken.pdf", "broken PDF"),
        ("/missing.html", "HTTP 404"),
        ("/scan.html", "no text found"),
        ("/image.png", "not a text page or PDF"),
        ("/loop", "redirects"),
    ],
)
def test_failures_are_explained_and_change_nothing(settings, server, path, expected):
    assert _fetch(settings).ok  # a text fetched before must survive the failed attempt
    before = _snapshot(settings)
    result = _fetch(settings, url=server + path)
    assert not result.ok and expected in result.message and "失败" in result.message, result.message
    assert _snapshot(settings) == before


def test_timeout(settings, server):
    result = _fetch(settings, url=f"{server}/slow", timeout=0.2)
    assert not result.ok and "timed out" in result.message and not settings.paths.data_dir.exists()


def test_law_without_articles_is_refused(settings, server):
    result = _fetch(settings, LAW, url=f"{server}/scan.html")
    assert not result.ok
    html = settings.paths.data_dir.parent / "news.html"
    html.write_text("<html><body><h1>测试法</h1><p>记者从有关部门获悉，测试法将于明年施行。</p></body></html>", encoding="utf-8")
    result = add_file(load_catalog_for(settings)[LAW], html, settings.paths.data_dir)
    assert not result.ok and "no articles" in result.message and not overlay_path(settings).exists()


def test_fetch_all_without_text_and_the_url_rule(settings, server):
    catalog, base = load_catalog_for(settings), load_catalog(settings.paths.catalog)
    results = fetch_documents(catalog, base, settings.paths.data_dir)
    by_id = {r.doc_id: r for r in results}
    assert set(by_id) == {DOC, OTHER, LAW}
    assert by_id[DOC].ok and by_id[OTHER].skipped and by_id[LAW].skipped  # no source_url: skipped, said so
    assert "--url" in by_id[OTHER].message
    # fetched ones are not fetched again by default
    assert {r.doc_id for r in fetch_documents(load_catalog_for(settings), base, settings.paths.data_dir)} == {OTHER, LAW}
    with pytest.raises(FetchError, match="exactly one --id"):
        fetch_documents(catalog, base, settings.paths.data_dir, url=f"{server}/page.html")
    with pytest.raises(FetchError, match="no such document"):
        fetch_documents(catalog, base, settings.paths.data_dir, ids=["no-such-doc"])


def test_detect_format():
    assert detect_format(PDF, "text/html") == "pdf"  # magic bytes win over a wrong header
    assert detect_format(PAGE, "") == "html"
    assert detect_format("第一条 正文。".encode("gb18030"), "text/plain") == "text"
    assert detect_format(b"# x\n", "", "x.md") == "markdown"
    with pytest.raises(FetchError):
        detect_format(PNG, "application/octet-stream")


# ---------------------------------------------------------------------------------------------
# corpus add, the CLI, corpus check


def test_corpus_add_copies_checks_and_records(settings, tmp_path):
    pdf = tmp_path / "办法.pdf"
    pdf.write_bytes(PDF)
    result = add_file(load_catalog_for(settings)[DOC], pdf, settings.paths.data_dir)
    assert result.ok and result.articles == 2
    overlay = yaml.safe_load(overlay_path(settings).read_text(encoding="utf-8"))["documents"][DOC]
    assert overlay["sources"][0]["sha256"] == hashlib.sha256(PDF).hexdigest() and overlay["added_from"] == str(pdf)
    assert pdf.exists() and (settings.paths.data_dir / "sources" / f"{DOC}.pdf").read_bytes() == PDF

    # a later text of another format replaces it; the old copy goes
    page = tmp_path / "page.html"
    page.write_bytes(PAGE)
    assert add_file(load_catalog_for(settings)[DOC], page, settings.paths.data_dir).ok
    assert sorted(p.name for p in (settings.paths.data_dir / "sources").iterdir()) == [f"{DOC}.html"]

    docx = tmp_path / "办法.docx"
    docx.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    result = add_file(load_catalog_for(settings)[DOC], docx, settings.paths.data_dir)
    assert not result.ok and "unsupported file type '.docx'" in result.message

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(BROKEN_PDF)
    before = _snapshot(settings)
    result = add_file(load_catalog_for(settings)[DOC], broken, settings.paths.data_dir)
    assert not result.ok and "broken PDF" in result.message and _snapshot(settings) == before


def test_cli_fetch_add_and_check(settings, server, tmp_path, monkeypatch, capsys):
    from laoquan import cli

    monkeypatch.setenv("LAOQUAN_CATALOG", str(settings.paths.catalog))
    common = ["--sources", str(settings.paths.sources), "--data-dir", str(settings.paths.data_dir)]
    assert cli.main(common + ["corpus", "fetch", "--id", DOC, "--url", f"{server}/missing.html"]) == 1
    assert "HTTP 404" in capsys.readouterr().out
    assert cli.main(common + ["corpus", "fetch", "--id", DOC]) == 0
    out = capsys.readouterr().out
    assert "已保存" in out and "laoquan index" in out
    assert cli.main(common + ["corpus", "fetch", "--url", f"{server}/page.html"]) == 2  # --url without one --id
    assert cli.main(common + ["corpus", "add", str(tmp_path / "nothing.pdf"), "--id", OTHER]) == 1
    assert "cannot read" in capsys.readouterr().out

    assert cli.main(common + ["corpus", "check"]) == 0
    (settings.paths.data_dir / "sources" / f"{DOC}.html").write_bytes(PAGE.replace("第三条".encode(), "第四条".encode()))
    assert cli.main(common + ["corpus", "check"]) == 1
    assert "hash mismatch" in capsys.readouterr().out


def test_overlay_for_a_document_with_text_is_ignored_and_reported(tmp_path):
    from corpus.catalog import CatalogError

    entry = {"id": "jia-fa", "title": "甲法", "short_name": "甲法", "issuer": "国务院", "kind": "行政法规", "region": "全国",
             "status": "现行有效", "effective_from": "2020-01-01",
             "sources": [{"path": "texts/甲法.md", "sha256": "0" * 64, "format": "markdown"}]}
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(yaml.safe_dump({"documents": [entry]}, allow_unicode=True), encoding="utf-8")
    overlay = tmp_path / OVERLAY_NAME
    overlay.write_text(yaml.safe_dump({"documents": {
        "jia-fa": {"sources": [{"path": "sources/jia-fa.md", "sha256": "1" * 64, "format": "markdown"}]},
        "gone": {"sources": [{"path": "sources/gone.md", "sha256": "1" * 64, "format": "markdown"}]},
    }}), encoding="utf-8")
    merged = load_catalog(catalog, overlay=overlay)
    assert merged["jia-fa"].primary_source.path == "texts/甲法.md"
    assert sorted(d for d, _ in merged.overlay_ignored) == ["gone", "jia-fa"]
    warnings = [p for p in check_catalog(merged, tmp_path) if p.field == OVERLAY_NAME]
    assert len(warnings) == 2 and all(p.level == "warning" for p in warnings)
    overlay.write_text("documents:\n  jia-fa: {sources: []}\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="non-empty"):
        load_catalog(catalog, overlay=overlay)


# ---------------------------------------------------------------------------------------------
# Indexing what was fetched


@pytest.mark.integration
def test_fetched_document_is_indexed_with_the_catalogs_metadata(tmp_path, server, workspace, embedder, first_index):
    from kb.index import index_sources, read_manifest
    from kb.store import VectorStore

    data = tmp_path / "data"
    shutil.copytree(workspace.paths.data_dir, data)
    catalog = yaml.safe_load(workspace.paths.catalog.read_text(encoding="utf-8"))
    catalog["documents"] += _real_entries(DOC)
    extended = tmp_path / "catalog.yaml"
    extended.write_text(yaml.safe_dump(catalog, allow_unicode=True, sort_keys=False), encoding="utf-8")
    settings = workspace.replace(data_dir=data, catalog=extended)

    assert _fetch(settings, url=f"{server}/page.html").ok
    report = index_sources(settings, embedder=embedder, progress=False)
    assert not report.problems and report.resplit_documents == 1 and report.deleted == 0

    manifest = read_manifest(settings.paths.index_dir)
    records = [manifest["chunks"][c] for c in manifest["documents"][DOC]["chunks"]]
    assert [r["article"] for r in records] == ["第一条", "第二条", "第三条"]
    assert all(r["kind"] == "article" and r["title"] == "职业伤害保障办法（试行）" for r in records)
    assert records[0]["meta"]["status"] == "试行" and records[0]["meta"]["region"] == "全国"
    assert records[0]["source_url"] == "https://jiangsu.chinatax.gov.cn/art/2025/4/22/art_23636_5882.html"
    assert "（一）身份证明；" in records[2]["text"]
    assert report.embedded == len(records)  # only the new articles were embedded
    assert set(manifest["documents"][DOC]["chunks"]) <= set(VectorStore.served(settings).stored_hashes())
