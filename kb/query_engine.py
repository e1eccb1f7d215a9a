"""The engine that embeds questions at answer time: ONNX Runtime (the default) or torch.

Indexing always embeds passages with torch (:class:`kb.embeddings.Embedder`), so the stored vectors
never depend on this choice. At answer time a question is embedded once (:mod:`kb.query_vectors`)
by the engine named by ``LAOQUAN_QUERY_ENGINE``:

- ``onnx`` (default): the float32 graph of :mod:`kb.onnx_model` on ONNX Runtime's CPU provider. The
  same vectors as torch to ~1e-7 (cosine ≥ 0.99999 on every eval question), about 3× faster for one
  question, and a server that uses it never imports torch, transformers or sentence-transformers.
- ``onnx-int8``: the same with int8 MatMuls; faster again, but vectors move (cosine ~0.99), so
  rankings can change. An option, not the default.
- ``torch``: sentence-transformers, as before.

Threads: ``LAOQUAN_QUERY_THREADS`` (0: the cores this process may use divided by the answer
workers, at least 1, so N workers × threads ≈ cores; ONNX Runtime's threads wait without spinning).

If the ONNX file cannot be built or loaded (no ``onnx`` package to export with, a damaged file), the
file is rebuilt once; if that fails too, the bot answers with the torch engine and one Chinese
line says why in the log.
"""
from __future__ import annotations

import enum
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from common.settings import Settings
from kb.embeddings import MAX_TOKENS, PASSAGE_PROMPT, QUERY_PROMPT
from kb.onnx_model import INPUT_NAMES, OnnxFlavour, build_onnx, ensure_onnx

log = logging.getLogger(__name__)

PAD_ID = 1
"""``<pad>`` in the e5 tokenizer; padded positions also get attention 0."""


class QueryEngine(enum.Enum):
    ONNX = "onnx"
    ONNX_INT8 = "onnx-int8"
    TORCH = "torch"

    @classmethod
    def named(cls, name: str) -> QueryEngine:
        try:
            return cls(name.strip().lower())
        except ValueError:
            choices = "、".join(e.value for e in cls)
            raise ValueError(f"不认识的查询向量引擎 {name!r}（LAOQUAN_QUERY_ENGINE 可选：{choices}）") from None

    @property
    def flavour(self) -> OnnxFlavour | None:
        return {QueryEngine.ONNX: OnnxFlavour.FP32, QueryEngine.ONNX_INT8: OnnxFlavour.INT8}.get(self)


class QueryEngineError(RuntimeError):
    """The ONNX query encoder cannot be used; ``str()`` is the one line for the operator."""


def engine_threads(settings: Settings, *, cores: int | None = None) -> int:
    """Intra-op threads of one embedding: the setting, or cores ÷ answer workers (at least 1)."""
    if settings.retrieval.query_threads > 0:
        return settings.retrieval.query_threads
    cores = cores or len(os.sched_getaffinity(0))
    workers = settings.web.answer_workers if settings.web.answer_workers > 0 else cores
    return max(1, cores // workers)


class OnnxEmbedder:
    """e5 on ONNX Runtime: the :class:`kb.protocols.Embedder` of the answer path.

    Thread-safe without a lock: the tokenizer is configured once (truncation at 512 tokens, no
    padding) and only read afterwards, and ``InferenceSession.run`` may be called from several
    threads at once. Padding for a batch is done here, in numpy.
    """

    def __init__(self, onnx_path: Path, tokenizer_path: Path, *, threads: int, engine: QueryEngine = QueryEngine.ONNX,
                 batch_size: int = 32):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.path = Path(onnx_path)
        self.engine = engine
        self.threads = max(1, int(threads))
        self.batch_size = batch_size
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # a shared 2-core box
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
            names = tuple(i.name for i in self._session.get_inputs())
            if names != INPUT_NAMES:
                raise ValueError(f"inputs {names}, expected {INPUT_NAMES}")
            self.dim = int(self._session.get_outputs()[0].shape[-1])
        except Exception as exc:  # onnxruntime raises its own (Fail, InvalidProtobuf, ...) for a bad file
            detail = " ".join(str(exc).split())[:160]
            raise QueryEngineError(f"查询向量模型 {self.path} 读不了（{detail}），文件可能已损坏") from exc
        self._tokenizer = Tokenizer.from_file(str(Path(tokenizer_path)))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)

    def __repr__(self) -> str:
        return f"OnnxEmbedder({str(self.path)!r}, threads={self.threads})"

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), width), PAD_ID, np.int64)
        mask = np.zeros((len(texts), width), np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def _encode(self, texts: Sequence[str], prompt: str) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, got one str")
        texts = [prompt + t for t in texts]
        out = np.zeros((len(texts), self.dim), np.float32)
        # Longest first in batches of similar length: little padding, the same vectors.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def embed_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Vectors of texts to be searched (at answer time: an article's list items)."""
        return self._encode(texts, PASSAGE_PROMPT)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, QUERY_PROMPT)

    def embed_query(self, text: str) -> np.ndarray:
        """Vector (dim,) of one question: its own tokens, nothing padded."""
        if not isinstance(text, str):
            raise TypeError("expected one str")
        return np.ascontiguousarray(self._run([QUERY_PROMPT + text])[0], dtype=np.float32)


