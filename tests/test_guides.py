"""办事指南 (corpus/guides): every committed guide checked against the texts; the bot's guided
answers (conclusion, points, 行动清单 with quoted deadlines, triage) and conversations."""
from __future__ import annotations

import re

import pytest
import yaml

from bot.conversation import Conversation, is_follow_up, rewrite_follow_up
from corpus.catalog import load_catalog
from bot.compose import RULE_CONCLUSION_MAX
from bot.results import Triage
from corpus.guides import CONCLUSION_MAX, GuideError, check_guides, load_guides, parse_guide
from corpus.notes import load_notes
from corpus.referrals import load_referrals
from kb.load import load_source
from kb.split import split_articles
from common.settings import load_settings


@pytest.fixture(scope="module")
def article_texts(sources_dir):
    """(doc_id, 第X条) → the article's whole text, for every catalogued text in the sources folder."""
    settings = load_settings()
    texts: dict[tuple[str, str], str] = {}
    for entry in load_catalog(settings.paths.catalog).with_text():
        path = sources_dir / entry.primary_source.path
        for chunk in split_articles(load_source(path), doc_id=entry.id, title=entry.short_name, kind=entry.kind):
            key = (entry.id, chunk.article)
            texts[key] = texts.get(key, "") + "\n" + chunk.text
    return texts


@pytest.mark.integration
def test_every_committed_guide_is_backed_by_the_texts(article_texts):
    guides = load_guides()
    assert len(guides) >= 1
    problems = check_guides(
        guides,
        article_text=lambda doc, art: article_texts.get((doc, art)),
        note_ids=lambda doc: {p.id for p in load_notes(doc)},
        referral_ids=set(load_referrals().by_id),
    )
    assert problems == []
    for guide in guides:
        assert len(guide.questions) >= 5 or guide.use == "fallback", guide.id
        for branch in guide.branches.values():
            assert 1 <= len(branch.points) <= 6, (guide.id, branch.name)


def test_check_guides_catches_missing_articles_wrong_deadlines_and_long_conclusions():
    guide = parse_guide(
        {
            "id": "demo",
            "kind": "problem",
            "questions": ["工伤怎么申请"],
            "branches": {"default": {"conclusion": "很长" * 25, "points": [{"text": "一点", "cite": ["gongshang-baoxian-tiaoli", "第九百条"]}]}},
            "actions": {"steps": [{"what": "申请", "deadline": {"cite": ["gongshang-baoxian-tiaoli", "第十七条"], "match": "三年内"}}], "referrals": ["nowhere"]},
        }
    )
    texts = {("gongshang-baoxian-tiaoli", "第十七条"): "……之日起1年内，可以直接……"}
    problems = check_guides([guide], article_text=lambda d, a: texts.get((d, a)), note_ids=lambda d: set(), referral_ids={"hotline-12333"})
    assert any("第九百条 does not exist" in p for p in problems)
    assert any("三年内" in p for p in problems)
    assert any(f"max {CONCLUSION_MAX}" in p for p in problems)
    assert any("unknown referral nowhere" in p for p in problems)


@pytest.mark.parametrize(
    "broken, message",
    [
        ({"id": "x", "questions": ["问"], "branches": {"default": {"points": [{"text": "点", "cite": ["d", "第一条"]}]}}}, "no conclusion"),
        ({"id": "x", "questions": ["问"], "branches": {"default": {"conclusion": "结论", "points": [{"text": "点", "cite": "第一条"}]}}}, "cite must be"),
        ({"id": "x", "questions": [], "branches": {}}, "no questions"),
        (
            {
                "id": "x",
                "questions": ["问"],
                "facts": {"ask": "签合同了吗？", "choices": [{"label": "签了", "branch": "yes"}, {"label": "没签", "branch": "no"}]},
                "branches": {"yes": {"conclusion": "结论", "points": [{"text": "点", "cite": ["d", "第一条"]}]}},
            },
            "do not exist",
        ),
        ({"id": "x", "kind": "story", "questions": ["问"], "branches": {}}, "kind must be"),
    ],
)
def test_broken_guides_get_clear_errors(broken, message):
    with pytest.raises(GuideError, match=message):
        parse_guide(broken, source="x.yaml")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("那我要去哪里申请？", True),
        ("要多久？", True),
        ("需要什么材料", True),
        ("那如果公司不同意呢", True),
        ("送外卖路上被车撞了，算工伤吗？", False),
        ("公司不签劳动合同怎么办", False),
        ("那加班费怎么算", False),  # names its own topic
    ],
)
def test_follow_ups_are_recognised(text, expected):
    assert is_follow_up(text) is expected


