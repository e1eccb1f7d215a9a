"""Scoring: hand-made results with known figures."""
from evals.metrics import GoldItem, ItemResult, article_matches, percentile, score

A = GoldItem("a", "送外卖路上被车撞了", "answer", (("gongshang", "第十四条"),), "dev")
B = GoldItem("b", "老板不签合同", "answer", (("hetong", "第八十二条"), ("hetong", "第十条")), "dev")
R = GoldItem("r", "今天天气怎么样", "refuse", (), "dev")


def test_article_matching_rules():
    assert article_matches(("d", "第十四条"), ("d", "第十四条"))
    assert article_matches(("d", "第十四条（2）"), ("d", "第十四条"))
    assert article_matches(("d", "一、制度工作时间的计算"), ("d", "全文"))
    assert not article_matches(("d", "第十四条"), ("d", "第十四条之一"))
    assert not article_matches(("e", "第十四条"), ("d", "第十四条"))


def test_score_on_known_results():
    results = [
        ItemResult(A, [("x", "第一条"), ("gongshang", "第十四条")], "answered", [("gongshang", "第十四条"), ("x", "第一条")], 10),
        ItemResult(B, [("hetong", "第十条")], "refused", [], 30),
        ItemResult(R, [("x", "第二条")], "refused", [], 20),
    ]
    s = score(results)
    assert s["doc_recall_at_1"] == 0.5
    assert s["doc_recall_at_5"] == 1.0
    assert s["article_hit_at_5"] == 1.0
    assert s["article_recall_at_5"] == (1 + 0.5) / 2
    assert s["mrr"] == (0.5 + 1.0) / 2
    assert s["citation_precision"] == 0.5  # B was refused: its (empty) citations do not count
    assert s["false_refusal_rate"] == 0.5
    assert s["refusal_recall"] == 1.0
    assert abs(s["refusal_accuracy"] - 2 / 3) < 1e-9
    assert s["latency_p50_ms"] == 20 and s["latency_p95_ms"] == 30


def test_percentile_nearest_rank():
    assert percentile([], 95) == 0.0
    assert percentile(list(range(1, 101)), 95) == 95


def test_score_policy_counts_right_forbidden_and_expired_citations():
    from evals.metrics import score_policy

    zj = GoldItem("p1", "杭州骑手摔伤", "answer", (("zhiye-banfa", "全文"),), "dev", province="浙江", forbidden_docs=("guangdong-rules",))
    hn = GoldItem("p2", "长沙骑手摔伤", "answer", (("zhiye-banfa", "全文"),), "dev", province="湖南", forbidden_docs=("zhejiang-rules",))
    results = [
        ItemResult(zj, [("zhiye-banfa", "要点1")], "answered", [("gongshang", "第十四条"), ("zhiye-banfa", "要点1")]),
        ItemResult(hn, [("zhejiang-rules", "要点2")], "answered", [("zhejiang-rules", "要点2")], expired=[("old", "第一条")]),
    ]
    s = score_policy(results)
    assert s["cites_right_doc"] == 0.5 and s["right_doc_in_top5"] == 0.5
    assert s["cites_forbidden"] == 0.5 and s["expired_citations"] == 1 and s["refusal_accuracy"] == 1.0
