"""The open REST API (/api/v1, staff endpoints, health, metrics, errors, limits) on a FakeBot, with
FastAPI's TestClient; the last tests ask the real bot over the loopback server (integration)."""
from __future__ import annotations

import json
from datetime import date
from types import SimpleNamespace
from urllib.parse import unquote

import pytest
import yaml
from fastapi.testclient import TestClient

from bot.guards import QuestionError
from bot.results import Actions, Citation, Step
from common.settings import load_settings
from tests.fakes import FakeBot, canned_answer

CITATION = Citation(n=1, doc_id="gongshang-baoxian-tiaoli", title="工伤保险条例", doc_no=None, article="第十四条", page=None,
                    quote="在上下班途中，受到非本人主要责任的交通事故或者城市轨道交通、客运轮渡、火车事故伤害的", status="现行有效",
                    effective_from="2011-01-01", region="全国", source_url=None, score=0.91)
ACTIONS = Actions(evidence=["事故认定书", "医院病历"], steps=[Step(what="申请工伤认定", who="社会保险行政部门", deadline="1年内", cite=1)])


LOOPBACK = "http://127.0.0.1"
"""The TestClient's host: the server answers only trusted hosts (bot.web_security), loopback among them."""

def cited_answer(question: str = "送外卖路上被车撞了，算工伤吗？"):
    return canned_answer(question, citations=[CITATION], actions=ACTIONS)


def make_server(tmp_path, bot, **settings):
    from bot.server import build_server

    options = {"api_rate_limit": "", **settings}
    return build_server(bot, settings=load_settings(data_dir=tmp_path, **options))


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """One server over a FakeBot whose answers cite 工伤保险条例第十四条 and have a 行动清单; no rate limit."""
    folder = tmp_path_factory.mktemp("api")
    bot = FakeBot(lambda q: _answer_or_error(q))
    server = make_server(folder, bot)
    return SimpleNamespace(client=TestClient(server, base_url=LOOPBACK), bot=bot, folder=folder)


def _answer_or_error(question: str):
    if question == "太长":
        raise QuestionError("问题太长了，请控制在 500 字以内。", code="too_long")
    return cited_answer(question)


def records_of(api):
    from bot.records import Records

    return Records(api.folder / "records.sqlite3")


# -- ask ------------------------------------------------------------------------------------------


def test_ask_returns_the_json_of_ask_json_with_a_conversation_id(api):
    response = api.client.post("/api/v1/ask", json={"question": "送外卖路上被车撞了，算工伤吗？", "province": "浙江", "city": "杭州",
                                                    "job": "外卖", "as_of": "2024-06-01"})
    assert response.status_code == 200
    data = response.json()
    expected = cited_answer("送外卖路上被车撞了，算工伤吗？").to_json()
    assert {k: v for k, v in data.items() if k != "conversation_id"} == expected
    assert data["citations"][0]["doc_id"] == "gongshang-baoxian-tiaoli" and data["citations"][0]["article"] == "第十四条"
    assert data["conversation_id"].startswith("c_")
    call = api.bot.calls[-1]
    assert (call.question, call.region, call.as_of) == ("送外卖路上被车撞了，算工伤吗？", "杭州", date(2024, 6, 1))  # the city wins
    assert call.conversation.job == "外卖"


def test_a_conversation_id_brings_back_what_the_worker_said(api):
    first = api.client.post("/api/v1/ask", json={"question": "干了三个月老板还不签合同", "province": "浙江"}).json()
    api.client.post("/api/v1/ask", json={"question": "那要去哪里申请？", "conversation_id": first["conversation_id"]})
    assert api.bot.calls[-1].conversation.region == "浙江"  # remembered, not sent again
    api.client.post("/api/v1/ask", json={"question": "那要去哪里申请？", "conversation_id": "c_unknown"})
    assert api.bot.calls[-1].conversation.region is None


def test_history_becomes_the_conversations_earlier_turns(api):
    api.client.post("/api/v1/ask", json={"question": "要多久？", "history": ["送外卖路上被车撞了，算工伤吗？", "工伤认定去哪里申请？"]})
    conversation = api.bot.calls[-1].conversation
    assert [t.question for t in conversation.turns] == ["送外卖路上被车撞了，算工伤吗？", "工伤认定去哪里申请？"]
    assert conversation.last_asked == "工伤认定去哪里申请？"


