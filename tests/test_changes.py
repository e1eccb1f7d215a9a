"""The versioned catalog: the committed change log against the catalog, the log's validation,
``diff_catalogs`` on fixture catalogs, and ``laoquan corpus diff``."""
from __future__ import annotations

import copy
from datetime import date

import pytest
import yaml

from corpus.catalog import load_catalog
from corpus.changes import (CHANGES_FILE, JOBS, KINDS, Change, ChangeLogError, check_changes, describe, diff_catalogs,
                            load_changes, replay)
from laoquan.cli import main

PILOT_2025 = "zhiye-shanghai-baozhang-kuoda-tongzhi-2025"
NEW_PILOT_PROVINCES = ("天津", "河北", "辽宁", "浙江", "安徽", "福建", "山东", "湖北", "广西", "宁夏")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture(scope="module")
def log(catalog):
    return load_changes(CHANGES_FILE, catalog=catalog)


# ---------------------------------------------------------------------------------------------
# The committed log


def test_committed_log_is_consistent_with_the_catalog(log, catalog):
    assert check_changes(log, catalog) == []
    assert {c.doc_id for c in log if c.kind == "added"} == {e.id for e in catalog}
    state = replay(log)
    for entry in catalog:  # the latest recorded status and scope are the catalog's
        assert state[entry.id]["status"] == entry.status, entry.id
        if entry.scope is not None:
            assert tuple(state[entry.id]["scope"]) == entry.scope, entry.id


def test_every_change_has_a_date_regions_and_known_jobs(log):
    for change in log:
        assert change.date and change.regions and change.jobs, change
        assert set(change.jobs) <= set(JOBS)
        assert change.kind in KINDS
    assert [c.date for c in log] == sorted(c.date for c in log)
    assert len({c.key for c in log}) == len(log)  # keys identify changes


def test_log_records_the_2025_pilot_extension_and_the_supersessions(log, catalog):
    [extension] = [c for c in log if c.kind == "pilot_extended"]
    assert extension.doc_id == PILOT_2025 and extension.date == date(2025, 4, 22) and extension.effective == date(2025, 7, 1)
    assert extension.regions == NEW_PILOT_PROVINCES
    assert len(extension.after["scope"]) == 17 and tuple(extension.after["scope"]) == catalog[PILOT_2025].scope
    assert set(extension.before["scope"]) == set(catalog["zhiye-shanghai-baozhang-shidian-tongzhi-2021"].scope)
    assert extension.source_url.startswith("https://")
    assert "新增天津、河北、辽宁、浙江、安徽、福建、山东、湖北、广西、宁夏10个省份（共17个）" in describe(extension, catalog[PILOT_2025])

    revised = [c for c in log if c.doc_id == "zhiye-shanghai-baozhang-banfa-2021"]
    assert [c.kind for c in revised] == ["added", "status_changed"]
    assert revised[0].after["status"] == "试行" and revised[1].after["status"] == "已修订"

    [repeal] = [c for c in log if c.kind == "text_changed"]
    assert repeal.doc_id == "laodong-zhengyi-jieshi-1" and repeal.after == {"articles": {"第三十二条第一款": "已废止"}}
    assert repeal.effective == date(2025, 9, 1)


def test_jobs_are_recorded_per_document_not_everything_for_everyone(log):
    jobs = {c.doc_id: c.jobs for c in log if c.kind == "added"}
    assert jobs["kuaidi-zanxing-tiaoli"] == ("快递",)
    assert jobs["waimai-songcanyuan-quanyi-zhidao-yijian-2021"] == ("外卖",)
    assert "快递" not in jobs[PILOT_2025] and {"外卖", "网约车", "货运"} <= set(jobs[PILOT_2025])
    assert "主播" in jobs["zhidaoxing-anli-237-240"]
    assert jobs["laodong-hetong-fa"] == JOBS  # a general labour law concerns every job


# ---------------------------------------------------------------------------------------------
# Consistency check and validation