def test_a_follow_up_is_read_with_the_question_before():
    conversation = Conversation()
    assert rewrite_follow_up("要多久？", conversation) == "要多久？"
    from bot.conversation import Turn

    conversation.remember(Turn(question="工伤认定怎么申请", asked="工伤认定怎么申请"))
    assert rewrite_follow_up("要多久？", conversation) == "工伤认定怎么申请 要多久？"
    again = Conversation.from_json(conversation.to_json())
    assert again.last_asked == "工伤认定怎么申请"


# -- the bot along a guide, on the small real index -------------------------------------------

GUIDE = {
    "id": "injury-at-work-test",
    "title": "上班时受伤",
    "kind": "problem",
    "questions": ["上班的时候受伤了算不算工伤", "干活时被机器砸伤了能认定工伤吗", "工作中受伤了怎么办", "在单位干活摔伤了算工伤吗", "工作时间受了伤找谁"],
    "facts": {
        "ask": "你和单位签了劳动合同吗？",
        "choices": [
            {"label": "签了劳动合同", "match": ["劳动合同", "正式员工"], "branch": "employee"},
            {"label": "没签，是临时帮忙", "match": ["临时帮忙"], "branch": "helper"},
            {"label": "不清楚", "branch": "unknown"},
        ],
    },
    "branches": {
        "employee": {"conclusion": "上班时因工作受伤，一般算工伤。", "points": [{"text": "工作时间因工作原因受伤，应当认定为工伤。", "cite": ["gongshang-baoxian-tiaoli", "第十四条"]}]},
        "helper": {"conclusion": "先弄清和单位有没有劳动关系。", "points": [{"text": "单位和劳动者建立劳动关系，适用劳动合同法。", "cite": ["laodong-hetong-fa", "第二条"]}]},
        "unknown": {
            "conclusion": "要看你和单位有没有劳动关系。",
            "points": [
                {"text": "有劳动关系的，工作时间因工作原因受伤，应当认定为工伤。", "cite": ["gongshang-baoxian-tiaoli", "第十四条"]},
                {"text": "单位和劳动者建立劳动关系，适用劳动合同法。", "cite": ["laodong-hetong-fa", "第二条"]},
            ],
        },
    },
    "actions": {
        "evidence": ["病历", "考勤记录"],
        "steps": [
            {"what": "先治疗，保存病历"},
            {"what": "单位不申请工伤认定的，自己申请", "who": "人社局", "deadline": {"cite": ["gongshang-baoxian-tiaoli", "第十七条"], "match": "1年内"}},
        ],
        "referrals": ["hotline-12333", "arbitration"],
    },
}


@pytest.fixture(scope="module")
def guided_bot(workspace, first_index, embedder, tmp_path_factory):
    from laoquan.app import load_bot

    folder = tmp_path_factory.mktemp("guides")
    (folder / "injury-at-work-test.yaml").write_text(yaml.safe_dump(GUIDE, allow_unicode=True), encoding="utf-8")
    return load_bot(workspace.replace(guides_dir=folder), embedder=embedder)


