"""Follow-ups answered as follow-ups (issue 15 §3), on fakes: what a follow-up asks (「那去哪儿办」
「要带啥」「多久有结果」「他不给咋办」), the thread's topic it is read with, the article chosen from the
previous answer's route, the conclusion that says something new, and the requests refused inside a
conversation about work (a lawyer's phone number, a fight, today's local amount)."""
from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bot.answer import AnswerBot
from bot.compose import REFUSED
from bot.conversation import Aspect, Conversation, Turn, asked_aspect, is_follow_up, rewrite_follow_up
from bot.follow_ups import Route, aspect_clause, candidates, closest_candidate, not_said_again, without_marks
from bot.guards import asks_for_a_local_figure, asks_for_a_private_contact, threatens_violence
from common.settings import load_settings
from corpus.catalog import load_catalog
from tests.fakes import GONGSHANG_14, GONGSHANG_17, FakeRetriever, make_hit

AS_OF = date(2025, 6, 1)
INJURY = "送外卖路上被车撞了，站里不给报工伤怎么办"

# Passages written for these tests (the project's own words, shaped like the articles they stand for).
MATERIALS = make_hit("gongshang-baoxian-tiaoli", "第十八条", title="工伤保险条例", dense=0.5,
                     text="第十八条 申请认定工伤时要交的材料：申请表一份；和单位有劳动关系的证明；医院开的诊断证明。")
PERIOD = make_hit("gongshang-baoxian-tiaoli", "第二十条", title="工伤保险条例", dense=0.5,
                  text="第二十条 社会保险行政部门应当自受理申请之日起60日内作出是否认定工伤的决定，并书面通知本人和单位。")
ARBITRATION = make_hit("laodong-zhengyi-tiaojie-zhongcai-fa", "第五条", title="劳动争议调解仲裁法", dense=0.5,
                       text="第五条 发生劳动争议，单位不愿协商或者调解不成的，劳动者可以向劳动争议仲裁委员会申请仲裁。")


class RouteRetriever(FakeRetriever):
    """A FakeRetriever whose search leaves out ``hidden`` articles (they stay in the index: the
    route's documents still hold them)."""

    hidden: set[tuple[str, str]] = set()

    def search(self, query, *, k=None, region=None, as_of=None):
        out = super().search(query, k=k, region=region, as_of=as_of)
        return dataclasses.replace(out, hits=[h for h in out.hits if (h.doc_id, h.article) not in self.hidden])


@pytest.fixture(scope="module")
def retriever():
    return RouteRetriever([GONGSHANG_14, GONGSHANG_17, MATERIALS, PERIOD, ARBITRATION])


@pytest.fixture(scope="module")
def route_bot(retriever):
    return AnswerBot(retriever, load_catalog(), load_settings())


@pytest.fixture
def hide(retriever):
    def set_(*keys):
        retriever.hidden = set(keys)
        retriever.searches.clear()

    yield set_
    retriever.hidden = set()


def lead(answer) -> tuple[str, str]:
    first = next(c for c in answer.citations if c.kind == "原文")
    return first.doc_id, first.article


# -- what a follow-up asks ------------------------------------------------------------------------


def test_the_aspect_of_a_follow_up_in_the_workers_own_words():
    assert {q: asked_aspect(q) for q in ["那去哪儿办", "要带啥", "多久有结果", "他不给咋办", "仲裁了他还是不履行呢", "过多长时间就要不回来了"]} == {
        "那去哪儿办": Aspect.WHERE, "要带啥": Aspect.WHAT, "多久有结果": Aspect.HOW_LONG, "他不给咋办": Aspect.WHAT_IF,
        "仲裁了他还是不履行呢": Aspect.WHAT_IF, "过多长时间就要不回来了": Aspect.DEADLINE}
    assert asked_aspect("工伤是怎么认定的") is None


def test_a_short_question_asking_an_aspect_leans_on_the_one_before_though_it_starts_like_a_new_one():
    assert is_follow_up("他不给咋办") and is_follow_up("要带啥")
    assert not is_follow_up("没签劳动合同能要双倍工资吗")  # it names a topic of its own


# -- the thread's topic ---------------------------------------------------------------------------


def test_a_second_follow_up_is_read_with_the_threads_topic_not_the_chain_of_questions():
    conversation = Conversation()
    conversation.remember(Turn(question=INJURY, asked=INJURY, topic=INJURY))
    conversation.remember(Turn(question="那去哪儿办", asked=f"{INJURY} 那去哪儿办", topic=INJURY))
    assert rewrite_follow_up("要带啥", conversation) == f"{INJURY} 要带啥"
    again = Conversation.from_json(conversation.to_json())  # the page keeps it as JSON
    assert again.turns[-1].topic == INJURY and rewrite_follow_up("多久有结果", again) == f"{INJURY} 多久有结果"


# -- the article chosen from the route ------------------------------------------------------------


TEXTS = {(h.doc_id, h.article): h.text for h in [GONGSHANG_14, GONGSHANG_17, MATERIALS, PERIOD, ARBITRATION]}


def test_the_candidates_state_the_aspect_come_from_the_ranking_the_routes_documents_and_its_offices():
    route = Route(cited=("gongshang-baoxian-tiaoli|第十四条",), offices=(("laodong-zhengyi-tiaojie-zhongcai-fa", "第五条"),))
    where = candidates(Aspect.WHERE, ranked=[("gongshang-baoxian-tiaoli", "第十四条")], route=route, article_texts=TEXTS,
                       previous="gongshang-baoxian-tiaoli|第十四条")
    assert where == [("gongshang-baoxian-tiaoli", "第十七条"), ("laodong-zhengyi-tiaojie-zhongcai-fa", "第五条")]
    what = candidates(Aspect.WHAT, ranked=[], route=route, article_texts=TEXTS, previous="gongshang-baoxian-tiaoli|第十七条")
    assert what == [("gongshang-baoxian-tiaoli", "第十八条")]  # the article the previous answer led with is not offered again
    assert candidates(Aspect.WHAT_IF, ranked=[], route=Route(), article_texts=TEXTS) == []  # nothing outside the route