_load_lock = threading.Lock()


def load_onnx_embedder(model_dir: Path, engine: QueryEngine, *, threads: int, onnx_dir: Path | None = None,
                       maker=None) -> OnnxEmbedder:
    """The ONNX engine for a built model folder: its file made when missing or stale, rebuilt once
    when it does not load. Raises :class:`QueryEngineError` (one Chinese line) when that fails."""
    flavour = engine.flavour
    extra = {"onnx_dir": onnx_dir} | ({"maker": maker} if maker is not None else {})
    tokenizer = Path(model_dir) / "tokenizer.json"
    with _load_lock:
        try:
            path = ensure_onnx(model_dir, flavour, **extra)
        except Exception as exc:
            raise QueryEngineError(f"查询向量模型（ONNX）生成失败：{' '.join(str(exc).split())[:200]}") from exc
        try:
            return OnnxEmbedder(path, tokenizer, threads=threads, engine=engine)
        except QueryEngineError as first:
            log.warning("%s；正在重新生成", first)
        try:
            path = build_onnx(model_dir, flavour, **extra)
        except Exception as exc:
            raise QueryEngineError(f"查询向量模型（ONNX）重新生成失败：{' '.join(str(exc).split())[:200]}") from exc
        return OnnxEmbedder(path, tokenizer, threads=threads, engine=engine)


def load_query_embedder(settings: Settings):
    """The embedder a retriever uses at answer time, by ``settings.retrieval.query_engine``: the ONNX
    engine, or (chosen, or when ONNX fails, with one warning line) torch's :class:`kb.embeddings.Embedder`."""
    from kb.embeddings import ensure_model_folder

    engine = QueryEngine.named(settings.retrieval.query_engine)
    model_dir = ensure_model_folder(settings.paths.model_dir)
    if engine is not QueryEngine.TORCH:
        try:
            return load_onnx_embedder(model_dir, engine, threads=engine_threads(settings))
        except QueryEngineError as exc:
            log.warning("%s；改用 torch 计算查询向量（回答不变，只是慢一些）", exc)
    from kb.embeddings import Embedder

    return Embedder(model_dir)


def engine_name(embedder) -> str:
    """``onnx`` / ``onnx-int8`` / ``torch`` (or the class name of another embedder, e.g. a fake)."""
    engine = getattr(embedder, "engine", None)
    if isinstance(engine, QueryEngine):
        return engine.value
    from kb.embeddings import Embedder

    return QueryEngine.TORCH.value if isinstance(embedder, Embedder) else type(embedder).__name__


__all__ = ["OnnxEmbedder", "QueryEngine", "QueryEngineError", "engine_name", "engine_threads", "load_query_embedder"]
