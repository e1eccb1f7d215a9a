"""The document catalog: the real one loads and checks clean; every load error and check problem is caught.

Small catalogs are written into tmp_path with a fake sources folder (two tiny texts), so each test
changes exactly one thing and expects exactly one complaint.
"""
from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
import yaml

from corpus.catalog import (
    CATALOG_FILE,
    Catalog,
    CatalogError,
    Problem,
    check_catalog,
    format_problems,
    load_catalog,
)

TEXT_IDS = [
    "laodong-hetong-fa", "laodong-hetong-fa-shishi-tiaoli", "laodong-fa", "gongshang-baoxian-tiaoli",
    "shehui-baoxian-fa", "laodong-zhengyi-tiaojie-zhongcai-fa", "laodong-baozhang-jiancha-tiaoli",
    "baozhang-nongmingong-gongzi-zhifu-tiaoli", "gongzi-zhifu-zanxing-guiding", "zhigong-gongzuo-shijian-guiding",
    "yueping-gongzuo-shijian-tongzhi", "zhigong-daixin-nianxiujia-tiaoli", "qiye-zhigong-daixin-nianxiujia-banfa",
    "shiye-baoxian-tiaoli", "nvzhigong-laodong-baohu-guiding", "anquan-shengchan-fa", "jiuye-cujin-fa", "gonghui-fa",
    "kuaidi-zanxing-tiaoli", "laodong-zhengyi-jieshi-1", "laodong-zhengyi-jieshi-2",
    "gongshang-xingzheng-anjian-guiding", "shehui-baoxian-jingban-tiaoli", "daolu-yunshu-tiaoli",
    "jiaban-dianxing-anli-2021",
]


# ------------------------------------------------------------------------------------------------
# The real catalog


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG_FILE)


@pytest.mark.integration
def test_real_catalog_checks_clean(catalog, sources_dir):
    problems = check_catalog(catalog, sources_dir)
    assert problems == [], format_problems(problems)


def test_every_text_in_the_sources_folder_has_its_entry(catalog):
    assert sorted(e.id for e in catalog.with_text()) == sorted(TEXT_IDS)
    assert catalog.get("laodong-hetong-fa").primary_source.format == "markdown"
    assert [s.format for s in catalog.get("laodong-hetong-fa").sources] == ["markdown", "pdf"]
    assert catalog.get("laodong-zhengyi-jieshi-2").primary_source.format == "text"
    assert catalog.get("不存在的文档") is None


def test_key_facts_come_from_the_catalog_not_the_headers(catalog):
    gongshang = catalog.get("gongshang-baoxian-tiaoli")  # 标题行只写了 2003 年国务院令第375号
    assert (gongshang.doc_no, gongshang.issued, gongshang.effective_from) == ("国务院令第586号", date(2010, 12, 20), date(2011, 1, 1))
    hetong = catalog.get("laodong-hetong-fa")
    assert (hetong.issued, hetong.effective_from) == (date(2012, 12, 28), date(2013, 7, 1))
    assert catalog.get("laodong-fa").issued == date(2018, 12, 29)
    assert catalog.get("kuaidi-zanxing-tiaoli").issued == date(2019, 3, 2)
    assert "?" in catalog.get("jiaban-dianxing-anli-2021").notes  # 发布机关待核实


def test_new_employment_form_documents_are_catalogued_without_text(catalog):
    pilot = catalog.get("zhiye-shanghai-baozhang-shidian-tongzhi-2021")
    expanded = catalog.get("zhiye-shanghai-baozhang-kuoda-tongzhi-2025")
    assert not pilot.has_text and pilot.primary_source is None
    assert len(pilot.scope) == 7 and len(expanded.scope) == 17 and set(pilot.scope) < set(expanded.scope)
    assert catalog.get("zhejiang-xinjiuye-quanyi-banfa-2021").region == "浙江"
    assert catalog.get("zhejiang-xinjiuye-quanyi-banfa-2021").authority_label == "地方文件"
    assert catalog.get("xinjiuye-quanyi-zhidao-yijian-2021").authority_label == "部门文件"


