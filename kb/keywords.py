"""Keyword search: jieba segmentation and a BM25 index over the same chunks as the vectors.

Dense vectors miss exact terms (``停工留薪期``, ``第八十二条``) and BM25 misses paraphrase; the
retriever fuses both. Segmentation uses jieba's search mode (long words and their parts) with the
project's domain words (``corpus/domain_words.txt``) and the concept lexicon's forms kept whole.
"""
from __future__ import annotations

import hashlib
import re
import threading
from functools import lru_cache
import numpy as np

from common.settings import REPO_ROOT

DOMAIN_WORDS_FILE = REPO_ROOT / "corpus" / "domain_words.txt"

# Function words and question words that carry no topic. Kept short on purpose: BM25's idf already
# discounts common words; this list only removes what would match almost every article.
STOPWORDS = frozenset(
    """的 了 是 在 我 你 他 她 它 我们 你们 他们 吗 呢 啊 吧 呀 哦 嘛 么 和 与 或 及 也 都 就 还 又 被 把 给 让
    这 那 这个 那个 这样 那样 什么 怎么 怎样 怎么办 如何 为什么 哪 哪里 哪些 多少 几 能 能不能 可以 可不可以 会 要
    有 没有 没 不 是不是 算 算不算 一个 一下 请问 问 问题 知道 告诉 想 应该 需要 如果 但是 因为 所以 之 其 该 等
    者 或者 以及 对 对于 由 从 向 按照 依照 根据 规定 本 条 款 项""".split()
)

_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")


def dictionary_words() -> list[str]:
    """The words jieba must keep whole: the project's domain words and the concept lexicon's."""
    from kb.concepts import ConceptMatcher

    words = []
    if DOMAIN_WORDS_FILE.is_file():
        for line in DOMAIN_WORDS_FILE.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                words.append(line.strip())
    words += ConceptMatcher.default().chinese_words()
    return sorted(set(words))


@lru_cache(maxsize=1)
def dictionary_fingerprint() -> str:
    """Changes when the segmentation would change, so that indexed tokens are recomputed."""
    return hashlib.sha256("\n".join(dictionary_words()).encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def _tokenizer():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in dictionary_words():
        tokenizer.add_word(word, freq=20000)
    return tokenizer


_LOCK = threading.Lock()


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens of ``text``, lower-cased, without punctuation and stopwords."""
    with _LOCK:  # jieba's Tokenizer is not safe to initialise from two threads at once
        tokenizer = _tokenizer()
    tokens = []
    for token in tokenizer.lcut_for_search(text.lower()):
        token = token.strip()
        if token and token not in STOPWORDS and _TOKEN_OK.search(token):
            tokens.append(token)
    return tokens


class KeywordIndex:
    """BM25 (bm25s) over pre-tokenised chunks; scores are computed for all chunks at once."""

    def __init__(self, chunk_ids: list[str], tokens: list[list[str]]):
        import bm25s

        self.chunk_ids = list(chunk_ids)
        self._bm25 = bm25s.BM25()
        self._bm25.index([t or ["\u0000"] for t in tokens], show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for ``query`` (aligned with ``chunk_ids``)."""
        tokens = [t for t in tokenize(query) if t in self._bm25.vocab_dict]
        if not tokens:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)
