"""The shared validators of catalog-like YAML (common.validate) and the loaders that read their YAML
through common.files.read_yaml: a broken file is one clear line, raised as the loader's own error."""
from __future__ import annotations

from datetime import date

import pytest

from common.validate import date_field, fail, parse_iso_date, reject_unknown, text_field


class Oops(Exception):
    pass


def test_fail_names_the_entry_and_the_field_in_both_languages():
    error = fail(Oops, "jia-fa", "issued", "日期无效", "bad date")
    assert isinstance(error, Oops) and str(error) == "jia-fa · issued: 日期无效 / bad date"


def test_text_dates_and_unknown_fields():
    assert text_field({"a": "  甲 "}, "a", "x", error=Oops) == "甲"
    assert text_field({"a": "  "}, "a", "x", error=Oops) is None
    assert text_field({}, "a", "x", error=Oops) is None
    with pytest.raises(Oops, match="x · a: 应为文字 / must be text"):
        text_field({"a": 3}, "a", "x", error=Oops)
    assert date_field("2025-09-01", "from", "x", error=Oops) == date(2025, 9, 1)
    assert date_field(None, "from", "x", error=Oops) is None
    with pytest.raises(Oops, match=r"x · from: 日期无效 '2025/9/1'（应为 YYYY-MM-DD）"):
        date_field("2025/9/1", "from", "x", error=Oops)
    with pytest.raises(ValueError):
        parse_iso_date(date(2025, 9, 1))  # dates are read as text, never as YAML's own dates
    reject_unknown({"a": 1}, ("a", "b"), "x", error=Oops)
    with pytest.raises(Oops, match=r"x · sources\[0\]\.c: 未知字段 / unknown field"):
        reject_unknown({"a": 1, "d": 2, "c": 3}, ("a",), "x", error=Oops, prefix="sources[0].")


BROKEN = "points: [\n"


def test_loaders_give_one_clear_line_for_broken_yaml(tmp_path):
    from bot.staff_accounts import AccountError, StaffAccounts
    from corpus.guides import GuideError, load_guides
    from corpus.notes import load_notes, source_kinds
    from corpus.questions import load_article_questions
    from corpus.referrals import load_referrals
    from kb.concepts import load_concepts
    from kb.typos import load_typos

    (tmp_path / "d.yaml").write_text(BROKEN, encoding="utf-8")
    for load in (lambda: load_notes("d", tmp_path), lambda: source_kinds(tmp_path),
                 lambda: load_article_questions("d", tmp_path), lambda: load_referrals(tmp_path / "d.yaml"),
                 lambda: load_concepts(tmp_path / "d.yaml"), lambda: load_typos(tmp_path / "d.yaml")):
        with pytest.raises(ValueError, match="YAML 语法错误 / invalid YAML"):
            load()
    with pytest.raises(GuideError, match="d.yaml: YAML 语法错误"):
        load_guides(tmp_path)
    (tmp_path / "staff.yaml").write_bytes(b"staff: \xff\n")
    with pytest.raises(AccountError, match="不是 UTF-8"):
        StaffAccounts(tmp_path / "staff.yaml").names()
    with pytest.raises(ValueError, match="读不到"):
        load_referrals(tmp_path / "missing.yaml")
