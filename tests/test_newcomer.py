"""Section 5 of issue 17: a newcomer without a sources folder is told what to do, ``./run serve``
offers to download the texts, and ``laoquan corpus fetch --all`` downloads every catalogued text the
machine lacks (from a loopback server here, with a page written for the test) and checks it."""
from __future__ import annotations

import io
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.loopback_http import serve_on_loopback, without_proxies
import yaml

from common.settings import load_settings
from corpus.catalog import load_catalog_for

LAW_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>中华人民共和国测试法</title></head><body>
<h1>中华人民共和国测试法</h1>
<p>第一条 为了检验新装用户下载原文的功能，制定本法。</p>
<p>第二条 平台从业人员在接单途中受到伤害的，可以按照本法申请保障。</p>
<p>第三条 本法自2020年1月1日起施行。</p>
</body></html>""".encode("utf-8")
NOTICE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于测试通知的通知</title></head><body>
<h1>关于测试通知的通知</h1><p>一、各地要为外卖骑手提供测试服务。</p><p>二、本通知自印发之日起施行。</p></body></html>""".encode("utf-8")
ROUTES = {"/law.html": LAW_PAGE, "/notice.html": NOTICE_PAGE}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = ROUTES.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def publisher():
    yield from serve_on_loopback(_Handler)


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    without_proxies(monkeypatch)


def _entry(doc_id, title, kind, url, sources=()):
    return {"id": doc_id, "title": title, "short_name": title.removeprefix("中华人民共和国"), "issuer": "测试机关", "kind": kind,
            "region": "全国", "status": "现行有效", "effective_from": "2020-01-01", "source_url": url, "sources": list(sources)}


@pytest.fixture
def newcomer(tmp_path, publisher, monkeypatch):
    """A clone without ../shared/corpus-raw: a catalog naming a law whose file would be in the sources
    folder, a notice without text, and a law whose page is gone; environment set for the CLI."""
    catalog = tmp_path / "catalog.yaml"
    pinned = [{"path": "texts/测试法.md", "sha256": "0" * 64, "format": "markdown"}]
    entries = [_entry("ceshi-fa", "中华人民共和国测试法", "法律", f"{publisher}/law.html", pinned),
               _entry("ceshi-tongzhi", "关于测试通知的通知", "规范性文件", f"{publisher}/notice.html"),
               _entry("ceshi-gone", "中华人民共和国消失法", "法律", f"{publisher}/gone.html",
                      [{"path": "texts/消失法.md", "sha256": "1" * 64, "format": "markdown"}])]
    catalog.write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    for name, value in (("SOURCES", tmp_path / "no-corpus-raw"), ("DATA_DIR", tmp_path / "data"), ("CATALOG", catalog)):
        monkeypatch.setenv(f"LAOQUAN_{name}", str(value))
    return load_settings()


def test_index_without_sources_says_to_run_corpus_fetch(newcomer, capsys):
    from laoquan.cli import main

    assert main(["index"]) == 2
    err = capsys.readouterr().err
    assert "laoquan corpus fetch --all" in err and str(newcomer.paths.sources) in err and "LAOQUAN_SOURCES" in err


def test_serve_without_an_index_or_sources_says_the_same(newcomer, capsys, monkeypatch):
    from kb.retriever import IndexMissingError
    from laoquan.cli import main

    def no_index(settings, **kw):
        raise IndexMissingError("知识库还没有建立索引，请先运行 `laoquan index`")

    monkeypatch.setattr("laoquan.app.load_bot", no_index)
    assert main(["serve"]) == 2
    assert "laoquan corpus fetch --all" in capsys.readouterr().err


def test_fetch_all_downloads_and_checks_every_missing_text(newcomer, capsys):
    from kb.fetch_all import missing_texts, needs_sources
    from laoquan.cli import main

    assert [e.id for e in missing_texts(load_catalog_for(newcomer), newcomer.paths.sources)] == ["ceshi-fa", "ceshi-tongzhi", "ceshi-gone"]
    assert main(["corpus", "fetch", "--all"]) == 1  # one page is gone
    out = capsys.readouterr().out
    assert "✓ ceshi-fa" in out and "找到 3 条条文" in out and "✓ ceshi-tongzhi" in out
    assert "✗ ceshi-gone" in out and "HTTP 404" in out and "下载并检查通过 2 份" in out
    catalog = load_catalog_for(newcomer)
    law = Path(catalog["ceshi-fa"].primary_source.path)
    assert law.is_file() and law.read_bytes() == LAW_PAGE and catalog["ceshi-fa"].primary_source.format == "html"
    assert [e.id for e in missing_texts(catalog, newcomer.paths.sources)] == ["ceshi-gone"]
    assert not needs_sources(newcomer)


def test_a_file_in_the_sources_folder_still_wins_over_a_fetched_text(newcomer, capsys):
    from laoquan.cli import main

    main(["corpus", "fetch", "--all"])
    own = newcomer.paths.sources / "texts" / "测试法.md"
    own.parent.mkdir(parents=True)
    own.write_text("# 中华人民共和国测试法\n第一条 本地副本。\n", encoding="utf-8")
    catalog = load_catalog_for(newcomer)
    assert catalog["ceshi-fa"].primary_source.path == "texts/测试法.md"
    assert "ceshi-fa" in {d for d, _ in catalog.overlay_ignored}


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_index_offers_to_fetch_at_a_terminal_then_indexes(newcomer, monkeypatch, capsys):
    from laoquan.cli import main

    indexed = []

    class Report:
        def summary(self):
            return "索引完成"

    monkeypatch.setattr("kb.index.index_sources", lambda settings, progress=True, rebuild=False: indexed.append(load_catalog_for(settings)) or Report())
    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    assert main(["index", "--offer-fetch"]) == 2 and not indexed  # declined: told what to do
    assert "laoquan corpus fetch --all" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # no terminal: no question asked
    assert main(["index", "--offer-fetch"]) == 2 and not indexed
    monkeypatch.setattr("sys.stdin", _Terminal("y\n"))
    assert main(["index", "--offer-fetch"]) == 0
    out = capsys.readouterr().out
    assert "现在就下载全部官方原文吗" in out and "✓ ceshi-fa" in out and "索引完成" in out
    assert indexed and Path(indexed[0]["ceshi-fa"].primary_source.path).is_file()


def test_run_serve_offers_the_fetch():
    script = (Path(__file__).resolve().parent.parent / "run").read_text(encoding="utf-8")
    serve = script[script.index("  serve)"):]
    serve = serve[: serve.index(";;")]
    assert '"$VENV/bin/laoquan" index --offer-fetch' in serve