@pytest.mark.integration
def test_a_question_with_the_fact_gets_the_guides_answer(guided_bot):
    answer = guided_bot.ask("我是正式员工，上班的时候受伤了算不算工伤？")
    assert answer.guide == "injury-at-work-test"
    assert answer.outcome == "answered"
    assert answer.conclusion == "上班时因工作受伤，一般算工伤。"
    first = answer.citations[int(re.search(r"\[(\d+)\]$", answer.points[0]).group(1)) - 1]
    assert (first.doc_id, first.article) == ("gongshang-baoxian-tiaoli", "第十四条")
    ranked = guided_bot.retriever.search("我是正式员工，上班的时候受伤了算不算工伤？").hits
    assert [(c.doc_id, c.article) for c in answer.citations[:5]] == [(h.doc_id, h.article) for h in ranked[:5]]  # the ranker's five stay first
    step = answer.actions.steps[1]
    cited = answer.citations[step.cite - 1]
    assert cited.article == "第十七条" and "1年内" in step.deadline
    assert step.deadline in guided_bot.retriever.lookup("gongshang-baoxian-tiaoli", "第十七条", containing="1年内").text
    assert answer.triage is None
    assert answer.referrals[0].tel == "tel:12333"
    assert answer.answer.startswith(answer.conclusion)


@pytest.mark.integration
def test_a_missing_fact_is_asked_and_the_tapped_choice_answers_it(guided_bot):
    conversation = Conversation(region="浙江")
    first = guided_bot.ask("上班的时候受伤了算不算工伤", conversation=conversation)
    assert first.outcome == "partial" and first.reason == "needs_fact"
    assert first.triage == Triage(ask="你和单位签了劳动合同吗？", choices=["签了劳动合同", "没签，是临时帮忙", "不清楚"])
    assert {c.article for c in first.citations} >= {"第十四条", "第二条"}  # it says on what it depends, with both sources
    second = guided_bot.ask("签了劳动合同", conversation=conversation)
    assert second.outcome == "answered"
    assert second.conclusion == "上班时因工作受伤，一般算工伤。"
    assert second.asked == "上班的时候受伤了算不算工伤" and second.region == "浙江"
    assert conversation.facts == {"injury-at-work-test": "employee"} and conversation.pending is None
    follow = guided_bot.ask("那要去哪里申请？", conversation=conversation)
    assert follow.asked.startswith("上班的时候受伤了算不算工伤")
    # a follow-up answers what it asks (where to apply: 第十七条, the 社会保险行政部门), not the previous
    # conclusion again (issue 15); the fact given stays remembered for the conversation
    assert follow.conclusion != second.conclusion and (follow.citations[0].doc_id, follow.citations[0].article) == ("gongshang-baoxian-tiaoli", "第十七条")
    assert conversation.facts == {"injury-at-work-test": "employee"}


@pytest.mark.integration
def test_an_article_not_in_force_on_the_as_of_date_drops_the_guide(guided_bot):
    from datetime import date

    answer = guided_bot.ask("我是正式员工，上班的时候受伤了算不算工伤？", as_of=date(2009, 1, 1))
    assert answer.guide is None  # 工伤保险条例 (2010 revision) was not in force: no guided conclusion resting on it
    assert all(c.doc_id != "gongshang-baoxian-tiaoli" for c in answer.citations)


@pytest.mark.integration
def test_answers_without_a_guide_state_the_rule_in_plain_words(bot):
    """Issue 15: no bare pointer. The conclusion is the first article's 白话要义 (or its first
    clause), each point states a cited article's rule in the same words; the quote stays verbatim."""
    answer = bot.ask("公司拖欠工资两个月了，去哪里投诉？")
    first = answer.citations[0]
    assert first.rule and answer.conclusion and len(answer.conclusion) <= RULE_CONCLUSION_MAX
    assert answer.conclusion.removeprefix("可能适用：").rstrip("。；") in first.rule
    assert "原文见下" not in answer.conclusion and "最相关的可能是" not in answer.conclusion
    stated = [p for p in answer.points if "》第" in p]
    assert stated and all(p.endswith("]") for p in answer.points)
    for point in stated:
        n = int(re.search(r"\[(\d+)\]$", point).group(1))
        c = answer.citations[n - 1]
        assert c.rule and c.rule in point and c.kind == "原文" and c.quote  # the rule as written; the card keeps the verbatim quote


