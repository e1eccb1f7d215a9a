"""Choose retrieval weights and refusal thresholds on the dev split only; report the ablation.

``python -m evals.tune`` searches a small grid of fusion weights on dev (article hit@5, then MRR),
then the refusal rule on dev (best refusal accuracy with false refusals ≤ 5%), and prints the
values to put in ``laoquan/settings.py``. ``--ablation`` scores named configurations (each layer
switched off in turn) on dev *and* test and writes ``evals/reports/ablation.md``: the test column
is reported, never used to choose.
"""
from __future__ import annotations

import argparse
import itertools

from evals.metrics import GoldItem, ItemResult, load_gold, score
from evals.run import GOLD_FILE, REPORTS_DIR
from laoquan.settings import Settings, load_settings


class CachedEmbedder:
    """Wraps the embedder so a grid over fusion weights embeds each question once."""

    def __init__(self, embedder):
        self.inner = embedder
        self.cache: dict[str, object] = {}

    def embed_query(self, text: str):
        if text not in self.cache:
            self.cache[text] = self.inner.embed_query(text)
        return self.cache[text]

    def __getattr__(self, name):
        return getattr(self.inner, name)


def retrieval_results(retriever, items: list[GoldItem]) -> tuple[list[ItemResult], list]:
    results, retrievals = [], []
    for item in items:
        r = retriever.search(item.question, k=5)
        results.append(ItemResult(item, [(h.doc_id, h.article) for h in r.hits]))
        retrievals.append(r)
    return results, retrievals


def choose_refusal(items: list[GoldItem], retrievals: list, *, max_false: float = 0.05) -> tuple[dict, dict]:
    """The two thresholds of :func:`bot.answer.refuses` with the best dev refusal accuracy whose
    false-refusal rate stays within ``max_false``."""
    from bot.answer import refuses

    answerable = [i for i, it in enumerate(items) if it.expect == "answer"]
    best = None
    grid = [x / 1000 for x in range(850, 981, 5)]
    for low, high in itertools.product(grid, grid):
        if high < low:
            continue
        rule = {"refuse_below": low, "no_concept_below": high}
        refused = [refuses(r, **rule) for r in retrievals]
        false = sum(refused[i] for i in answerable) / len(answerable)
        if false > max_false:
            continue
        accuracy = sum(ref == (it.expect == "refuse") for ref, it in zip(refused, items)) / len(items)
        key = (accuracy, -false, -high, -low)
        if best is None or key > best[0]:
            best = (key, rule, {"refusal_accuracy": accuracy, "false_refusal_rate": false})
    return best[1], best[2]


def tune(settings: Settings) -> None:
    from laoquan.app import load_bot

    items = [i for i in load_gold(GOLD_FILE) if i.split == "dev"]
    bot = load_bot(settings)
    embedder = CachedEmbedder(bot.retriever.embedder)
    answerable = [i for i in items if i.expect == "answer"]
    rows = []
    from kb.retriever import HybridRetriever

    grid = itertools.product([0.5, 1.0], [0.0, 0.25], [False, True], [20, 60], [False, True])
    for bm25_w, concept_w, expansion, rrf_k, paragraphs in grid:
        candidate = settings.replace(
            bm25_weight=bm25_w, concept_weight=concept_w, concept_expansion=expansion, rrf_k=rrf_k, paragraph_vectors=paragraphs
        )
        retriever = HybridRetriever(candidate, embedder=embedder)
        results, _ = retrieval_results(retriever, answerable)
        s = score(results)
        rows.append((s["article_hit_at_5"] + s["mrr"], s["article_hit_at_5"], s["mrr"], bm25_w, concept_w, expansion, rrf_k, paragraphs))
        print(
            f"bm25 {bm25_w} concept list {concept_w} expansion {expansion} rrf_k {rrf_k} 款 vectors {paragraphs}: "
            f"article hit@5 {s['article_hit_at_5']:.3f} MRR {s['mrr']:.3f}"
        )
    rows.sort(reverse=True)  # hit@5 and MRR count equally: the top 3 are what the answer cites
    _, hit, mrr, bm25_w, concept_w, expansion, rrf_k, paragraphs = rows[0]
    print(
        f"\nchosen on dev: bm25_weight={bm25_w} concept_weight={concept_w} concept_expansion={expansion} rrf_k={rrf_k} "
        f"paragraph_vectors={paragraphs} (hit@5 {hit:.3f}, MRR {mrr:.3f})"
    )
    chosen = settings.replace(bm25_weight=bm25_w, concept_weight=concept_w, concept_expansion=expansion, rrf_k=rrf_k, paragraph_vectors=paragraphs)
    _, retrievals = retrieval_results(HybridRetriever(chosen, embedder=embedder), items)
    rule, figures = choose_refusal(items, retrievals)
    print(f"refusal rule on dev: {rule} -> {figures}")


