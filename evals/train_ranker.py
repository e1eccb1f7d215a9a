"""``python -m evals.train_ranker``: fit the learned ranker on the dev halves of every gold set.

1. Every gold item (dev and test) is run through the lanes once; each candidate article gets its
   features and a label (a right article or not). Cached under the data folder.
2. On dev only, models are compared by 5-fold cross-validation grouped by question (so no
   question is scored by a model that saw it): a logistic regression over the features, LightGBM's
   LambdaRank when it is installed, the hand-set reciprocal-rank fusion used before, and every
   single lane. Figures per gold set.
3. The logistic regression is fitted on all of dev; its out-of-fold scores give the two
   calibrations (confidence of the first article; in scope or not) and the two thresholds.
4. ``kb/ranker_model.json`` is written, and ``evals/reports/ranker.md`` with the figures — test
   figures of the final model too, scored once, never used to choose anything.
"""
from __future__ import annotations

import argparse
import hashlib
import pickle
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone

import numpy as np

from evals.gold_sets import available_sets
from evals.metrics import GoldItem, article_matches
from kb.lanes import Lane
from kb.ranker import (
    FEATURES,
    MODEL_FILE,
    SCOPE_FEATURES,
    Linear,
    Platt,
    Trees,
    RankerModel,
    candidates,
    question_signals,
    scope_features,
)
from common.settings import REPO_ROOT, Settings, load_settings

REPORT_FILE = REPO_ROOT / "evals" / "reports" / "ranker.md"
MAX_FALSE_REFUSALS = 0.03


@dataclass
class Row:
    """One gold item's candidates: features, labels and what each lane ranked."""

    item: GoldItem
    set_name: str
    keys: list[tuple[str, str]]
    features: np.ndarray
    labels: np.ndarray
    lanes: dict[str, list[tuple[str, str]]]
    """Each single lane's top 10 articles (for the lane figures)."""
    concepts_hit: int
    signals: np.ndarray
    """The question's best match per lane (:func:`kb.ranker.question_signals`)."""


def extract(settings: Settings) -> list[Row]:
    from kb.retriever import HybridRetriever

    retriever = HybridRetriever(settings)
    rows = []
    for gold in available_sets():
        for item in gold.items():
            as_of = item.as_of or date.today()
            scores, concepts = retriever.lane_scores(item.question, region=item.province, as_of=as_of)
            c = candidates(scores, retriever.lanes)
            keys = [retriever.lanes.keys[a] for a in c.articles]
            labels = np.array([any(article_matches(k, g) for g in item.citations) for k in keys], dtype=float)
            lanes = {lane.value: [retriever.lanes.keys[a] for a in scores.order(lane, 10)] for lane in Lane}
            rows.append(Row(item, gold.name, keys, c.features, labels, lanes, len(concepts.concepts), _signals(retriever, item, scores, concepts)))
    for name, items in scope_only_items():
        for item in items:
            scores, concepts = retriever.lane_scores(item.question, region=item.province, as_of=item.as_of or date.today())
            c = candidates(scores, retriever.lanes)
            keys = [retriever.lanes.keys[a] for a in c.articles]
            rows.append(Row(item, name, keys, c.features, np.zeros(len(keys)), {}, len(concepts.concepts), _signals(retriever, item, scores, concepts)))
    return rows


def _signals(retriever, item: GoldItem, scores, concepts) -> np.ndarray:
    notes = retriever.search_notes(item.question, k=1, region=item.province, as_of=item.as_of or date.today())
    return question_signals(scores, concepts_hit=len(concepts.concepts), top_note=notes[0].dense if notes else 0.0)