def _write_log(tmp_path, entries, name="changes.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump({"changes": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _raw_log():
    return yaml.safe_load(CHANGES_FILE.read_text(encoding="utf-8"))["changes"]


def test_check_reports_a_status_the_log_does_not_know_and_a_document_it_lacks(tmp_path, catalog):
    raw = yaml.safe_load(catalog_path().read_text(encoding="utf-8"))
    for entry in raw["documents"]:
        if entry["id"] == "xinjiuye-hetong-xieyi-dingli-zhiyin-2023":
            entry["status"] = "现行有效"  # 试行 → 正式 without a change recorded
    raw["documents"].append({"id": "ceshi-wenjian", "title": "测试文件", "short_name": "测试文件", "issuer": "测试",
                             "kind": "规范性文件", "region": "全国", "status": "现行有效"})
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    edited = load_catalog(path)
    problems = check_changes(load_changes(CHANGES_FILE), edited)
    assert any("xinjiuye-hetong-xieyi-dingli-zhiyin-2023" in p and "记录的状态是 试行，目录里是 现行有效" in p for p in problems)
    assert any(p.startswith("ceshi-wenjian:") and "added" in p for p in problems)

    entries = _raw_log() + [{"date": "2026-12-01", "doc_id": "xinjiuye-hetong-xieyi-dingli-zhiyin-2023", "kind": "status_changed",
                             "before": {"status": "试行"}, "after": {"status": "现行有效"}, "regions": ["全国"], "jobs": list(JOBS)}]
    fixed = check_changes(load_changes(_write_log(tmp_path, entries)), edited)
    assert not any("xinjiuye-hetong-xieyi" in p for p in fixed)


def catalog_path():
    from common.settings import load_settings

    return load_settings().paths.catalog


@pytest.mark.parametrize("change, message", [
    ({"kind": "moved"}, "未知类别"),
    ({"jobs": ["厨师"]}, "未知职业"),
    ({"date": "2025-02-30"}, "日期无效"),
    ({"colour": "红"}, "未知字段"),
    ({"after": {"statu": "试行"}}, "after.statu: 未知字段"),
    ({"regions": []}, "regions: 缺少必填字段"),
    ({"source_url": "javascript:alert(1)"}, "http(s)"),
    ({"kind": "status_changed", "before": None}, "变化前的值不能为空"),
])
def test_bad_entries_are_named_with_their_field(tmp_path, change, message):
    entry = {"date": "2025-01-01", "doc_id": "laodong-fa", "kind": "added", "after": {"status": "现行有效"},
             "regions": ["全国"], "jobs": ["外卖"], **change}
    with pytest.raises(ChangeLogError) as err:
        load_changes(_write_log(tmp_path, [entry]))
    assert message in str(err.value) and "第1条" in str(err.value)


def test_unreadable_logs_are_change_log_errors(tmp_path, catalog):
    with pytest.raises(ChangeLogError, match="读不到"):
        load_changes(tmp_path / "nope.yaml")
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("changes: []  # 变更".encode("gbk"))
    with pytest.raises(ChangeLogError, match="UTF-8"):
        load_changes(bad)
    bad.write_text("changes: [ {", encoding="utf-8")
    with pytest.raises(ChangeLogError, match="YAML"):
        load_changes(bad)
    unknown = _write_log(tmp_path, [{"date": "2025-01-01", "doc_id": "bu-cun-zai", "kind": "added", "after": {"status": "试行"},
                                     "regions": ["全国"], "jobs": ["外卖"]}])
    with pytest.raises(ChangeLogError, match="目录中没有 bu-cun-zai"):
        load_changes(unknown, catalog=catalog)


def test_a_key_survives_corrections_to_note_and_jobs():
    a = Change("laodong-fa", "added", date(2018, 12, 29), after={"status": "现行有效"}, regions=("全国",), jobs=("外卖",), note="x")
    b = Change("laodong-fa", "added", date(2018, 12, 29), after={"status": "现行有效"}, regions=("全国",), jobs=JOBS, note="y")
    c = Change("laodong-fa", "added", date(2018, 12, 30), after={"status": "现行有效"}, regions=("全国",), jobs=JOBS)
    assert a.key == b.key != c.key


# ---------------------------------------------------------------------------------------------
# Two catalogs compared


@pytest.fixture
def two_catalogs(tmp_path):
    """The real catalog and an edited copy: one change of every kind."""
    old = yaml.safe_load(catalog_path().read_text(encoding="utf-8"))
    new = copy.deepcopy(old)
    docs = {e["id"]: e for e in new["documents"]}
    docs["xinjiuye-hetong-xieyi-dingli-zhiyin-2023"]["status"] = "现行有效"                     # 试行 → 正式
    docs["beijing-xinjiuye-fazhan-cuoshi-2021"].update(status="已废止", effective_to="2026-06-30")  # 现行 → 已废止
    docs["laodong-fa"]["doc_no"] = "主席令第二十四号"                                              # new 文号
    docs["laodong-hetong-fa"]["sources"][0]["sha256"] = "a" * 64                                  # new text
    docs["zhiye-shanghai-baozhang-banfa-2025"]["scope"] += ["江西", "新疆"]                        # pilot extended
    docs["anhui-xinjiuye-quanyi-guiding-2025"]["effective_from"] = "2025-10-01"                   # a date corrected
    new["documents"].remove(docs["zuidi-gongzi-guiding"])
    new["documents"].append({"id": "hangzhou-ceshi-2026", "title": "杭州市<测试>办法&“新”", "short_name": "杭州测试办法",
                             "issuer": "杭州市测试局", "kind": "地方规范性文件", "region": "杭州", "status": "试行",
                             "doc_no": "杭测〔2026〕1号"})
    paths = []
    for name, data in (("old.yaml", old), ("new.yaml", new)):
        paths.append(tmp_path / name)
        paths[-1].write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return paths


def test_diff_finds_each_kind_with_its_values(two_catalogs, log):
    changes = diff_catalogs(*two_catalogs, changes=log)
    found = {(c.doc_id, c.kind): c for c in changes}
    assert len(changes) == len(found) == 8

    added = found[("hangzhou-ceshi-2026", "added")]
    assert added.after == {"status": "试行", "doc_no": "杭测〔2026〕1号"} and added.regions == ("杭州",) and added.jobs == ()
    formal = found[("xinjiuye-hetong-xieyi-dingli-zhiyin-2023", "status_changed")]
    assert (formal.before, formal.after) == ({"status": "试行"}, {"status": "现行有效"})
    assert formal.jobs == JOBS  # from the log, not guessed
    repealed = found[("beijing-xinjiuye-fazhan-cuoshi-2021", "status_changed")]
    assert repealed.after == {"status": "已废止", "effective_to": date(2026, 6, 30)} and repealed.regions == ("北京",)
    assert found[("laodong-fa", "renumbered")].after == {"doc_no": "主席令第二十四号"}
    assert found[("laodong-hetong-fa", "text_changed")].after == {"sha256": "a" * 64}
    pilot = found[("zhiye-shanghai-baozhang-banfa-2025", "pilot_extended")]
    assert pilot.regions == ("江西", "新疆") and len(pilot.after["scope"]) == 19
    assert found[("anhui-xinjiuye-quanyi-guiding-2025", "metadata_changed")].after == {"effective_from": date(2025, 10, 1)}
    assert found[("zuidi-gongzi-guiding", "removed")].before["status"] == "现行有效"
    assert all(c.date is None for c in changes)


def test_diff_of_a_catalog_with_itself_is_empty(two_catalogs):
    assert diff_catalogs(two_catalogs[0], two_catalogs[0]) == []


def test_cli_diff_prints_one_chinese_line_per_change(two_catalogs, capsys):
    assert main(["corpus", "diff", str(two_catalogs[0]), str(two_catalogs[1])]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 9 and lines[-1] == "共 8 处变化（50 → 50 份文档）"
    text = "\n".join(lines)
    for expected in ("新收录：《杭州市<测试>办法&“新”》（杭测〔2026〕1号，试行）",
                     "状态变化：《新就业形态劳动者劳动合同和书面协议订立指引》状态 试行 → 现行有效",
                     "状态 现行有效 → 已废止；失效日期 （空） → 2026-06-30",
                     "文号变化：《劳动法》文号 主席令第24号 → 主席令第二十四号",
                     "内容修改：《劳动合同法》原文已更换",
                     "试点扩大：《职业伤害保障办法（试行）》新增江西、新疆2个省份（共19个）",
                     "信息更正：《安徽省新就业形态劳动者劳动权益保障规定》施行日期 2025-09-01 → 2025-10-01",
                     "移出目录：《最低工资规定》（现行有效）"):
        assert expected in text
    assert main(["corpus", "diff", str(two_catalogs[0]), str(two_catalogs[0])]) == 0
    assert "两个目录没有差别（50 份文档）" in capsys.readouterr().out


def test_cli_diff_explains_unreadable_files(two_catalogs, tmp_path, capsys):
    assert main(["corpus", "diff", str(tmp_path / "missing.yaml"), str(two_catalogs[1])]) == 2
    assert "找不到旧目录文件" in capsys.readouterr().err
    broken = tmp_path / "broken.yaml"
    broken.write_text("documents:\n  - id: [", encoding="utf-8")
    assert main(["corpus", "diff", str(two_catalogs[0]), str(broken)]) == 2
    err = capsys.readouterr().err
    assert "新目录文件读不了" in err and "YAML" in err and "Traceback" not in err
    broken.write_bytes("documents: []  # 变更目录".encode("gbk"))
    assert main(["corpus", "diff", str(broken), str(two_catalogs[1])]) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_corpus_check_also_checks_the_change_log_and_the_service_directory(tmp_path, monkeypatch, capsys):
    from laoquan import cli

    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("LAOQUAN_DATA_DIR", str(data))
    assert cli.main(["corpus", "check"]) == 0
    out = capsys.readouterr().out
    assert "变更记录与目录一致" in out and "服务站点目录无误" in out
    # a log that forgot a document's 'added' change
    entries = [e for e in _raw_log() if not (e["doc_id"] == "gonghui-fa" and e["kind"] == "added")]
    monkeypatch.setenv("LAOQUAN_CHANGES", str(_write_log(tmp_path, entries)))
    assert cli.main(["corpus", "check"]) == 1
    assert "gonghui-fa: 变更记录里没有它的 added 条目" in capsys.readouterr().out
    monkeypatch.delenv("LAOQUAN_CHANGES")
    # a broken local service overlay
    (data / "services.local.yaml").write_text("services:\n  - id: 坏\n", encoding="utf-8")
    assert cli.main(["corpus", "check"]) == 1
    assert "服务站点目录 / service directory:" in capsys.readouterr().out
