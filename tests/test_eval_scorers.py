"""The multi-turn scorer and the 「rule stated」 figure, on canned answers (no model)."""
from __future__ import annotations

from evals.multiturn import GoldConversation, GoldTurn, score_multiturn
from evals.slices import states_a_rule
from tests.fakes import FakeBot, canned_answer


def _citation(article: str):
    from bot.results import Citation

    return Citation(n=1, doc_id="gongshang-baoxian-tiaoli", title="工伤保险条例", doc_no=None, article=article, page=None,
                    quote="", status="现行有效", effective_from=None, region="全国", source_url=None, score=0.9)


def test_a_follow_up_is_right_only_with_its_article_and_a_new_conclusion():
    conversation = GoldConversation(id="mt900", split="dev", turns=(
        GoldTurn("送外卖路上被车撞了算工伤吗", "answer", "", (("gongshang-baoxian-tiaoli", "第十四条"),), ("交通事故",)),
        GoldTurn("那我要去哪里申请？", "answer", "where", (("gongshang-baoxian-tiaoli", "第十七条"),), ("社会保险行政部门",)),
    ))
    first = canned_answer(conclusion="上下班途中受到交通事故伤害的，应当认定为工伤。", citations=[_citation("第十四条")])
    repeat = canned_answer(conclusion=first.conclusion, citations=[_citation("第十四条"), _citation("第十七条")])
    rows = score_multiturn(FakeBot([first, repeat]), [conversation])["items"]
    assert rows[0]["right"] and rows[0]["strict"]
    assert rows[1]["cited"] and not rows[1]["new"] and not rows[1]["right"]  # the same conclusion again is not an answer
    where = canned_answer(conclusion="向统筹地区社会保险行政部门提出工伤认定申请。", citations=[_citation("第十七条")])
    rows = score_multiturn(FakeBot([first, where]), [conversation])["items"]
    assert rows[1]["right"] and rows[1]["strict"]


def test_a_pointer_is_not_a_rule():
    assert states_a_rule("单位应当自你受伤之日起30日内申请工伤认定。")
    assert states_a_rule("可能适用：用人单位应当按月支付二倍的工资。")
    assert not states_a_rule("相关规定是《劳动合同法》第八十二条，见下面。")
    assert not states_a_rule("可能相关的是《工伤保险条例》第十四条，见下面。")
    assert not states_a_rule("")
