"""白话要义: every rule checked against its article (numbers, negations, 应当 / 可以), and the
staleness rule (a changed text marks its rules stale; they are never shown)."""
import re

import pytest

from corpus.plain_rules import PlainRule, PlainRules, article_sha256, load_plain_rules

_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def chinese_value(text: str) -> int:
    text = text.replace("两", "二").replace("〇", "零")
    total = section = number = 0
    for ch in text:
        if ch in _DIGITS:
            number = _DIGITS[ch]
        elif ch in "十百千":
            section += (number or 1) * {"十": 10, "百": 100, "千": 1000}[ch]
            number = 0
        elif ch == "万":
            total += (section + number) * 10000
            section = number = 0
    return total + section + number


def numbers_in(text: str) -> set[float]:
    """Every number in ``text``, digits and Chinese numerals alike (二倍 and 2倍 are both 2)."""
    found = {float(m) for m in re.findall(r"\d+(?:\.\d+)?", text)}
    found |= {float(chinese_value(m)) for m in re.findall(r"[零〇一二两三四五六七八九十百千万]+", text)}
    return found


NEGATION = re.compile(r"不|没|未|无|非|禁止|免")


def problems(rule: str, article: str) -> list[str]:
    out = []
    extra = {n for n in numbers_in(rule) - numbers_in(article) if n != 1}
    if extra:
        out.append(f"numbers not in the article: {sorted(extra)}")
    if NEGATION.search(rule) and not NEGATION.search(article):
        out.append("a negation the article lacks")
    if "可以" in rule and not re.search(r"可以|有权|可", article):
        out.append("可以 where the article grants nothing")
    if re.search(r"应当|必须", rule) and not re.search(r"应当|必须|应", article):
        out.append("应当 where the article imposes nothing")
    return out


def test_the_checker_catches_what_it_must():
    article = "用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
    assert problems("单位超过一个月不满一年没签书面合同的，应当每月付你二倍工资。", article) == []
    assert problems("单位超过一个月没签合同的，最多付你11个月的两倍工资。", article)  # 11 is not in the article
    assert problems("单位可以每月付你二倍工资。", article)  # 应当 turned into 可以
    assert problems("连续工作满一年的，可以休年假。", "职工连续工作1年以上的，享受带薪年休假。")
    assert problems("单位不得延长工作时间。", "用人单位由于生产经营需要，经与工会和劳动者协商后可以延长工作时间。")  # a negation added
    assert problems("单位应当支付工资。", "劳动者可以要求支付工资。")
    assert problems("休假七天。", "职工享受五天年休假。")


@pytest.fixture(scope="module")
def texts(sources_dir):
    from corpus.catalog import load_catalog
    from kb.articles import article_texts

    return article_texts(load_catalog(), sources_dir)


@pytest.mark.integration
def test_every_rule_matches_its_article_text_and_passes_the_checks(texts):
    rules = load_plain_rules()
    assert len(rules) >= 1200
    assert rules.stale(texts) == []
    bad = {f"{r.doc_id} {r.article}": problems(r.rule, texts[(r.doc_id, r.article)]) for r in rules.rules.values()}
    assert {k: v for k, v in bad.items() if v} == {}
    assert all(len(r.rule) <= 160 for r in rules.rules.values())


@pytest.mark.integration
def test_every_article_with_worker_questions_has_a_rule(texts):
    import yaml

    from common.settings import load_settings

    rules = load_plain_rules()
    asked = set()
    for path in load_settings().paths.questions_dir.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        asked |= {(data["doc"], str(a)) for a in data.get("articles") or {}}
    assert sorted(k for k in asked if k in texts and rules.get(*k) is None) == []


def test_a_changed_text_makes_its_rule_stale_and_it_is_not_used():
    text = "第八十二条 用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，应当向劳动者每月支付二倍的工资。"
    rule = PlainRule("laodong-hetong-fa", "第八十二条", "超过一个月不满一年没签合同的，单位应当每月付你二倍工资。", article_sha256(text))
    rules = PlainRules({("laodong-hetong-fa", "第八十二条"): rule})
    same = {("laodong-hetong-fa", "第八十二条"): text}
    changed = {("laodong-hetong-fa", "第八十二条"): text.replace("二倍", "三倍")}
    assert rules.stale(same) == [] and len(rules.current(same)) == 1
    assert rules.stale(changed) == [rule] and len(rules.current(changed)) == 0
    assert rules.stale({("laodong-hetong-fa", "第一条"): "第一条 …"}) == [rule]  # the article is gone
    assert rules.stale({("laodong-fa", "第一条"): "第一条 …"}) == []  # another document: not judged here


def test_a_broken_rules_file_is_one_clear_line(tmp_path):
    from corpus.plain_rules import PlainRulesError

    (tmp_path / "x.yaml").write_text("doc: laodong-fa\nrules:\n  第一条:\n    rule: 没有哈希\n", encoding="utf-8")
    with pytest.raises(PlainRulesError, match="sha256"):
        load_plain_rules(tmp_path)