def guide_threshold(settings: Settings, *, min_doc: float = 0.9, min_article: float = 0.7) -> float | None:
    """The lowest similarity at which following the closest 办事指南 is right often enough on dev.

    The guide must also agree with the retriever (:func:`bot.answer.guide_agrees`). It is right
    for a question when one of the articles it can cite is among the question's gold articles
    (article-right) or cites a gold document (doc-right); for a question the bot must refuse, any
    guide is wrong. Prints the table and returns the chosen threshold."""
    from bot.answer import guide_agrees
    from laoquan.app import load_bot

    items = [i for i in load_gold(GOLD_FILE) if i.split == "dev"]
    bot = load_bot(settings)
    rows = []
    for item in items:
        r = bot.retriever.search(item.question, k=5)
        if not r.guides or not guide_agrees(r, min_similarity=0.0):
            continue
        cites = {(c.doc_id, c.article) for c in r.guides[0].guide.cites()}
        article_ok = item.expect == "answer" and any(c in item.citations for c in cites)
        doc_ok = item.expect == "answer" and bool({d for d, _ in cites} & {d for d, _ in item.citations})
        rows.append((r.guides[0].similarity, article_ok, doc_ok, item.expect))
    print("threshold | fires on | article-right | doc-right | fires on refuse items")
    chosen = None
    for t in [x / 1000 for x in range(880, 971, 5)]:
        fired = [r for r in rows if r[0] >= t]
        if not fired:
            continue
        art = sum(r[1] for r in fired) / len(fired)
        doc = sum(r[2] for r in fired) / len(fired)
        refuse = sum(r[3] == "refuse" for r in fired)
        print(f"{t:.3f} | {len(fired)}/{len(items)} | {art:.2f} | {doc:.2f} | {refuse}")
        if chosen is None and art >= min_article and doc >= min_doc and not refuse:
            chosen = t
    print(f"chosen on dev: guide_min_similarity={chosen}")
    return chosen


ABLATION = [
    ("all layers", {}),
    ("− worker questions (§2)", {"question_vectors": False}),
    ("− concept lexicon (§1)", {"concept_weight": 0.0, "concept_expansion": False}),
    ("− BM25", {"bm25_weight": 0.0}),
    ("dense articles only", {"question_vectors": False, "paragraph_vectors": False, "concept_weight": 0.0, "concept_expansion": False, "bm25_weight": 0.0}),
]


def ablation(settings: Settings) -> str:
    from kb.retriever import HybridRetriever
    from laoquan.app import load_bot

    items = load_gold(GOLD_FILE)
    bot = load_bot(settings)
    embedder = CachedEmbedder(bot.retriever.embedder)
    lines = [
        "# Ablation: what each layer adds (retrieval only, answerable items)",
        "",
        "Each row switches layers off from the chosen configuration. Dev chose the configuration; test is only reported.",
        "",
        "| configuration | article hit@5 (dev) | MRR (dev) | doc hit@5 (dev) | article hit@5 (test) | MRR (test) | doc hit@5 (test) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, changes in ABLATION:
        retriever = HybridRetriever(settings.replace(**changes), embedder=embedder)
        cells = []
        for split in ("dev", "test"):
            answerable = [i for i in items if i.expect == "answer" and i.split == split]
            s = score(retrieval_results(retriever, answerable)[0])
            cells.append((s["article_hit_at_5"], s["mrr"], s["doc_recall_at_5"]))
        (a, b, c), (d, e, f) = cells
        lines.append(f"| {name} | {a:.2f} | {b:.2f} | {c:.2f} | {d:.2f} | {e:.2f} | {f:.2f} |")
    text = "\n".join(lines) + "\n"
    REPORTS_DIR.mkdir(parents=True, exist_ok=True)
    (REPORTS_DIR / "ablation.md").write_text(text, encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ablation", action="store_true")
    parser.add_argument("--guides", action="store_true", help="choose the 办事指南 similarity threshold on dev")
    args = parser.parse_args()
    settings = load_settings()
    if args.guides:
        guide_threshold(settings)
        return
    print(ablation(settings) if args.ablation else "", end="")
    if not args.ablation:
        tune(settings)


if __name__ == "__main__":
    main()