def test_interpretation_one_loses_article_32_para_1_on_2025_09_01(catalog):
    jieshi1 = catalog.get("laodong-zhengyi-jieshi-1")
    assert jieshi1.repealed_articles(date(2025, 8, 31)) == ()
    [change] = jieshi1.repealed_articles(date(2025, 9, 1))
    assert (change.article, change.status, change.by) == ("第三十二条第一款", "已废止", "laodong-zhengyi-jieshi-2")
    # 部分废止不影响整部解释的效力
    assert not jieshi1.in_force(date(2020, 12, 31))
    assert jieshi1.in_force(date(2021, 1, 1)) and jieshi1.in_force(date(2025, 9, 1))
    jieshi2 = catalog.get("laodong-zhengyi-jieshi-2")
    assert not jieshi2.in_force(date(2025, 8, 31)) and jieshi2.in_force(date(2025, 9, 1))


def test_revised_measures_hand_over_on_2025_07_01(catalog):
    old, new = catalog.get("zhiye-shanghai-baozhang-banfa-2021"), catalog.get("zhiye-shanghai-baozhang-banfa-2025")
    assert old.superseded_by == (new.id,) and new.supersedes == (old.id,)
    assert old.in_force(date(2025, 6, 30)) and not old.in_force(date(2025, 7, 1))
    assert not new.in_force(date(2025, 6, 30)) and new.in_force(date(2025, 7, 1))


# ------------------------------------------------------------------------------------------------
# Small fixture catalogs

TEXT_A = "# 甲法\n\n第一条 劳动者享有取得劳动报酬的权利。\n"
TEXT_B = "第一条 乙规定自公布之日起施行。\n"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def sources(tmp_path) -> Path:
    """A sources folder with two texts, 甲法.md and 乙规定.txt."""
    root = tmp_path / "corpus-raw"
    (root / "texts").mkdir(parents=True)
    (root / "texts" / "甲法.md").write_text(TEXT_A, encoding="utf-8")
    (root / "texts" / "乙规定.txt").write_text(TEXT_B, encoding="utf-8")
    return root


def _entries() -> list[dict]:
    return [
        {
            "id": "jia-fa", "title": "中华人民共和国甲法", "short_name": "甲法", "issuer": "全国人民代表大会常务委员会",
            "doc_no": "主席令第1号", "kind": "法律", "region": "全国", "issued": "2020-01-01",
            "effective_from": "2020-03-01", "effective_to": None, "status": "现行有效",
            "article_changes": [{"article": "第一条第一款", "status": "已废止", "from": "2024-01-01", "by": "yi-guiding",
                                 "note": "被乙规定废止"}],
            "sources": [{"path": "texts/甲法.md", "sha256": _sha(TEXT_A), "format": "markdown"}],
        },
        {
            "id": "yi-guiding", "title": "乙规定", "short_name": "乙规定", "issuer": "国务院", "kind": "行政法规",
            "region": "全国", "issued": "2023-12-01", "effective_from": "2024-01-01", "status": "现行有效",
            "sources": [{"path": "texts/乙规定.txt", "sha256": _sha(TEXT_B), "format": "text"}],
        },
    ]


def _write(tmp_path: Path, entries: list[dict]) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _check(tmp_path, sources, entries) -> list[Problem]:
    return check_catalog(load_catalog(_write(tmp_path, entries)), sources)


def test_fixture_catalog_is_clean(tmp_path, sources):
    assert _check(tmp_path, sources, _entries()) == []