@pytest.mark.integration
def test_a_list_introduction_is_followed_by_the_item_the_question_is_about(bot):
    """With a plain rule, the point states it (the whole list in plain words); an article without
    one is excerpted: the introduction, then the item closest to the question, verbatim."""
    from corpus.plain_rules import PlainRules

    answer = bot.ask("上下班路上被车撞了算工伤吗")
    point = next(p for p in answer.points if "第十四条" in p)
    assert "上下班途中" in point
    inner = bot.current().bot
    rules, inner.composer.plain_rules = inner.composer.plain_rules, PlainRules({})
    try:
        answer = inner.ask("上下班路上被车撞了算工伤吗")
    finally:
        inner.composer.plain_rules = rules
    point = next(p for p in answer.points if "第十四条" in p)
    assert re.search(r"应当认定为工伤：[（(]六[）)]", point) and "上下班途中" in point


@pytest.mark.integration
def test_stream_gives_the_conclusion_first(bot):
    stages = list(bot.stream("干了三个月老板还不签合同怎么办"))
    assert stages[0].conclusion == stages[-1].conclusion and not stages[0].citations
    assert stages[-1].citations


@pytest.mark.integration
def test_a_problem_no_guide_fits_gets_the_general_route(bot):
    """The 5-document test index has no guide phrasings close enough; the general routes (with
    deadlines quoted from the indexed texts) still tell the worker what to do."""
    answer = bot.ask("老板拖欠我三个月工资不给，怎么办")
    assert answer.actions and answer.actions.steps
    assert any("监察" in (s.what + (s.who or "")) for s in answer.actions.steps)
    ids = [r.id for r in answer.referrals]
    assert ids[0] == "hotline-12333" and "labour-inspection" in ids
    injury = bot.ask("在厂里干活被机器砸伤了，老板不管")
    steps = injury.actions.steps
    quoted = [s for s in steps if s.deadline]
    assert quoted and "1年内" in quoted[0].deadline
    cited = injury.citations[quoted[0].cite - 1]
    assert (cited.doc_id, cited.article) == ("gongshang-baoxian-tiaoli", "第十七条") and quoted[0].deadline in cited.quote
    info = bot.ask("劳动合同法第十条是怎么规定的")
    assert info.actions is None  # not a problem: no 行动清单


# -- documents named by the worker, whose text is not in the knowledge base -------------------


@pytest.fixture(scope="module")
def bot_with_full_catalog(bot):
    """The small index, but the whole catalog: documents with no text and (here) no indexed notes."""
    from bot.answer import AnswerBot

    return AnswerBot(bot.retriever, load_catalog(load_settings().paths.catalog), bot.settings, guides=bot.current().bot.guides)


@pytest.mark.integration
@pytest.mark.parametrize(
    "question, doc_id",
    [
        ("国市监网监发[2021]38号是哪个文件，管啥的", "waimai-songcanyuan-quanyi-zhidao-yijian-2021"),
        ("指导性案例238号讲的啥", "zhidaoxing-anli-237-240"),
        ("56号文说了哪三种情况", "xinjiuye-quanyi-zhidao-yijian-2021"),
        ("职业伤害保障办法第四条讲的是什么", "zhiye-shanghai-baozhang-banfa-2025"),
    ],
)
def test_a_named_document_without_text_is_named_with_its_source(bot_with_full_catalog, question, doc_id):
    answer = bot_with_full_catalog.ask(question)
    assert answer.outcome == "answered" and answer.reason == "document_named"
    assert "未收录" in answer.conclusion and len(answer.conclusion) <= CONCLUSION_MAX
    card = answer.citations[0]
    assert card.doc_id == doc_id and card.kind == "要点（非原文）" and not card.quote
    assert "全文和要点都未收录" in card.summary and card.doc_no in card.summary


@pytest.mark.integration
def test_a_document_not_in_force_is_not_named_as_current(bot_with_full_catalog):
    from datetime import date

    answer = bot_with_full_catalog.ask("职业伤害保障办法第四条讲的是什么", as_of=date(2024, 1, 1))
    assert all(c.doc_id != "zhiye-shanghai-baozhang-banfa-2025" for c in answer.citations)  # in force from 2025-07-01


