"""The typo table (corpus/typos.yaml) and its use: the retriever reads 工商 as 工伤 in a question
about an injury, never in 工商局 / 个体工商户; the table keeps its own rules."""
from __future__ import annotations

import pytest

import yaml

from kb.typos import TYPOS_FILE, correct_typos, load_typos


def test_the_table_keeps_its_rules():
    typos = load_typos()
    assert len(typos) >= 30 and len({t.typo for t in typos}) == len(typos)
    concepts = yaml.safe_load((TYPOS_FILE.parent / "concepts.yaml").read_text(encoding="utf-8"))["concepts"]
    legal_terms = {term for c in concepts for term in c.get("legal_terms") or []}
    for t in typos:
        assert len(t.typo) == len(t.word) and t.typo != t.word, t
    for term in legal_terms:  # the law's own words are never "corrected" (个体工商户 stays)
        assert correct_typos(term) == term, term


def test_typos_are_corrected_in_context():
    assert correct_typos("在仓库被货架砸伤了算不算工商？") == "在仓库被货架砸伤了算不算工伤？"
    assert correct_typos("干了五个月没签合动，能要双陪工资吗") == "干了五个月没签合同，能要双倍工资吗"
    assert correct_typos("快满一年了还能申请重裁吗") == "快满一年了还能申请仲裁吗"
    assert correct_typos("工伤认证要多久") == "工伤认定要多久"  # the longer typo first
    for right in ("平台让我去工商局注册个体工商户", "工商银行卡发的工资", "我是个体工商，不是员工", "市工商来查过"):
        assert correct_typos(right) == right, right
    assert correct_typos("") == "" and correct_typos("my boss") == "my boss"


@pytest.mark.integration
def test_the_retriever_reads_a_typo_as_the_word_meant(bot):
    typo = bot.retriever.search("在仓库被货架砸伤了算不算工商", k=5)
    right = bot.retriever.search("在仓库被货架砸伤了算不算工伤", k=5)
    assert [(h.doc_id, h.article) for h in typo.hits] == [(h.doc_id, h.article) for h in right.hits]
    assert any(h.doc_id == "gongshang-baoxian-tiaoli" for h in typo.hits)
    answer = bot.ask("在仓库被货架砸伤了算不算工商")
    assert answer.question == "在仓库被货架砸伤了算不算工商"  # shown as typed