def test_unquoted_yaml_dates_are_read_as_dates(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text(
        "documents:\n  - id: jia-fa\n    title: 甲法\n    short_name: 甲法\n    issuer: 国务院\n    kind: 行政法规\n"
        "    region: 全国\n    status: 现行有效\n    issued: 2020-01-01\n    effective_from: 2020-03-01\n",
        encoding="utf-8",
    )
    entry = load_catalog(path).get("jia-fa")
    assert (entry.issued, entry.effective_from, entry.sources) == (date(2020, 1, 1), date(2020, 3, 1), ())


def test_missing_file_is_reported(tmp_path, sources):
    (sources / "texts" / "乙规定.txt").unlink()
    [problem] = _check(tmp_path, sources, _entries())
    assert (problem.doc_id, problem.field, problem.level) == ("yi-guiding", "sources[0].path", "error")
    assert "texts/乙规定.txt" in problem.message


def test_altered_text_is_reported_with_both_hashes(tmp_path, sources):
    (sources / "texts" / "甲法.md").write_text(TEXT_A + "第二条 新增一条。\n", encoding="utf-8")
    [problem] = _check(tmp_path, sources, _entries())
    assert (problem.doc_id, problem.field) == ("jia-fa", "sources[0].sha256")
    actual = hashlib.sha256((sources / "texts" / "甲法.md").read_bytes()).hexdigest()
    assert _sha(TEXT_A)[:12] in problem.message and actual[:12] in problem.message


def test_dangling_references_are_reported(tmp_path, sources):
    entries = _entries()
    entries[0]["supersedes"] = ["bing-tiaoli"]
    entries[0]["article_changes"][0]["by"] = "ding-jieshi"
    entries[1]["superseded_by"] = ["wu-banfa"]
    problems = _check(tmp_path, sources, entries)
    assert [(p.doc_id, p.field) for p in problems] == [
        ("jia-fa", "supersedes[0]"), ("jia-fa", "article_changes[0].by"), ("yi-guiding", "superseded_by[0]")]
    assert all(p.level == "error" for p in problems)
    assert "bing-tiaoli" in problems[0].message


def test_impossible_dates_are_reported(tmp_path, sources):
    entries = _entries()
    entries[0]["effective_from"] = "2019-12-31"  # 早于公布日期 2020-01-01
    entries[1]["effective_to"] = "2023-12-31"  # 早于施行日期 2024-01-01
    problems = _check(tmp_path, sources, entries)
    assert [(p.doc_id, p.field) for p in problems] == [("jia-fa", "effective_from"), ("yi-guiding", "effective_to")]


def test_retroactive_document_may_take_effect_before_issue(tmp_path, sources):
    entries = _entries()
    entries[1].update(issued="2024-01-30", effective_from="2024-01-01", retroactive=True)  # 发文晚于施行，文件明定
    assert _check(tmp_path, sources, entries) == []


def test_indexed_document_needs_a_start_and_revised_one_an_end(tmp_path, sources):
    entries = _entries()
    entries[0]["effective_from"] = None
    entries[1]["status"] = "已修订"
    problems = _check(tmp_path, sources, entries)
    assert [(p.doc_id, p.field) for p in problems] == [("jia-fa", "effective_from"), ("yi-guiding", "effective_to")]


def test_format_must_match_the_suffix(tmp_path, sources):
    entries = _entries()
    entries[1]["sources"][0]["format"] = "markdown"
    [problem] = _check(tmp_path, sources, entries)
    assert (problem.doc_id, problem.field) == ("yi-guiding", "sources[0].format")


def test_uncatalogued_file_is_a_warning(tmp_path, sources):
    (sources / "pdf").mkdir()
    (sources / "pdf" / "丙条例.pdf").write_bytes(b"%PDF-1.4\n")
    (sources / "README.md").write_text("说明\n", encoding="utf-8")  # 不在 texts/ 或 pdf/ 下：不管
    [problem] = _check(tmp_path, sources, _entries())
    assert (problem.doc_id, problem.level) == (None, "warning")
    assert "pdf/丙条例.pdf" in problem.message


def test_format_problems_writes_one_line_each():
    problems = [
        Problem("jia-fa", "sources[0].sha256", "文件内容已变 / hash mismatch"),
        Problem(None, "sources", "文件未收入目录 / file not in the catalog: pdf/丙条例.pdf", "warning"),
    ]
    lines = format_problems(problems).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[错误 error] jia-fa · sources[0].sha256")
    assert lines[1].startswith("[警告 warning] - · sources")


# ------------------------------------------------------------------------------------------------
# Load errors name the entry and the field


def _load_error(tmp_path, entries) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(_write(tmp_path, entries))
    return str(info.value)


@pytest.mark.parametrize("bad", ["2020-02-30", "2020/01/01", "二〇二〇年一月一日"])
def test_bad_date(tmp_path, bad):
    entries = _entries()
    entries[1]["issued"] = bad
    message = _load_error(tmp_path, entries)
    assert "yi-guiding" in message and "issued" in message and "YYYY-MM-DD" in message


def test_bad_date_unquoted_in_yaml(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("documents:\n  - id: jia-fa\n    title: 甲法\n    short_name: 甲法\n    issuer: 国务院\n"
                    "    kind: 行政法规\n    region: 全国\n    status: 现行有效\n    issued: 2020-02-30\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="jia-fa · issued"):
        load_catalog(path)


def test_bad_date_in_article_change(tmp_path):
    entries = _entries()
    entries[0]["article_changes"][0]["from"] = "2024-13-01"
    assert "article_changes[0].from" in _load_error(tmp_path, entries)


def test_duplicate_id(tmp_path):
    entries = _entries()
    entries[1]["id"] = "jia-fa"
    message = _load_error(tmp_path, entries)
    assert "jia-fa" in message and "重复" in message and "duplicate" in message


@pytest.mark.parametrize("field", ["title", "issuer", "kind", "status"])
def test_missing_required_field(tmp_path, field):
    entries = _entries()
    del entries[0][field]
    message = _load_error(tmp_path, entries)
    assert f"jia-fa · {field}" in message and "缺少必填字段" in message


def test_missing_id_names_the_entry_by_position(tmp_path):
    entries = _entries()
    del entries[1]["id"]
    assert "第2条" in _load_error(tmp_path, entries)


@pytest.mark.parametrize("field,value", [("kind", "红头文件"), ("status", "失效")])
def test_unknown_kind_or_status(tmp_path, field, value):
    entries = _entries()
    entries[0][field] = value
    message = _load_error(tmp_path, entries)
    assert f"jia-fa · {field}" in message and value in message


def test_unknown_field_is_a_typo(tmp_path):
    entries = _entries()
    entries[0]["efective_from"] = "2020-03-01"
    assert "jia-fa · efective_from" in _load_error(tmp_path, entries)


def test_bad_source_entry(tmp_path):
    entries = _entries()
    entries[0]["sources"][0]["sha256"] = "abc"
    assert "jia-fa · sources[0].sha256" in _load_error(tmp_path, entries)
    entries = _entries()
    entries[0]["sources"][0]["path"] = "../秘密.md"
    assert "jia-fa · sources[0].path" in _load_error(tmp_path, entries)


def test_bad_yaml(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("documents:\n  - id: jia-fa\n    title: [未闭合\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="YAML"):
        load_catalog(path)


def test_missing_catalog_file(tmp_path):
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "没有这个文件.yaml")


# ------------------------------------------------------------------------------------------------
# in_force on the edges


def test_in_force_edges(tmp_path):
    entries = _entries()
    entries[1].update(status="已废止", effective_to="2024-12-31")
    catalog = load_catalog(_write(tmp_path, entries))
    jia, yi = catalog.get("jia-fa"), catalog.get("yi-guiding")
    assert not jia.in_force(date(2020, 2, 29)) and jia.in_force(date(2020, 3, 1))
    assert yi.in_force(date(2024, 12, 31)) and not yi.in_force(date(2025, 1, 1))
    assert [c.article for c in jia.repealed_articles(date(2024, 1, 1))] == ["第一条第一款"]
    assert list(catalog) == [jia, yi] and len(catalog) == 2 and "jia-fa" in catalog
