"""bot.asking.Asker over a FakeBot (tests/fakes.py) and real Records on tmp_path: how both pages
ask the bot — the region a profile means, the conversation and the job passed through, a vetted
answer first unless it went stale or a triage question is pending. No model, no index."""
from __future__ import annotations

import dataclasses

import pytest

from bot.asking import Asker, region_key, region_of, topic_of
from bot.conversation import Conversation
from bot.records import Records, document_fingerprint
from common.settings import load_settings
from tests.fakes import FakeBot, canned_answer

RIDER = "送外卖路上被车撞了，算工伤吗？"


@pytest.fixture
def records(tmp_path):
    return Records(tmp_path / "records.sqlite3")


@pytest.fixture
def asker(fake_bot, records):
    return Asker(fake_bot, records, load_settings())


def vet(records, catalog, *, question=RIDER, region_key="浙江", doc_id="gongshang-baoxian-tiaoli", status=None) -> dict:
    """Approve an answer citing ``doc_id`` (pinned as the catalog has it now, or with ``status``)."""
    pinned = document_fingerprint(catalog, doc_id)
    if status is not None:
        pinned = dataclasses.replace(pinned, status=status)
    answer = canned_answer(question, conclusion="站长审核过：上下班途中被车撞，可以申请认定工伤。").to_json()
    records.save_vetted(question=question, region=region_key or None, region_key=region_key, answer=answer, cited=[pinned], by="站长")
    return answer


def test_region_of_a_profile_is_the_city_else_the_province():
    assert region_of({"province": "浙江", "city": "杭州"}) == "杭州"
    assert region_of({"province": "浙江"}) == "浙江"
    assert region_of({}) is None and region_of(None) is None
    assert region_key("杭州") == "浙江" and region_key(None) == ""


def test_answers_are_streamed_with_the_region_and_the_conversation(asker, fake_bot):
    conversation = Conversation()
    answers = list(asker.answers(RIDER, region="杭州", job="外卖骑手", conversation=conversation))
    assert len(answers) == 2  # the conclusion first, then the whole answer
    assert answers[0].answer == answers[0].conclusion and not answers[0].points
    assert answers[-1].question == RIDER and answers[-1].points
    [call] = fake_bot.calls
    assert (call.method, call.question, call.region, call.conversation) == ("stream", RIDER, "杭州", conversation)


def test_the_job_fills_an_empty_conversation_and_never_overwrites_one(asker):
    conversation = Conversation()
    list(asker.answers(RIDER, region=None, job="外卖骑手", conversation=conversation))
    assert conversation.job == "外卖骑手"
    list(asker.answers("那要去哪里申请？", region=None, job="快递员", conversation=conversation))
    assert conversation.job == "外卖骑手"
    list(asker.answers(RIDER, region=None, job="快递员", conversation=None))  # no conversation: nothing to fill


def test_the_conversation_comes_from_the_browsers_state(asker):
    assert asker.conversation(None) == Conversation()
    state = Conversation(region="杭州", job="网约车司机", facts={"injury-while-delivering": "platform"}).to_json()
    again = asker.conversation(state)
    assert (again.region, again.job, again.facts) == ("杭州", "网约车司机", {"injury-while-delivering": "platform"})


def test_a_vetted_answer_is_found_for_the_same_question_in_the_same_province(asker, fake_bot, records):
    approved = vet(records, fake_bot.catalog)
    found = asker.vetted("送外卖路上被车撞了 算工伤吗", "杭州", Conversation())  # spacing and punctuation do not matter
    assert found["by"] == "站长" and found["at"]
    assert found["answer"]["conclusion"] == approved["conclusion"]
    assert found["answer"]["question"] == "送外卖路上被车撞了 算工伤吗"  # shown with the worker's own words
    assert asker.vetted(RIDER, "北京", None) is None  # another province's rules
    assert asker.vetted(RIDER, None, None) is None  # national only: not the 浙江 approval
    assert fake_bot.calls == []  # looking up a vetted answer does not ask the bot


def test_no_vetted_answer_while_a_triage_question_is_pending(asker, fake_bot, records):
    """「签了劳动合同」 tapped under a triage question answers it; it is no new question."""
    vet(records, fake_bot.catalog, question="签了劳动合同")
    pending = Conversation(pending={"guide": None, "question": RIDER, "choices": {"签了劳动合同": "签了劳动合同"}})
    assert asker.vetted("签了劳动合同", "浙江", pending) is None
    assert asker.vetted("签了劳动合同", "浙江", Conversation()) is not None


def test_a_vetted_answer_whose_document_changed_is_not_used(asker, fake_bot, records):
    vet(records, fake_bot.catalog, status="已废止")  # pinned with another status than the catalog's now
    assert asker.vetted(RIDER, "浙江", None) is None


def test_the_bots_error_reaches_the_page(records):
    from bot.guards import QuestionError

    failing = Asker(FakeBot(error=QuestionError("问题太长了，请分成几个小问题。", code="too_long")), records, load_settings())
    with pytest.raises(QuestionError, match="问题太长"):
        list(failing.answers("很长的问题" * 500, region=None, job=None, conversation=None))


def test_topic_of_an_answer_is_its_guide_else_its_first_document():
    assert topic_of({"guide": "injury-while-delivering", "citations": [{"doc_id": "laodong-hetong-fa"}]}) == "injury-while-delivering"
    assert topic_of({"guide": None, "citations": [{"doc_id": "gongshang-baoxian-tiaoli"}, {"doc_id": "laodong-hetong-fa"}]}) == "gongshang-baoxian-tiaoli"
    assert topic_of({"citations": []}) == ""