def test_the_lead_is_close_to_both_the_workers_words_and_the_threads_topic():
    keys = [("a", "1"), ("b", "1"), ("c", "1")]
    texts = {("a", "1"): "甲", ("b", "1"): "乙", ("c", "1"): "丙"}
    table = {"要带啥": {"甲": 0.9, "乙": 0.6, "丙": 0.1}, "工伤认定": {"甲": 0.1, "乙": 0.6, "丙": 0.9}}

    def similarities(query, texts_):
        return [table[query][t] for t in texts_]

    assert closest_candidate("要带啥", "工伤认定", keys, article_texts=texts, similarities=similarities, topic_weight=1.0) == ("b", "1")
    assert closest_candidate("要带啥", "", keys, article_texts=texts, similarities=similarities) == ("a", "1")
    assert closest_candidate("要带啥", "工伤认定", [], article_texts=texts, similarities=similarities) is None


def test_the_conclusion_is_the_clause_of_the_rule_that_states_what_was_asked():
    rule = "单位要在出事后30天内申请工伤认定；单位不申请的，你可以自己去人社部门申请。人社部门受理后60日内作出决定。"
    assert aspect_clause(rule, Aspect.WHERE, "那我自己去哪儿申请") == "单位不申请的，你可以自己去人社部门申请。"
    assert aspect_clause(rule, Aspect.HOW_LONG, "多久有结果") == "人社部门受理后60日内作出决定。"
    assert aspect_clause("没有说到办理地点的一句话。", Aspect.WHAT, "要带啥") == ""


def test_a_conclusion_the_worker_just_read_is_not_said_again():
    said = "单位要在出事后30天内申请工伤认定。"
    assert not_said_again(said, said, [said, "申请时要交申请表、劳动关系证明和诊断证明。"]) == "申请时要交申请表、劳动关系证明和诊断证明。"
    assert not_said_again("别的结论。", said, ["x"]) == "别的结论。"
    assert without_marks("《工伤保险条例》第十八条：要交申请表[2]") == "要交申请表"


# -- the whole answer, turn by turn ---------------------------------------------------------------


def test_where_what_and_how_long_are_answered_from_the_previous_answers_route(route_bot, retriever, hide):
    hide(("gongshang-baoxian-tiaoli", "第十八条"), ("gongshang-baoxian-tiaoli", "第二十条"))  # only the route holds them
    conversation = Conversation()
    first = route_bot.ask(INJURY, as_of=AS_OF, conversation=conversation)
    assert lead(first) == ("gongshang-baoxian-tiaoli", "第十四条")
    where = route_bot.ask("那去哪儿办", as_of=AS_OF, conversation=conversation)
    assert lead(where) == ("gongshang-baoxian-tiaoli", "第十七条") and where.conclusion != first.conclusion
    what = route_bot.ask("要带啥", as_of=AS_OF, conversation=conversation)
    assert lead(what) == ("gongshang-baoxian-tiaoli", "第十八条") and what.conclusion != where.conclusion
    how_long = route_bot.ask("多久有结果", as_of=AS_OF, conversation=conversation)
    assert lead(how_long) == ("gongshang-baoxian-tiaoli", "第二十条")
    assert [s["query"] for s in retriever.searches[1:]] == [f"{INJURY} 那去哪儿办", f"{INJURY} 要带啥", f"{INJURY} 多久有结果"]


def test_he_will_not_pay_is_answered_with_the_next_step_not_the_previous_rule(route_bot, retriever, hide):
    hide()
    conversation = Conversation()
    first = route_bot.ask(INJURY, as_of=AS_OF, conversation=conversation)
    out = route_bot.ask("他不给咋办", as_of=AS_OF, conversation=conversation)
    assert retriever.searches[-1]["query"] == f"{INJURY} 他不给咋办"  # a follow-up by its words, though it starts like a new question
    assert lead(out) == ("laodong-zhengyi-tiaojie-zhongcai-fa", "第五条") and out.conclusion != first.conclusion


@pytest.mark.parametrize("question", ["能推荐个律师吗？把他电话发我", "真想去揍站长一顿", "我们市现在的最低工资是多少"])
def test_a_request_the_texts_cannot_answer_is_refused_inside_a_conversation_about_work(route_bot, retriever, hide, question):
    hide()
    conversation = Conversation()
    route_bot.ask(INJURY, as_of=AS_OF, conversation=conversation)
    out = route_bot.ask(question, as_of=AS_OF, conversation=conversation)
    assert out.outcome == REFUSED and out.citations == []
    after = route_bot.ask("那去哪儿办", as_of=AS_OF, conversation=conversation)  # the thread is where it was
    assert retriever.searches[-1]["query"] == f"{INJURY} 那去哪儿办" and after.outcome != REFUSED


def test_the_guards_read_the_workers_own_words():
    assert asks_for_a_private_contact("推荐个靠谱的律师，把电话发我") and not asks_for_a_private_contact("请律师的钱能让公司出吗")
    assert threatens_violence("真想去揍站长一顿") and not threatens_violence("送餐时被顾客打了一顿，算工伤吗")
    assert asks_for_a_local_figure("我们市现在的最低工资是多少") and not asks_for_a_local_figure("最低工资标准是谁定的")