def scope_only_items() -> list[tuple[str, list[GoldItem]]]:
    """Gold items that say whether to answer but name no articles (the policy set: its answers are
    要点; the actionability set: problems to answer): they train the in-scope model only."""
    from evals.actionability import ACTIONS_FILE, load_actions
    from evals.run import POLICY_FILE
    from evals.metrics import load_gold

    out = []
    if POLICY_FILE.is_file():
        out.append(("policy (scope only)", load_gold(POLICY_FILE)))
    if ACTIONS_FILE.is_file():
        out.append(("actions (scope only)", [GoldItem(id=a.id, question=a.question, expect="answer", citations=(), split=a.split,
                                                      province=a.province) for a in load_actions()]))
    return out


def cached_rows(settings: Settings, *, refresh: bool) -> list[Row]:
    key = hashlib.sha256()
    for gold in available_sets():
        key.update(gold.path.read_bytes())
    manifest = settings.paths.index_dir / "manifest.json"
    key.update(manifest.read_bytes() if manifest.is_file() else b"")
    key.update("|".join(FEATURES + SCOPE_FEATURES).encode())
    path = settings.paths.data_dir / "cache" / f"ranker-rows-{key.hexdigest()[:16]}.pkl"
    if path.is_file() and not refresh:
        return pickle.loads(path.read_bytes())
    rows = extract(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(rows))
    return rows


# -- models -------------------------------------------------------------------------------------


def fit_linear(rows: list[Row], *, c: float = 1.0) -> Linear:
    from sklearn.linear_model import LogisticRegression

    x = np.vstack([r.features for r in rows if len(r.keys)])
    y = np.concatenate([r.labels for r in rows if len(r.keys)])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit((x - mean) / scale, y)
    return Linear(mean, scale, model.coef_[0], float(model.intercept_[0]))


def fit_lambdarank(rows: list[Row], *, trees: int = 200, leaves: int = 15, min_child: int = 20) -> Trees:
    import lightgbm

    rows = [r for r in rows if len(r.keys)]
    model = lightgbm.LGBMRanker(objective="lambdarank", n_estimators=trees, learning_rate=0.05, num_leaves=leaves, min_child_samples=min_child,
                                verbose=-1, n_jobs=2, deterministic=True, force_row_wise=True, random_state=0)
    model.fit(np.vstack([r.features for r in rows]), np.concatenate([r.labels for r in rows]), group=[len(r.keys) for r in rows])
    return Trees(model.booster_.model_to_string())


def rrf_scores(row: Row) -> np.ndarray:
    """The hand-set fusion used before the ranker: dense (article or its worker questions, the better)
    weight 1.0 and BM25 (with concept terms) weight 0.5, reciprocal rank with k = 20."""
    f = {name: row.features[:, i] for i, name in enumerate(FEATURES)}
    dense = np.maximum(f["dense_article"], np.where(f["has_questions"] > 0, f["dense_question"], -1))
    order = np.argsort(-dense, kind="stable")
    rank = np.empty(len(dense))
    rank[order] = np.arange(1, len(dense) + 1)
    bm25_rank = np.where(f["bm25_expanded_rr"] > 0, 1.0 / np.maximum(f["bm25_expanded_rr"], 1e-9), np.inf)
    return 1.0 / (20 + rank) + 0.5 / (20 + bm25_rank)


def ranked_keys(row: Row, scores: np.ndarray) -> list[tuple[str, str]]:
    return [row.keys[i] for i in np.argsort(-scores, kind="stable")]


def folds(rows: list[Row], k: int = 5) -> list[int]:
    """A fold per item, from its id's hash (stable, independent of order)."""
    return [int(hashlib.sha1(f"fold:{r.item.id}".encode()).hexdigest(), 16) % k for r in rows]


def out_of_fold(rows: list[Row], fit, k: int = 5) -> list[np.ndarray]:
    fold_of = folds(rows, k)
    out: list[np.ndarray] = [np.zeros(0)] * len(rows)
    for f in range(k):
        train = [r for r, g in zip(rows, fold_of) if g != f and r.item.expect == "answer"]
        model = fit(train)
        for i, (r, g) in enumerate(zip(rows, fold_of)):
            if g == f:
                out[i] = model(r.features) if len(r.keys) else np.zeros(0)
    return out


# -- figures ------------------------------------------------------------------------------------


