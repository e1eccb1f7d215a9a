"""A newcomer without a sources folder: what to tell them, and ``laoquan corpus fetch --all``.

Someone who clones the repository has no ``../shared/corpus-raw``. Instead of stopping with 「找不到原文
文件夹」, ``laoquan index`` / ``serve`` say what to do (:func:`no_sources_message`), and ``./run serve``
offers to do it (``laoquan index --offer-fetch`` asks when stdin is a terminal).
``laoquan corpus fetch --all`` downloads, from its publisher's page (the catalog's ``source_url``),
every catalogued document whose text is not on this machine — those without a text in catalog.yaml
and those whose file the sources folder lacks — and checks each as :mod:`kb.fetch` does (the page
or PDF is read by the project's loader, split into its 第…条 articles, its title found); each is
stored in ``<data>/sources/`` and recorded in the local overlay, which then stands in for a missing
file (see :func:`corpus.catalog.load_catalog`). A document that fails is reported and skipped; the
others are indexed.
"""
from __future__ import annotations

from pathlib import Path

from corpus.catalog import Catalog, CatalogEntry, overlay_path
from kb.fetch import TIMEOUT, FetchResult, fetch_document


def no_sources_message(sources: Path) -> str:
    """What to do when the sources folder is missing (plain Chinese, the English after it)."""
    return (f"找不到原文文件夹 {sources}。第一次使用的话：运行 `laoquan corpus fetch --all`，从各发布机关的网站下载目录里的全部官方原文"
            f"（每份都检查能读出条文、标题对得上；需要联网），再运行 `laoquan index`；已经有原文文件夹的话，用 --sources 或 LAOQUAN_SOURCES 指定。"
            f" / No sources folder at {sources}: run `laoquan corpus fetch --all` to download every catalogued official text from its"
            f" publisher (each is checked), then `laoquan index`; or point --sources / LAOQUAN_SOURCES at a folder you have.")


def needs_sources(settings) -> bool:
    """No sources folder and nothing fetched yet: there is nothing to index."""
    return not Path(settings.paths.sources).is_dir() and not overlay_path(settings).is_file()


def missing_texts(catalog: Catalog, sources: Path) -> list[CatalogEntry]:
    """Catalogued documents whose text is not on this machine (none in the catalog or the overlay,
    or a file the sources folder lacks), in catalog order."""
    return [e for e in catalog if not e.has_text or not (Path(sources) / e.primary_source.path).is_file()]


def fetch_all(catalog: Catalog, settings, *, timeout: float = TIMEOUT, on_result=None, fetch=fetch_document) -> list[FetchResult]:
    """Download and check every document of :func:`missing_texts` (``catalog``: the merged one)."""
    results = []
    for entry in missing_texts(catalog, settings.paths.sources):
        results.append(fetch(entry, settings.paths.data_dir, timeout=timeout))
        if on_result:
            on_result(results[-1])
    return results


__all__ = ["fetch_all", "missing_texts", "needs_sources", "no_sources_message"]