@pytest.mark.integration
def test_referrals_list_the_places_in_the_workers_city(bot):
    answer = bot.ask("老板拖欠我三个月工资不给，怎么办", region="北京")
    arbitration = next(r for r in answer.referrals if r.id == "arbitration")
    assert arbitration.places and all(p["city"] == "北京" and p["source_url"].startswith("http") for p in arbitration.places)
    assert all(p["navigation"]["web"].startswith("https://") for p in arbitration.places)
    # on the page: the place opens the phone's map apps (高德 / 百度 / 腾讯), and a third-party listing says so
    from bot.render import referrals_html

    html = referrals_html(answer.to_json()["referrals"])  # the page renders the answer's JSON (kept in the browser)
    first = html[html.index('<li class="place">'):]
    first = first[: first.index("</li>")]
    assert arbitration.places[0]["name"] in first and 'href="https://uri.amap.com/' in first
    assert 'href="baidumap://map/place/search?' in first and 'href="qqmap://map/search?' in first
    shenzhen = bot.ask("老板拖欠我三个月工资不给，怎么办", region="深圳")
    places = [p for r in shenzhen.referrals for p in r.places]
    listings = sum(p["source_type"] == "listing" for p in places)
    assert places and listings and referrals_html(shenzhen.to_json()["referrals"]).count("请先电话确认") == listings
    nowhere = bot.ask("老板拖欠我三个月工资不给，怎么办")
    assert all(not r.places and not r.places_note for r in nowhere.referrals)  # no city, no guess


@pytest.mark.integration
def test_a_referral_without_a_listed_office_says_why(bot):
    from bot.render import referrals_html

    hangzhou = bot.ask("老板拖欠我三个月工资不给，怎么办", region="杭州")
    arbitration = next(r for r in hangzhou.referrals if r.id == "arbitration")
    assert not arbitration.places  # the directory has no 杭州 arbitration office (README: not found)
    assert arbitration.places_note == "目录里还没有杭州的劳动人事争议仲裁院地址，可以拨打 12333 问。"
    assert '<p class="places-note">目录里还没有杭州的劳动人事争议仲裁院地址' in referrals_html(hangzhou.to_json()["referrals"])
    assert all(not r.places_note for r in hangzhou.referrals if r.id.startswith("hotline-"))
    province = bot.ask("老板拖欠我三个月工资不给，怎么办", region="浙江")
    notes = [r.places_note for r in province.referrals if r.places_note]
    assert notes == ["选好所在城市后，这里会列出当地的办事地点（目录里已有的城市）。"]  # once, not per referral


@pytest.mark.integration
def test_a_platform_workers_problem_without_employment_status_asks_for_it(bot):
    conversation = Conversation()
    first = bot.ask("送外卖的时候在店里摔伤了，平台不管，怎么办", conversation=conversation)
    assert first.outcome == "partial" and first.reason == "needs_fact"
    assert first.triage.choices == ["签了劳动合同", "没签，在平台接单", "不清楚"]
    assert first.actions and first.actions.steps  # still says what to do meanwhile
    second = bot.ask("签了劳动合同", conversation=conversation)
    assert second.asked.endswith("（签了劳动合同）") and second.triage is None
    given = bot.ask("我是众包骑手，送外卖的时候摔伤了，平台不管，怎么办")
    assert given.triage is None  # the status is in the question: nothing to ask


def test_a_guide_is_not_followed_without_its_defining_fact():
    from corpus.guides import load_guides

    death = next(g for g in load_guides() if g.id == "work-death")
    assert death.fits("骑手送餐出车祸去世了家属怎么办")
    assert not death.fits("跑滴滴被乘客打了，平台不管怎么办")


@pytest.mark.integration
def test_an_article_of_a_law_not_in_the_knowledge_base_is_refused_not_guessed(bot):
    answer = bot.ask("职业病防治法第三十五条讲什么")
    assert answer.outcome == "refused" and answer.reason == "law_not_indexed" and "职业病防治法" in answer.answer
    assert bot.ask("工伤保险条例第十四条说啥").citations[0].article == "第十四条"