def retrieval_figures(ranked: list[list[tuple[str, str]]], items: list[GoldItem]) -> dict:
    hit1 = hit5 = rr = 0.0
    n = 0
    for keys, item in zip(ranked, items):
        if item.expect != "answer":
            continue
        n += 1
        rank = next((i for i, k in enumerate(keys, start=1) if any(article_matches(k, g) for g in item.citations)), None)
        hit1 += rank == 1
        hit5 += bool(rank and rank <= 5)
        rr += 1.0 / rank if rank else 0.0
    return {"n": n, "hit1": hit1 / n if n else 0.0, "hit5": hit5 / n if n else 0.0, "mrr": rr / n if n else 0.0}


def by_set(rows: list[Row], ranked: list[list[tuple[str, str]]]) -> dict[str, dict]:
    names = list(dict.fromkeys(r.set_name for r in rows))
    out = {}
    for name in names + ["all"]:
        pick = [i for i, r in enumerate(rows) if name == "all" or r.set_name == name]
        out[name] = retrieval_figures([ranked[i] for i in pick], [rows[i].item for i in pick])
    return out


def choose_thresholds(p_scope: np.ndarray, should_answer: np.ndarray, confidence: np.ndarray, right_first: np.ndarray) -> tuple[float, float]:
    """Answer above: the cut with the best refusal accuracy among those with at most 3% false
    refusals. Sure above: the lowest confidence above which the first article is right in ≥ 85%
    of answered dev questions (so plain wording is right most of the time)."""
    best = (-1.0, 0.0)
    for cut in np.unique(np.concatenate([[0.0], p_scope])):
        refused = p_scope < cut
        false_refusals = refused[should_answer].mean() if should_answer.any() else 0.0
        if false_refusals > MAX_FALSE_REFUSALS:
            continue
        accuracy = (refused != should_answer).mean()
        if accuracy > best[0] or (accuracy == best[0] and cut < best[1]):
            best = (accuracy, float(cut))
    sure = 1.0
    for cut in sorted(np.unique(confidence)):
        above = confidence >= cut
        if above.sum() >= 10 and right_first[above].mean() >= 0.85:
            sure = float(cut)
            break
    return best[1], sure