def _events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_stream_sends_the_conclusion_first_then_points_citations_actions_done(api):
    response = api.client.post("/api/v1/ask", json={"question": "送外卖路上被车撞了，算工伤吗？", "stream": True})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = _events(response.text)
    assert [name for name, _ in events] == ["conclusion", "point", "citation", "actions", "done"]
    assert events[0][1]["conclusion"] == "上下班途中受到非本人主要责任的交通事故伤害，应当认定为工伤。"
    assert events[1][1]["text"].endswith("[1]")
    assert events[2][1]["article"] == "第十四条"
    assert events[3][1]["evidence"] == ["事故认定书", "医院病历"]
    assert events[4][1]["citations"][0]["quote"] == CITATION.quote


def test_a_question_the_bot_cannot_take_is_a_400_with_its_code(api):
    for body in ({"question": "太长"}, {"question": "太长", "stream": True}):
        response = api.client.post("/api/v1/ask", json=body)
        assert response.status_code == 400
        assert response.json()["error"] == {"code": "too_long", "message_zh": "问题太长了，请控制在 500 字以内。", "message_en": "The question is too long."}


@pytest.mark.parametrize("body, code, field", [
    ({}, "invalid_request", "question"),
    ({"question": "工伤", "as_of": "去年"}, "invalid_request", "as_of"),
    ({"question": "工伤", "colour": "red"}, "invalid_request", "colour"),
    ({"question": "工" * 5000}, "invalid_request", "question"),
    ({"question": "工伤", "history": ["问"] * 30}, "invalid_request", "history"),
])
def test_validation_errors_are_reshaped_with_a_stable_code(api, body, code, field):
    response = api.client.post("/api/v1/ask", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code and field in error["message_zh"] and field in error["message_en"]
    assert set(error) == {"code", "message_zh", "message_en"}


def test_a_body_sent_like_curl_d_is_read_as_json(api):
    body = '{"question":"送外卖路上被车撞了，算工伤吗？"}'.encode()
    for headers in ({"content-type": "application/x-www-form-urlencoded"}, {}, {"content-type": "text/plain; charset=utf-8"}):
        response = api.client.post("/api/v1/ask", content=body, headers=headers)
        assert response.status_code == 200 and response.json()["citations"], headers
    chat = api.client.post("/v1/chat/completions", content='{"messages":[{"role":"user","content":"工伤"}]}'.encode(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert chat.status_code == 200 and chat.json()["citations"]


def test_bad_json_and_unknown_paths_get_the_error_shape(api):
    bad = api.client.post("/api/v1/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "bad_json"
    missing = api.client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


# -- batch ------------------------------------------------------------------------------------------


def test_batch_gives_exactly_one_output_line_per_input_line_in_order(api):
    lines = [
        json.dumps({"id": "a", "question": "送外卖路上被车撞了，算工伤吗？", "province": "浙江"}, ensure_ascii=False),
        "",
        "{not json",
        json.dumps({"question": "老板不签合同"}, ensure_ascii=False),
        json.dumps({"id": 5, "province": "浙江"}, ensure_ascii=False),  # no question
        json.dumps({"id": "long", "question": "太长"}, ensure_ascii=False),
        "   ",
        json.dumps({"id": "z", "question": "拖欠工资"}, ensure_ascii=False),
    ]
    response = api.client.post("/api/v1/ask/batch", content="\n".join(lines) + "\n", headers={"content-type": "application/x-ndjson"})
    assert response.status_code == 200
    out = [json.loads(line) for line in response.text.splitlines()]
    assert len(out) == len(lines)
    assert [o["line"] for o in out] == list(range(1, len(lines) + 1))
    assert [o["id"] for o in out] == ["a", None, None, None, 5, "long", None, "z"]
    assert [("answer" in o, o.get("error", {}).get("code")) for o in out] == [
        (True, None), (False, "no_question"), (False, "bad_json"), (True, None), (False, "invalid_request"), (False, "too_long"),
        (False, "no_question"), (True, None)]
    assert out[0]["answer"]["question"] == "送外卖路上被车撞了，算工伤吗？" and out[0]["answer"]["citations"][0]["n"] == 1
    assert out[7]["answer"]["question"] == "拖欠工资"


def test_a_batch_over_the_limit_is_refused_whole(tmp_path):
    server = make_server(tmp_path, FakeBot(), api_batch_max=3)
    response = TestClient(server, base_url=LOOPBACK).post("/api/v1/ask/batch", content="\n".join(['{"question": "工伤"}'] * 4))
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"
    huge = TestClient(server, base_url=LOOPBACK).post("/api/v1/ask/batch", content=b'{"question": "' + "工".encode() * 100_000 + b'"}')
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "too_large"  # one line, but too many bytes


# -- documents, services, feeds --------------------------------------------------------------------


def test_documents_come_from_the_catalog_with_status_dates_and_indexed_articles(api):
    listed = api.client.get("/api/v1/documents").json()["documents"]
    by_id = {d["id"]: d for d in listed}
    assert "laodong-hetong-fa" in by_id and "xinjiuye-quanyi-zhidao-yijian-2021" in by_id
    gongshang = by_id["gongshang-baoxian-tiaoli"]
    assert gongshang["indexed"] and gongshang["articles"] == 2  # the fake index has 第十四条 and 第十七条
    assert gongshang["status"] and gongshang["effective_from"]
    one = api.client.get("/api/v1/documents/gongshang-baoxian-tiaoli").json()
    assert one["title"] == "工伤保险条例" and one["articles"] == ["第十四条", "第十七条"]
    assert "texts" not in one
    texts = api.client.get("/api/v1/documents/gongshang-baoxian-tiaoli", params={"text": "true"}).json()["texts"]
    assert [t["article"] for t in texts] == ["第十四条", "第十七条"] and texts[1]["text"].startswith("第十七条 职工发生事故伤害")
    article = api.client.get("/api/v1/documents/gongshang-baoxian-tiaoli/articles/第十四条").json()
    assert article["text"].startswith("第十四条 职工有下列情形之一的，应当认定为工伤")
    assert api.client.get("/api/v1/documents/no-such-doc").json()["error"]["code"] == "not_found"
    assert api.client.get("/api/v1/documents/gongshang-baoxian-tiaoli/articles/第九十九条").status_code == 404


def test_services_of_a_city_and_of_a_kind(api):
    data = api.client.get("/api/v1/services", params={"city": "杭州"}).json()
    assert data["services"] and {s["city"] for s in data["services"]} == {"杭州"}
    kind = data["services"][0]["kind"]
    only = api.client.get("/api/v1/services", params={"city": "杭州", "kind": kind}).json()["services"]
    assert only and {s["kind"] for s in only} == {kind}
    bad = api.client.get("/api/v1/services", params={"city": "杭州", "kind": "spaceport"})
    assert bad.status_code == 400 and "spaceport" in bad.json()["error"]["message_zh"]


def test_feeds_are_linked(api):
    assert api.client.get("/api/v1/feeds").json()["json"] == "/feeds/{province}/{job}.json"
    moved = api.client.get("/api/v1/feeds/浙江/外卖?since=2025-01-01", follow_redirects=False)
    assert moved.status_code == 307 and unquote(moved.headers["location"]) == "/feeds/浙江/外卖.json?since=2025-01-01"


# -- worker actions --------------------------------------------------------------------------------


def test_feedback_is_recorded_and_not_useful_goes_to_the_queue(api):
    records = records_of(api)
    before = records.feedback_counts()
    ok = api.client.post("/api/v1/feedback", json={"question": "平台说我不是员工，受伤了谁来赔？", "useful": False, "province": "浙江",
                                                   "outcome": "answered", "doc_ids": ["gongshang-baoxian-tiaoli"]})
    assert ok.status_code == 200 and ok.json()["ok"]
    assert records.feedback_counts()["没用"] == before["没用"] + 1
    assert any(item.question == "平台说我不是员工，受伤了谁来赔？" and item.kind == "not_useful" for item in records.queue())
    empty = api.client.post("/api/v1/feedback", json={"question": "  ", "useful": True})
    assert empty.status_code == 422 and empty.json()["error"]["message_zh"] == "请填写问题。"


def test_a_report_gets_a_number_to_look_it_up_by_without_its_text(api):
    made = api.client.post("/api/v1/reports", json={"what": "站点扣了我三百块押金不退，电话 13812345678", "platform": "某外卖平台",
                                                    "city": "杭州", "contact": "微信 rider01"})
    assert made.status_code == 201
    number = made.json()["number"]
    looked = api.client.get(f"/api/v1/reports/{number.lower().replace('-', ' ')}").json()
    assert looked["number"] == number and looked["status"] == "已收到"
    assert "what" not in looked and "contact" not in looked
    assert api.client.get("/api/v1/reports/LQ-2222-2222").json()["error"]["code"] == "not_found"
    assert api.client.post("/api/v1/reports", json={"what": ""}).json()["error"]["message_zh"] == "请填写发生了什么。"


def test_a_full_disk_gives_a_503_in_chinese_and_the_answers_go_on(tmp_path, monkeypatch):
    from bot.records import FULL_MESSAGE, Records, RecordsFull

    client = TestClient(make_server(tmp_path, FakeBot(lambda q: cited_answer(q))), base_url=LOOPBACK)

    def full(self, **fields):
        raise RecordsFull()

    monkeypatch.setattr(Records, "add_report", full)
    refused = client.post("/api/v1/reports", json={"what": "站点扣押金不退"})
    assert refused.status_code == 503 and refused.headers["retry-after"]
    assert refused.json()["error"] == {"code": "unavailable", "message_zh": FULL_MESSAGE,
                                       "message_en": "No storage space left: the record could not be saved."}
    assert client.post("/api/v1/ask", json={"question": "送外卖路上被车撞了，算工伤吗？"}).status_code == 200


def test_a_full_answer_pool_is_a_503_with_retry_after_in_both_apis(tmp_path):
    from bot.workers import BUSY, Busy

    def busy(question):
        raise Busy()

    client = TestClient(make_server(tmp_path, FakeBot(busy)), base_url=LOOPBACK)
    for path, body in (("/api/v1/ask", {"question": "加班费怎么算？"}), ("/v1/chat/completions", {"model": "laoquan", "messages": [{"role": "user", "content": "加班费怎么算？"}]})):
        response = client.post(path, json=body)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == str(Busy().retry_after)
        assert response.json()["error"]["message_zh"] == BUSY


def test_a_batch_line_that_meets_a_full_pool_says_busy_not_internal_error(tmp_path):
    from bot.workers import BUSY, Busy

    def busy_on_the_second(question):
        if question == "第二行":
            raise Busy()
        return cited_answer(question)

    client = TestClient(make_server(tmp_path, FakeBot(busy_on_the_second)), base_url=LOOPBACK)
    lines = client.post("/api/v1/ask/batch", content="\n".join(json.dumps({"id": i, "question": q}, ensure_ascii=False)
                                                                 for i, q in enumerate(["第一行", "第二行", "第三行"]))).text.splitlines()
    out = [json.loads(line) for line in lines]
    assert [o["id"] for o in out] == [0, 1, 2] and "answer" in out[0] and "answer" in out[2]
    assert out[1]["error"]["code"] == "unavailable" and out[1]["error"]["message_zh"] == BUSY and out[1]["error"]["retry_after"] > 0


# -- staff endpoints and their tokens ------------------------------------------------------------


def test_staff_endpoints_refuse_a_missing_wrong_or_revoked_token(api):
    from bot.staff_accounts import StaffAccounts

    accounts = StaffAccounts(api.folder / "staff.yaml")
    accounts.add("zhanzhang", "测试-密码-2026")
    token = accounts.issue_token("zhanzhang")
    for headers in ({}, {"Authorization": "Bearer lqt_00000000_" + "x" * 43}, {"Authorization": f"Bearer {token}x"}, {"Authorization": token}):
        refused = api.client.get("/api/v1/staff/queue", headers=headers)
        assert refused.status_code == 401, headers
        assert refused.json()["error"]["code"] == "unauthorized" and refused.headers["www-authenticate"] == "Bearer"
    assert api.client.get("/api/v1/staff/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in (api.folder / "staff.yaml").read_text(encoding="utf-8")  # only its hash is kept
    accounts.revoke_tokens("zhanzhang")
    assert api.client.get("/api/v1/staff/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_staff_work_the_queue_and_reports_under_their_own_name(api):
    from bot.staff_accounts import StaffAccounts

    accounts = StaffAccounts(api.folder / "staff.yaml")
    accounts.add("gongzuo", "测试-密码-2026")
    auth = {"Authorization": f"Bearer {accounts.issue_token('gongzuo')}"}
    records = records_of(api)
    item = records.add_refused(question="外星人打工算不算劳动关系", region=None, reason="not_found")
    queue = api.client.get("/api/v1/staff/queue", headers=auth).json()["queue"]
    assert any(q["id"] == item for q in queue)
    done = api.client.post(f"/api/v1/staff/queue/{item}/handled", json={"note": "已补充"}, headers=auth).json()
    assert done["handled_by"] == "gongzuo" and all(q.id != item for q in records.queue())
    number = records.add_report(what="三个月没发工资", city="杭州", contact="13800000000").number
    listed = api.client.get("/api/v1/staff/reports", headers=auth).json()["reports"]
    assert any(r["number"] == number and r["contact"] == "13800000000" for r in listed)  # staff see the contact
    updated = api.client.post(f"/api/v1/staff/reports/{number}", json={"forwarded_to": "12333"}, headers=auth).json()
    assert updated["status"] == "已转交" and updated["updated_by"] == "gongzuo"
    wrong = api.client.post(f"/api/v1/staff/reports/{number}", json={"forwarded_to": "月球"}, headers=auth)
    assert wrong.status_code == 422
    assert api.client.get("/api/v1/staff/vetted", headers=auth).json() == {"vetted": []}


def test_staff_dashboard_figures_and_csv(api):
    from bot.staff_accounts import StaffAccounts

    accounts = StaffAccounts(api.folder / "staff.yaml")
    accounts.add("kanban", "测试-密码-2026")
    auth = {"Authorization": f"Bearer {accounts.issue_token('kanban')}"}
    records_of(api).add_asked(region="浙江", job="外卖", topic="gongshang-baoxian-tiaoli", outcome="refused", reason="not_found")
    board = api.client.get("/api/v1/staff/dashboard", headers=auth).json()
    assert board["asked"] >= 1 and board["refused"] >= 1 and 0 < board["refusal_rate"] <= 1
    name = next(iter(board["tables"]))
    csv = api.client.get(f"/api/v1/staff/dashboard/{name}.csv", headers=auth)
    assert csv.status_code == 200 and csv.content.startswith("\ufeff".encode())
    assert csv.content.decode("utf-8-sig").splitlines()[0].split(",") == board["tables"][name]["columns"]
    assert api.client.get(f"/api/v1/staff/dashboard/{name}.csv").status_code == 401


def test_tokens_are_kept_hashed_across_a_password_change_and_gone_with_the_account(tmp_path):
    from bot.staff_accounts import AccountError, StaffAccounts

    accounts = StaffAccounts(tmp_path / "staff.yaml")
    with pytest.raises(AccountError):
        accounts.issue_token("nobody")
    accounts.add("zhanzhang", "测试-密码-2026")
    token = accounts.issue_token("zhanzhang")
    stored = yaml.safe_load((tmp_path / "staff.yaml").read_text(encoding="utf-8"))["staff"]["zhanzhang"]["tokens"]
    assert len(stored) == 1 and token not in json.dumps(stored)
    accounts.add("zhanzhang", "另一个-密码-2027")
    assert accounts.token_owner(token) == "zhanzhang" and accounts.verify("zhanzhang", "另一个-密码-2027")
    assert accounts.token_owner(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    accounts.remove("zhanzhang")
    assert accounts.token_owner(token) is None


def test_cli_issues_and_revokes_a_token(tmp_path, monkeypatch, capsys):
    from bot.staff_accounts import StaffAccounts
    from laoquan.cli import main

    monkeypatch.setenv("LAOQUAN_DATA_DIR", str(tmp_path))
    StaffAccounts(tmp_path / "staff.yaml").add("zhanzhang", "测试-密码-2026")
    assert main(["staff", "token", "zhanzhang"]) == 0
    token = capsys.readouterr().out.strip()
    assert StaffAccounts(tmp_path / "staff.yaml").token_owner(token) == "zhanzhang"
    assert main(["staff", "token", "zhanzhang", "--revoke"]) == 0
    assert "1 个" in capsys.readouterr().out
    assert StaffAccounts(tmp_path / "staff.yaml").token_owner(token) is None
    assert main(["staff", "token", "nobody"]) == 2


def test_cli_ask_json_from_stdin_gives_one_line_per_line_blank_ones_included(monkeypatch, capsys):
    import io

    from laoquan import cli

    def answer(question):
        if not question.strip():
            raise QuestionError("请先输入你的问题。", code="empty")
        return canned_answer(question)

    monkeypatch.setattr(cli, "_load_bot", lambda settings: FakeBot(answer))
    monkeypatch.setattr("sys.stdin", io.StringIO("送外卖路上被车撞了\n\n老板不签合同\n"))
    assert cli.main(["ask", "--json", "-"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(o["question"], o.get("error")) for o in out] == [("送外卖路上被车撞了", None), ("", "empty"), ("老板不签合同", None)]


# -- health, metrics, docs, limits -----------------------------------------------------------------


def test_health_ready_and_metrics(api):
    assert api.client.get("/healthz").json() == {"status": "ok"}
    ready = api.client.get("/readyz").json()
    assert ready["index_loaded"] and ready["generation"] == 1
    api.client.post("/api/v1/ask", json={"question": "送外卖路上被车撞了，算工伤吗？"})
    text = api.client.get("/metrics").text
    answered = next(line for line in text.splitlines() if line.startswith('laoquan_answers_total{outcome="answered"}'))
    assert float(answered.split()[-1]) >= 1
    assert 'laoquan_answer_stage_seconds_count{stage="total"}' in text
    assert "laoquan_index_generation 1.0" in text and "laoquan_answers_in_progress 0.0" in text


def test_the_pages_answer_through_the_metered_bot(tmp_path, monkeypatch):
    """The worker and staff pages get the metered bot, so their answers count in /metrics too."""
    import bot.server as server_module
    from bot.metrics import MeteredBot

    seen = {}
    for name in ("build_worker_app", "build_staff_app"):
        real = getattr(server_module, name)
        monkeypatch.setattr(server_module, name, lambda bot, *a, _real=real, _name=name, **k: (seen.__setitem__(_name, bot), _real(bot, *a, **k))[1])
    server_module.build_server(FakeBot(), settings=load_settings(data_dir=tmp_path, api_rate_limit=""))
    assert isinstance(seen["build_worker_app"], MeteredBot) and isinstance(seen["build_staff_app"], MeteredBot)


def test_readyz_is_503_without_an_index(tmp_path):
    server = make_server(tmp_path, FakeBot(retriever=SimpleNamespace()))
    response = TestClient(server, base_url=LOOPBACK).get("/readyz")
    assert response.status_code == 503 and response.json()["index_loaded"] is False


def test_openapi_documents_the_api_routes_only_and_the_docs_need_no_cdn(api):
    paths = api.client.get("/api/openapi.json").json()["paths"]
    assert {"/api/v1/ask", "/api/v1/ask/batch", "/api/v1/staff/queue", "/v1/chat/completions", "/healthz"} <= set(paths)
    assert not [p for p in paths if p.startswith(("/feeds", "/staff", "/gradio_api"))]
    page = api.client.get("/api/docs").text
    assert "/api/docs-static/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    assert api.client.get("/api/docs-static/swagger-ui-bundle.js").status_code == 200
    assert api.client.get("/").status_code == 200  # the worker page is still at /


def test_rate_limit_per_client_across_the_ask_endpoints(tmp_path):
    client = TestClient(make_server(tmp_path, FakeBot(), api_rate_limit="2/minute"), base_url=LOOPBACK)
    assert client.post("/api/v1/ask", json={"question": "工伤"}).status_code == 200
    assert client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "工伤"}]}).status_code == 200
    limited = client.post("/api/v1/ask", json={"question": "工伤"})
    assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited" and limited.headers["retry-after"]
    assert client.get("/api/v1/documents").status_code == 200  # only asking is limited


# -- the real bot (integration) --------------------------------------------------------------------


@pytest.mark.integration
def test_curl_like_ask_returns_a_cited_answer(web):
    import httpx

    response = httpx.post(f"{web.url}/api/v1/ask", content='{"question":"送外卖路上被车撞了，算工伤吗？"}'.encode(), timeout=120,
                          headers={"Content-Type": "application/x-www-form-urlencoded"})  # what `curl -d` sends
    assert response.status_code == 200
    data = response.json()
    assert data["outcome"] in ("answered", "partial") and data["citations"]
    assert data["citations"][0]["doc_id"] == "gongshang-baoxian-tiaoli"
    assert "[1]" in data["answer"]


@pytest.mark.integration
def test_real_batch_and_stream(web):
    import httpx

    body = '{"id": 1, "question": "干了三个月老板还不签合同"}\n\n{"id": 3, "question": "送外卖路上被车撞了，算工伤吗？", "province": "浙江"}\n'
    out = [json.loads(line) for line in httpx.post(f"{web.url}/api/v1/ask/batch", content=body.encode(), timeout=240).text.splitlines()]
    assert [o["id"] for o in out] == [1, None, 3] and "answer" in out[0] and "error" in out[1] and out[2]["answer"]["citations"]
    with httpx.stream("POST", f"{web.url}/api/v1/ask", json={"question": "送外卖路上被车撞了，算工伤吗？", "stream": True}, timeout=120) as r:
        events = _events(r.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "conclusion" and names[-1] == "done" and "citation" in names