def test_a_guide_answer_leads_with_the_point_the_question_asks_about():
    from bot.compose import lead_with_the_asked_point

    points = ["单位不得因怀孕、生育、哺乳降低工资、辞退或解除合同。[1]", "产假98天，其中产前可休15天。[2]",
              "怀孕7个月以上不得加班、上夜班；产检时间算劳动时间。[4]"]
    conclusion = "单位不能因为怀孕、生育、哺乳给你降工资或辞退，产假一般98天。"
    lead, ordered = lead_with_the_asked_point("怀孕七个月了站长还给我排夜班", conclusion, points)
    assert lead == "怀孕7个月以上不得加班、上夜班；产检时间算劳动时间。" and ordered[0].endswith("[4]")
    assert sorted(ordered) == sorted(points)  # nothing lost, citation marks kept
    # a question the guide's own conclusion answers keeps it, and the order
    assert lead_with_the_asked_point("怀孕了公司要辞退我", conclusion, points) == (conclusion, points)
    # a better point that is too long to be a conclusion moves up but does not replace it
    long_point = "怀孕7个月以上不得安排加班和夜班，单位应当在每天的劳动时间内安排一定的休息时间，产检算劳动时间。[4]"
    lead, ordered = lead_with_the_asked_point("怀孕七个月还排夜班", conclusion, points[:2] + [long_point])
    assert lead == conclusion and ordered[0] == long_point


@pytest.mark.integration
def test_a_listing_article_is_excerpted_with_the_item_the_question_is_about(bot):
    commute = bot.ask("下班路上被车撞了")
    first = next(p for p in commute.points if p.startswith("《工伤保险条例》第十四条"))
    # the article's plain rule names the commute case (the second writer's review added the list's
    # 「其他情形」 on purpose: the list is not closed, corpus/plain_rules/REVIEW.md)
    assert "上下班途中" in first
    drunk = bot.ask("喝醉了骑车摔伤能算工伤吗")
    assert any(p.startswith("《工伤保险条例》第十六条") and "醉酒" in p for p in drunk.points)


def test_without_embeddings_the_item_is_chosen_by_words_the_introduction_lacks():
    from types import SimpleNamespace

    from bot.compose import excerpt_points

    quote = ("第十四条 职工有下列情形之一的，应当认定为工伤：\n（一）在工作时间和工作场所内，因工作原因受到事故伤害的；\n"
             "（六）在上下班途中，受到非本人主要责任的交通事故伤害的；\n（七）法律、行政法规规定应当认定为工伤的其他情形。")
    cite = SimpleNamespace(kind="原文", quote=quote, summary="", article="第十四条", n=1)
    name = lambda c: "工伤保险条例"  # noqa: E731
    [point] = excerpt_points([cite], short_name=name, question="上下班途中出了交通事故算工伤吗")
    assert "（六）" in point
    [point] = excerpt_points([cite], short_name=name, question="这算工伤吗")  # 工伤 is in the introduction
    assert point == "《工伤保险条例》第十四条：职工有下列情形之一的，应当认定为工伤：[1]"


def test_a_fact_that_undoes_a_guides_conclusion_keeps_the_guide_out():
    from corpus.guides import load_guides

    guides = {g.id: g for g in load_guides()}
    commute = guides["commute-accident"]
    assert commute.fits("上班路上被车撞了算工伤吗")
    assert not commute.fits("喝醉了骑车上班路上摔伤能算工伤吗")  # 工伤保险条例第十六条: 醉酒 → not 工伤
    for gid in ("injury-while-delivering", "courier-traffic-accident", "platform-injury-claim"):
        assert not guides[gid].fits("送餐时酒后骑车摔了"), gid


@pytest.mark.integration
def test_a_drunk_injury_is_answered_from_the_articles_that_exclude_it(bot):
    answer = bot.ask("喝醉了骑车摔伤能算工伤吗")
    assert answer.guide is None
    assert any(p.startswith("《工伤保险条例》第十六条") and "醉酒" in p for p in answer.points)