def train(settings: Settings, *, refresh: bool = False, write: bool = True) -> str:
    started = time.perf_counter()
    all_rows = cached_rows(settings, refresh=refresh)
    rows = [r for r in all_rows if not r.set_name.endswith("(scope only)")]
    scope_rows = [r for r in all_rows if r.set_name.endswith("(scope only)") and r.item.split == "dev"]
    dev = [r for r in rows if r.item.split == "dev"]
    test = [r for r in rows if r.item.split == "test"]
    dev_answer = [r for r in dev if r.item.expect == "answer"]

    compare: dict[str, dict] = {}
    for lane in (Lane.DENSE_ARTICLE, Lane.DENSE_QUESTION, Lane.BM25_ARTICLE, Lane.BM25_EXPANDED, Lane.BM25_QUESTION):
        compare[f"lane: {lane.value}"] = by_set(dev, [r.lanes[lane.value] for r in dev])
    compare["hand-set RRF (before)"] = by_set(dev, [ranked_keys(r, rrf_scores(r)) for r in dev])
    fitters = {f"logistic regression C={c}": (lambda rs, c=c: fit_linear(rs, c=c)) for c in (0.1, 1.0)}
    try:
        import lightgbm

        del lightgbm  # only whether it is installed matters here
        for trees, leaves, min_child in ((200, 15, 20), (100, 7, 40), (400, 15, 20)):
            fitters[f"LightGBM LambdaRank {trees} trees × {leaves} leaves, ≥{min_child} per leaf"] = (
                lambda rs, t=trees, l=leaves, m=min_child: fit_lambdarank(rs, trees=t, leaves=l, min_child=m))
    except ImportError:
        pass
    oofs = {}
    for name, fit in fitters.items():
        oofs[name] = out_of_fold(dev, fit)
        compare[f"{name} (5-fold)"] = by_set(dev, [ranked_keys(r, s) if len(s) else [] for r, s in zip(dev, oofs[name])])

    def macro_mrr(name: str) -> float:
        figs = compare[f"{name} (5-fold)"]
        return float(np.mean([f["mrr"] for k, f in figs.items() if k != "all"]))

    chosen = max(fitters, key=macro_mrr)
    oof = oofs[chosen]
    scorer = fitters[chosen](dev_answer)

    # calibration of the first article's score (answerable dev questions, out of fold)
    from sklearn.linear_model import LogisticRegression

    tops, right = [], []
    for r, s in zip(dev, oof):
        if r.item.expect == "answer" and len(s):
            i = int(np.argmax(s))
            tops.append(s[i])
            right.append(r.labels[i] > 0)
    platt_fit = LogisticRegression(C=100.0).fit(np.array(tops)[:, None], np.array(right))
    platt = Platt(float(platt_fit.coef_[0][0]), float(platt_fit.intercept_[0]))

    # in scope or not (all dev questions, out of fold for the threshold)
    scope_dev = dev + scope_rows
    oof = oof + [scorer(r.features) if len(r.keys) else np.zeros(0) for r in scope_rows]
    sx = np.vstack([scope_features(s, r.signals) for r, s in zip(scope_dev, oof)])
    sy = np.array([r.item.expect == "answer" for r in scope_dev])
    fold_of = folds(scope_dev)
    p_oof = np.zeros(len(scope_dev))
    for f in range(5):
        train_idx = [i for i, g in enumerate(fold_of) if g != f]
        fold_model = _fit_scope(sx[train_idx], sy[train_idx])
        for i, g in enumerate(fold_of):
            if g == f:
                p_oof[i] = 1.0 / (1.0 + np.exp(-fold_model(sx[i])))
    scope = _fit_scope(sx, sy)
    conf = np.array([platt(float(np.max(s))) if len(s) else 0.0 for s in oof])
    right_first = np.array([bool(len(s) and r.labels[int(np.argmax(s))] > 0) for r, s in zip(scope_dev, oof)])
    answer_above, _ = choose_thresholds(p_oof, sy, conf, right_first)
    ranked_answerable = np.array([r.item.expect == "answer" and not r.set_name.endswith("(scope only)") for r in scope_dev])
    _, sure_above = choose_thresholds(p_oof[ranked_answerable], sy[ranked_answerable], conf[ranked_answerable], right_first[ranked_answerable])

    refused = p_oof < answer_above
    scope_figures = {
        "dev refusal accuracy (out of fold)": float((refused != sy).mean()),
        "dev false refusals (out of fold)": float(refused[sy].mean()),
        "dev refusals caught (out of fold)": float(refused[~sy].mean()) if (~sy).any() else None,
    }

    trained = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "sets": sorted({r.set_name for r in dev}),
        "dev_items": len(scope_dev),
        "dev_answerable": len(dev_answer),
        "candidate_pairs": int(sum(len(r.keys) for r in dev_answer)),
        "model": chosen,
    }
    model = RankerModel(FEATURES, scorer, platt, scope, answer_above, sure_above, trained)
    final_test = by_set(test, [ranked_keys(r, scorer(r.features)) if len(r.keys) else [] for r in test])
    test_lanes = {lane: by_set(test, [r.lanes[lane] for r in test]) for lane in ("dense_article", "dense_question", "bm25_article")}
    test_rrf = by_set(test, [ranked_keys(r, rrf_scores(r)) if len(r.keys) else [] for r in test])
    report = render_report(compare, final_test, test_lanes, test_rrf, scorer, platt, scope_figures, model, time.perf_counter() - started)
    if write:
        model.save(MODEL_FILE)
        REPORT_FILE.write_text(report, encoding="utf-8")
    return report


