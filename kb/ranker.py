"""The learned ranker: one small model over (question, article) pairs that combines every lane.

Candidates are the union of each lane's best articles (:mod:`kb.lanes`). Each candidate gets the
features below — each lane's score, its gap to the lane's best and its reciprocal rank, the
concept votes, and what kind of text the article is — and the model scores it. The model and its
two calibrations are one JSON file (``kb/ranker_model.json``) written by ``python -m
evals.train_ranker`` from the dev splits of every gold set, with its training report beside the
eval reports; scoring is a matrix product (well under a millisecond).

Two probabilities come with every ranking, both fitted on out-of-fold predictions on dev:

- ``confidence``: that the first article is one a right answer cites (Platt scaling of its score);
- ``in_scope``: that the question is one the knowledge base should answer at all (a logistic
  model over the question's best lane scores, trained on the dev questions labelled ``refuse``).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kb.lanes import ArticleLanes, Lane, LaneScores

MODEL_FILE = Path(__file__).with_name("ranker_model.json")

CANDIDATE_DEPTH = 30
"""Each lane's best this many articles are candidates."""

CANDIDATE_LANES = (Lane.DENSE_ARTICLE, Lane.DENSE_QUESTION, Lane.BM25_ARTICLE, Lane.BM25_EXPANDED, Lane.BM25_QUESTION, Lane.CONCEPT)

DOC_KINDS = ("法律", "行政法规", "司法解释", "部门规章", "典型案例")

FEATURES = (
    "dense_article", "dense_article_gap", "dense_article_rr",
    "dense_question", "dense_question_gap", "dense_question_rr", "has_questions",
    "bm25_article", "bm25_article_rr",
    "bm25_expanded", "bm25_expanded_rr",
    "bm25_question", "bm25_question_rr",
    "concept_votes", "concept_rr",
    *(f"kind_{k}" for k in DOC_KINDS),
    "log_questions", "log_chars", "opening_article",
)

SCOPE_FEATURES = ("top_score", "top_gap", "top_dense_article", "top_dense_question", "top_bm25", "top_bm25_expanded", "concepts_hit", "top_note")


@dataclass(frozen=True)
class Candidates:
    """The articles considered for one question, with their features (one row each)."""

    articles: np.ndarray
    """Article indices into :attr:`ArticleLanes.keys`."""
    features: np.ndarray
    lanes: LaneScores


def candidates(lanes: LaneScores, index: ArticleLanes, *, depth: int = CANDIDATE_DEPTH) -> Candidates:
    """The candidates of one question (each lane's best ``depth``) and their features."""
    chosen: list[int] = []
    seen: set[int] = set()
    for lane in CANDIDATE_LANES:
        for a in lanes.order(lane, depth):
            if a not in seen:
                seen.add(a)
                chosen.append(a)
    articles = np.array(chosen, dtype=np.int64)
    if not len(articles):
        return Candidates(articles, np.zeros((0, len(FEATURES))), lanes)
    columns: list[np.ndarray] = []
    n = len(index)
    for lane in CANDIDATE_LANES:
        s = lanes.scores[lane]
        finite = np.isfinite(s)
        order = np.argsort(-s, kind="stable")
        rank = np.empty(n, dtype=np.float64)
        rank[order] = np.arange(1, n + 1)
        rr = np.where(finite, 1.0 / rank, 0.0)[articles]
        top = float(s[order[0]]) if finite.any() else 0.0
        value = np.where(finite, s, 0.0)[articles]
        if lane in (Lane.DENSE_ARTICLE, Lane.DENSE_QUESTION):
            columns += [value, np.where(finite[articles], top - value, 1.0), rr]
            if lane is Lane.DENSE_QUESTION:
                columns.append((index.questions_per_article[articles] > 0).astype(float))
        elif lane is Lane.CONCEPT:
            columns += [value, rr]
        else:
            columns += [value / top if top > 0 else value, rr]
    kinds = [index.meta[a]["kind"] for a in articles]
    for k in DOC_KINDS:
        columns.append(np.array([1.0 if kind == k else 0.0 for kind in kinds]))
    columns.append(np.log1p(index.questions_per_article[articles]))
    columns.append(np.log1p(index.chars[articles]))
    columns.append(np.array([1.0 if index.keys[a][1] in ("第一条", "前言") else 0.0 for a in articles]))
    return Candidates(articles, np.column_stack(columns), lanes)


