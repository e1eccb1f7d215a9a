"""概念词表 corpus/concepts.yaml 的检查：结构、唯一性、词条格式，以及每条条文引用确实存在于所引文本中。

条文是否存在：按 doc id 找到来源文件夹（fixture ``sources_dir``）下 texts/ 里的文本，
查找以「第X条」加空格开头的一行。
"""
from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

词表路径 = Path(__file__).resolve().parent.parent / "corpus" / "concepts.yaml"

# doc id → 文件名（不含日期与扩展名）。文件名形如「劳动合同法(2012-12-28).md」。
文件名 = {
    "laodong-hetong-fa": "劳动合同法",
    "laodong-hetong-fa-shishi-tiaoli": "劳动合同法实施条例",
    "laodong-fa": "劳动法",
    "gongshang-baoxian-tiaoli": "工伤保险条例",
    "shehui-baoxian-fa": "社会保险法",
    "laodong-zhengyi-tiaojie-zhongcai-fa": "劳动争议调解仲裁法",
    "laodong-baozhang-jiancha-tiaoli": "劳动保障监察条例",
    "baozhang-nongmingong-gongzi-zhifu-tiaoli": "保障农民工工资支付条例",
    "gongzi-zhifu-zanxing-guiding": "工资支付暂行规定",
    "zhigong-gongzuo-shijian-guiding": "国务院关于职工工作时间的规定",
    "yueping-gongzuo-shijian-tongzhi": "关于职工全年月平均工作时间和工资折算问题的通知",
    "zhigong-daixin-nianxiujia-tiaoli": "职工带薪年休假条例",
    "qiye-zhigong-daixin-nianxiujia-banfa": "企业职工带薪年休假实施办法",
    "shiye-baoxian-tiaoli": "失业保险条例",
    "nvzhigong-laodong-baohu-guiding": "女职工劳动保护特别规定",
    "anquan-shengchan-fa": "安全生产法",
    "jiuye-cujin-fa": "就业促进法",
    "gonghui-fa": "工会法",
    "kuaidi-zanxing-tiaoli": "快递暂行条例",
    "laodong-zhengyi-jieshi-1": "最高人民法院关于审理劳动争议案件适用法律问题的解释（一）",
    "laodong-zhengyi-jieshi-2": "最高人民法院关于审理劳动争议案件适用法律问题的解释（二）",
    "gongshang-xingzheng-anjian-guiding": "最高人民法院关于审理工伤保险行政案件若干问题的规定",
    "shehui-baoxian-jingban-tiaoli": "社会保险经办条例",
    "daolu-yunshu-tiaoli": "道路运输条例",
}

词条字段 = ("legal_terms", "phrasings", "slang", "misspellings", "traditional", "english", "platform_words")
必需字段 = ("id", "name", *词条字段, "articles")
不可为空 = ("legal_terms", "phrasings", "articles")
条号格式 = re.compile(r"^第[零一二三四五六七八九十百]+条$")
标题行 = re.compile(r"^(第[零一二三四五六七八九十百]+条)[ \u3000]", re.MULTILINE)
编号格式 = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
最长词条 = 16  # 只收短语和术语，不抄条文句子


@pytest.fixture(scope="module")
def 概念():
    data = yaml.safe_load(词表路径.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data.get("concepts"), list), "顶层应为 concepts: 列表"
    return data["concepts"]


@pytest.fixture(scope="module")
def 条文标题(sources_dir):
    """doc id → 该文本中所有「第X条」标题的集合（只读用到的文本）。"""
    texts = sources_dir / "texts"
    cache: dict[str, set[str]] = {}

    def 取(doc: str) -> set[str]:
        if doc not in cache:
            hits = sorted(texts.glob(f"{文件名[doc]}(*"))
            assert len(hits) == 1, f"{doc}: 在 {texts} 中应恰好找到一个「{文件名[doc]}(…)」文件，实际 {[h.name for h in hits]}"
            cache[doc] = set(标题行.findall(hits[0].read_text(encoding="utf-8")))
        return cache[doc]

    return 取


def _全部词条(c):
    for field in 词条字段:
        for term in c.get(field) or []:
            if isinstance(term, str):  # 非字符串由 test_字段齐全且类型正确 报告
                yield field, term


