"""The typed results: one label for every reason and outcome, and JSON as before."""
import json

from bot.results import OUTCOME_LABELS, REASON_LABELS, Actions, Outcome, Reason, Step, Triage
from tests.fakes import canned_answer


def test_every_reason_and_outcome_has_its_label():
    assert set(REASON_LABELS) == set(Reason) and all(REASON_LABELS[r] for r in Reason if r is not Reason.NONE)
    assert set(OUTCOME_LABELS) == set(Outcome)


def test_the_json_keeps_its_shape():
    answer = canned_answer(outcome=Outcome.PARTIAL, reason=Reason.NEEDS_FACT, triage=Triage(ask="你签了劳动合同吗？", choices=["签了", "没签"]),
                           actions=Actions(evidence=["病历"], steps=[Step(what="申请工伤认定", who="社会保险行政部门", deadline="1年内", cite=1)]))
    data = json.loads(json.dumps(answer.to_json(), ensure_ascii=False))
    assert data["outcome"] == "partial" and data["reason"] == "needs_fact"
    assert data["triage"] == {"ask": "你签了劳动合同吗？", "choices": ["签了", "没签"]}
    assert data["actions"]["steps"][0] == {"what": "申请工伤认定", "who": "社会保险行政部门", "deadline": "1年内", "cite": 1}