def question_signals(lanes: LaneScores, *, concepts_hit: int, top_note: float) -> np.ndarray:
    """What the question's best matches look like in each lane, whatever the ranker makes of them,
    and how close the best 要点 of the new-employment-form policies is (``top_note``)."""

    def top(lane: Lane) -> float:
        finite = lanes.scores[lane][np.isfinite(lanes.scores[lane])]
        return float(finite.max()) if len(finite) else 0.0

    return np.array([top(Lane.DENSE_ARTICLE), top(Lane.DENSE_QUESTION), math.log1p(max(top(Lane.BM25_ARTICLE), 0.0)),
                     math.log1p(max(top(Lane.BM25_EXPANDED), 0.0)), float(concepts_hit), float(top_note)])


def scope_features(raw: np.ndarray, signals: np.ndarray) -> np.ndarray:
    """The in-scope model's features: the ranker's best score, its lead over the second, and the
    question's signals (:func:`question_signals`)."""
    ordered = np.sort(raw)[::-1]
    top = float(ordered[0]) if len(ordered) else -10.0
    gap = float(ordered[0] - ordered[1]) if len(ordered) > 1 else 0.0
    return np.concatenate([[top, gap], signals])


@dataclass(frozen=True)
class Linear:
    """A standardised linear model: ``((x - mean) / scale) · weights + bias``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def to_json(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "weights": self.weights.tolist(), "bias": self.bias}

    @classmethod
    def from_json(cls, data: dict) -> "Linear":
        return cls(np.array(data["mean"]), np.array(data["scale"]), np.array(data["weights"]), float(data["bias"]))


class Trees:
    """Gradient-boosted trees (LightGBM, LambdaRank), kept as LightGBM's own text model."""

    def __init__(self, model_text: str):
        import lightgbm

        self.model_text = model_text
        self._booster = lightgbm.Booster(model_str=model_text)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self._booster.predict(np.atleast_2d(x), num_threads=1)

    def to_json(self) -> dict:
        return {"lightgbm": self.model_text}


def scorer_from_json(data: dict) -> "Linear | Trees":
    return Trees(data["lightgbm"]) if "lightgbm" in data else Linear.from_json(data)


@dataclass(frozen=True)
class Platt:
    """P = sigmoid(a · x + b)."""

    a: float
    b: float

    def __call__(self, x: float) -> float:
        return 1.0 / (1.0 + math.exp(-(self.a * x + self.b)))


@dataclass(frozen=True)
class RankerModel:
    features: tuple[str, ...]
    ranker: "Linear | Trees"
    confidence: Platt
    """P(the first article is right), from the first candidate's score."""
    scope: Linear
    """Log-odds that the question is in scope (a logistic model over :data:`SCOPE_FEATURES`)."""
    answer_above: float
    """Answer when P(in scope) is at least this (chosen on dev: best refusal accuracy with false refusals ≤ 3%)."""
    sure_above: float
    """Say the answer plainly (not 「可能」) when the confidence is at least this (chosen on dev)."""
    trained: dict
    """What it was trained on (sets, items, date), for the report and the staff page."""

    def score(self, c: Candidates) -> np.ndarray:
        if not len(c.articles):
            return np.zeros(0)
        return self.ranker(c.features)

    def in_scope(self, x: np.ndarray) -> float:
        return 1.0 / (1.0 + math.exp(-float(self.scope(x))))

    def save(self, path: Path = MODEL_FILE) -> None:
        data = {
            "features": list(self.features),
            "scope_features": list(SCOPE_FEATURES),
            "ranker": self.ranker.to_json(),
            "confidence": {"a": self.confidence.a, "b": self.confidence.b},
            "scope": self.scope.to_json(),
            "answer_above": self.answer_above,
            "sure_above": self.sure_above,
            "trained": self.trained,
        }
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "RankerModel":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES or tuple(data["scope_features"]) != SCOPE_FEATURES:
            raise RankerModelError(f"排序模型 {path} 的特征与代码不一致，请运行 `python -m evals.train_ranker` 重新训练 / features differ from the code: retrain")
        return cls(
            features=tuple(data["features"]),
            ranker=scorer_from_json(data["ranker"]),
            confidence=Platt(**data["confidence"]),
            scope=Linear.from_json(data["scope"]),
            answer_above=float(data["answer_above"]),
            sure_above=float(data["sure_above"]),
            trained=data.get("trained", {}),
        )


class RankerModelError(RuntimeError):
    """The model file does not fit the code (features changed): retrain it."""