def _fit_scope(x: np.ndarray, y: np.ndarray) -> Linear:
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    m = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit((x - mean) / scale, y)
    return Linear(mean, scale, m.coef_[0], float(m.intercept_[0]))


def render_report(compare, final_test, test_lanes, test_rrf, scorer, platt, scope_figures, model, seconds) -> str:
    sets = list(next(iter(compare.values())))
    lines = [
        "# The learned ranker: training report",
        "",
        f"Written by `python -m evals.train_ranker` on {model.trained['when']} ({seconds:.0f} s). Trained on the dev halves of: "
        + ", ".join(model.trained["sets"]) + f" — {model.trained['dev_answerable']} answerable questions, "
        f"{model.trained['candidate_pairs']} (question, article) pairs; {model.trained['dev_items']} dev questions for the in-scope model.",
        "",
        "## Dev, 5-fold cross-validation grouped by question (article hit@5 / hit@1 / MRR)",
        "",
        "| ranking | " + " | ".join(f"{s} (n={compare[next(iter(compare))][s]['n']})" for s in sets) + " |",
        "|---|" + "---|" * len(sets),
    ]
    for name, figs in compare.items():
        lines.append(f"| {name} | " + " | ".join(f"{figs[s]['hit5']:.2f} / {figs[s]['hit1']:.2f} / {figs[s]['mrr']:.2f}" for s in sets) + " |")
    tsets = list(final_test)
    lines += [
        "",
        "## Test (scored once with the final model; nothing was chosen on it)",
        "",
        "| ranking | " + " | ".join(f"{s} (n={final_test[s]['n']})" for s in tsets) + " |",
        "|---|" + "---|" * len(tsets),
    ]
    for name, figs in [*((f"lane: {k}", v) for k, v in test_lanes.items()), ("hand-set RRF (before)", test_rrf), ("learned ranker", final_test)]:
        lines.append(f"| {name} | " + " | ".join(f"{figs[s]['hit5']:.2f} / {figs[s]['hit1']:.2f} / {figs[s]['mrr']:.2f}" for s in tsets) + " |")
    lines += [
        "",
        "## The model",
        "",
        f"Chosen: **{model.trained['model']}** (the best mean MRR over the gold sets in cross-validation).",
        "",
        *_model_lines(scorer),
        "",
        f"Confidence of the first article: P = sigmoid({platt.a:.3f} × score {platt.b:+.3f}); plain wording at P ≥ {model.sure_above:.2f}.",
        f"In scope: answer when P(in scope) ≥ {model.answer_above:.3f} (best dev refusal accuracy with false refusals ≤ {MAX_FALSE_REFUSALS:.0%}).",
        "",
        *(f"- {k}: {v:.3f}" for k, v in scope_figures.items() if v is not None),
        "",
    ]
    return "\n".join(lines)


def _model_lines(scorer) -> list[str]:
    if isinstance(scorer, Linear):
        return ["Logistic regression (class-balanced, standardised features); weights by feature:", "", "| feature | weight |", "|---|---|",
                *(f"| {n} | {w:+.3f} |" for n, w in sorted(zip(FEATURES, scorer.weights), key=lambda nw: -abs(nw[1])))]
    gains = scorer._booster.feature_importance(importance_type="gain")
    total = float(gains.sum()) or 1.0
    return ["Share of the split gain by feature:", "", "| feature | gain |", "|---|---|",
            *(f"| {n} | {g / total:.3f} |" for n, g in sorted(zip(FEATURES, gains), key=lambda ng: -ng[1]) if g > 0)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m evals.train_ranker", description=__doc__.splitlines()[0])
    parser.add_argument("--refresh", action="store_true", help="recompute the features even when cached")
    parser.add_argument("--dry-run", action="store_true", help="print the report, write nothing")
    args = parser.parse_args(argv)
    print(train(load_settings(), refresh=args.refresh, write=not args.dry_run))


if __name__ == "__main__":
    from evals.train_ranker import main as run  # the cached rows pickle as evals.train_ranker.Row, not __main__.Row

    run()
