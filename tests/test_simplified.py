"""Questions in 繁體字 are read as simplified Chinese (kb/simplified.py): the same articles are found,
named articles (第八十二條) resolve, and the worker's own text is kept as typed."""
from __future__ import annotations

import pytest

from kb.simplified import to_simplified


def test_conversion_is_phrase_aware_and_leaves_simplified_text_alone():
    assert to_simplified("職業傷害保障管不管我們") == "职业伤害保障管不管我们"
    assert to_simplified("老闆欠了兩個月工資，點算？") == "老板欠了两个月工资，点算？"
    assert to_simplified("勞動合同法第八十二條") == "劳动合同法第八十二条"
    simplified = "跑了仨月了站长还没给合同，能要双倍工资不"
    assert to_simplified(simplified) == simplified
    assert to_simplified("") == "" and to_simplified("12333") == "12333"


@pytest.mark.integration
def test_a_traditional_question_finds_what_its_simplified_twin_finds(bot):
    traditional = bot.ask("上班路上被車撞了，算不算工傷？")
    simplified = bot.ask("上班路上被车撞了，算不算工伤？")
    assert traditional.outcome == simplified.outcome == "answered"
    assert [(c.doc_id, c.article) for c in traditional.citations] == [(c.doc_id, c.article) for c in simplified.citations]
    assert traditional.question == "上班路上被車撞了，算不算工傷？"  # shown as typed
    assert traditional.asked == "上班路上被车撞了，算不算工伤？"


@pytest.mark.integration
def test_a_named_article_in_traditional_characters_is_found(bot):
    answer = bot.ask("勞動合同法第八十二條講的是什麼")
    assert answer.outcome == "answered"
    assert (answer.citations[0].doc_id, answer.citations[0].article) == ("laodong-hetong-fa", "第八十二条")


@pytest.mark.integration
def test_the_retriever_converts_queries_it_is_given_directly(bot):
    hits = bot.retriever.search("勞動者被拖欠工資", k=5).hits
    assert [(h.doc_id, h.article) for h in hits] == [(h.doc_id, h.article) for h in bot.retriever.search("劳动者被拖欠工资", k=5).hits]


@pytest.mark.integration
def test_the_retriever_reads_and_compares_a_question_the_same_way_everywhere(bot):
    from kb.retriever import read_query

    assert read_query("算不算工商？職業傷害") == "算不算工伤？职业伤害"
    items = ["在工作时间和工作场所内，因工作原因受到事故伤害的；", "在上下班途中，受到非本人主要责任的交通事故伤害的；"]
    assert bot.retriever.closest("下班路上被車撞了", items) == 1
    assert bot.retriever.closest("在车间干活被机器夹了手", items) == 0