def test_概念数量与编号唯一(概念):
    assert len(概念) >= 40, f"概念太少：{len(概念)}"
    ids = [c.get("id") for c in 概念]
    dup = [i for i, n in Counter(ids).items() if n > 1]
    assert not dup, f"编号重复：{dup}"
    bad = [i for i in ids if not isinstance(i, str) or not 编号格式.match(i)]
    assert not bad, f"编号应为小写连字符形式：{bad}"


def test_字段齐全且类型正确(概念):
    for c in 概念:
        cid = c.get("id")
        missing = [k for k in 必需字段 if k not in c]
        assert not missing, f"{cid} 缺少字段：{missing}"
        extra = sorted(set(c) - set(必需字段))
        assert not extra, f"{cid} 有未知字段：{extra}"
        assert isinstance(c["name"], str) and c["name"].strip(), f"{cid} 名称为空"
        for field in 词条字段:
            value = c[field]
            assert isinstance(value, list), f"{cid}.{field} 应为列表"
            assert all(isinstance(t, str) and t.strip() for t in value), f"{cid}.{field} 有空词条或非字符串"
        for field in 不可为空:
            assert c[field], f"{cid}.{field} 不能为空"


def test_条文引用格式正确且不重复(概念):
    for c in 概念:
        refs = c["articles"]
        for ref in refs:
            assert isinstance(ref, dict) and set(ref) == {"doc", "article"}, f"{c['id']}：引用应为 {{doc, article}}：{ref}"
            assert ref["doc"] in 文件名, f"{c['id']}：未知文本 {ref['doc']}"
            assert 条号格式.match(ref["article"]), f"{c['id']}：条号格式不对 {ref['article']}"
        keys = [(r["doc"], r["article"]) for r in refs]
        dup = [k for k, n in Counter(keys).items() if n > 1]
        assert not dup, f"{c['id']} 重复引用：{dup}"


@pytest.mark.integration
def test_每条引用的条文都真实存在(概念, 条文标题):
    missing = [
        f"{c['id']}: {ref['doc']} {ref['article']}"
        for c in 概念
        for ref in c["articles"]
        if ref["article"] not in 条文标题(ref["doc"])
    ]
    assert not missing, "以下条文在所引文本中找不到标题行：\n" + "\n".join(missing)


def test_词条不在概念之间重复(概念):
    """一个说法只归入它最能代表的那个概念。"""
    seen: dict[str, str] = {}
    clashes = []
    for c in 概念:
        for field, term in _全部词条(c):
            key = term.strip().lower()
            where = f"{c['id']}.{field}"
            if key in seen:
                clashes.append(f"「{term}」: {seen[key]} 与 {where}")
            else:
                seen[key] = where
    assert not clashes, "词条重复：\n" + "\n".join(clashes)


def test_中文词条无空白且不过长(概念):
    """jieba 用户词典按空白分列，中文词条里不能有空白；词条要短，不抄条文句子。"""
    bad = []
    for c in 概念:
        for field, term in _全部词条(c):
            if field == "english":
                continue
            if re.search(r"\s", term):
                bad.append(f"{c['id']}.{field}: 「{term}」含空白")
            if len(term) > 最长词条:
                bad.append(f"{c['id']}.{field}: 「{term}」超过 {最长词条} 字")
    assert not bad, "\n".join(bad)


def test_英文词条只用ASCII(概念):
    bad = [f"{c['id']}: {t}" for c in 概念 for t in c["english"] if not t.isascii() or len(t) > 40]
    assert not bad, f"英文词条应为简短 ASCII：{bad}"


def test_繁体词条确有繁体字(概念):
    """繁體词条至少含一个在全部简体词条里都没出现过的字，否则它和简体写法一样，没有意义。"""
    简体字 = {
        ch
        for c in 概念
        for field, term in _全部词条(c)
        if field not in ("traditional", "english")
        for ch in term
    }
    bad = [f"{c['id']}: {t}" for c in 概念 for t in c["traditional"] if not set(t) - 简体字]
    assert not bad, f"这些繁体词条与简体写法无异：{bad}"
