"""The ONNX query engine with the real e5 model: the same vectors as torch (integration).

The ONNX file is the shared cache beside the model folder (``load_settings().paths.models_dir``):
the first run exports it (~20 s, in a child process), later runs reuse it. Torch's embedder is the
session one from ``conftest.py``.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from common.settings import REPO_ROOT, load_settings
from kb.embeddings import MAX_TOKENS, ensure_model_folder
from kb.query_engine import OnnxEmbedder, QueryEngine, load_onnx_embedder

pytestmark = pytest.mark.integration

LONG = "用人单位自用工之日起即与劳动者建立劳动关系，应当订立书面劳动合同；未订立的，应当向劳动者每月支付二倍的工资。" * 20
QUESTIONS = [
    "送外卖路上被车撞了，算工伤吗？",
    "？",
    "",
    "美团骑手 Meituan rider 每天跑 12h，平台说是 partner 不是 employee，能认定劳动关系吗？",
    "滴滴司机被平台抽成30%（含信息服务费），合法吗～",
    "网約車司機被封號了怎麼辦",  # 繁體 as typed
    "第一条\n为了保护劳动者的合法权益，制定本法。\t加班费怎么算？",
    LONG[:700],  # close to 512 tokens
    LONG,  # over 512: both cut at 512
]


@pytest.fixture(scope="module")
def onnx_engine() -> OnnxEmbedder:
    model_dir = ensure_model_folder(load_settings().paths.model_dir)
    return load_onnx_embedder(model_dir, QueryEngine.ONNX, threads=1)


def test_the_long_questions_are_near_and_over_the_limit(embedder):
    assert 460 <= embedder.count_tokens(LONG[:700], is_query=True) <= MAX_TOKENS
    assert embedder.count_tokens(LONG, is_query=True) > MAX_TOKENS


@pytest.mark.parametrize("question", QUESTIONS, ids=range(len(QUESTIONS)))
def test_a_question_gets_torchs_vector(onnx_engine, embedder, question):
    got, want = onnx_engine.embed_query(question), embedder.embed_query(question)
    assert got.shape == want.shape == (384,) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, atol=1e-4)
    assert float(got @ want) >= 0.99999


def test_a_batch_of_questions_and_passages_gets_torchs_vectors(onnx_engine, embedder):
    np.testing.assert_allclose(onnx_engine.embed_queries(QUESTIONS), embedder.embed_queries(QUESTIONS), atol=1e-4)
    passages = ["（一）在工作时间和工作场所内，因工作原因受到事故伤害的；", "劳动者在试用期间被证明不符合录用条件的。", LONG]
    np.testing.assert_allclose(onnx_engine.embed_passages(passages), embedder.embed_passages(passages), atol=1e-4)


def test_a_server_on_the_onnx_engine_imports_no_torch():
    """The answer path's embedder, loaded in a fresh process, leaves torch, transformers and
    sentence-transformers unimported (a server saves their memory)."""
    code = (
        "import sys, json\n"
        "from common.settings import load_settings\n"
        "from kb.query_engine import load_query_embedder, engine_name\n"
        "e = load_query_embedder(load_settings(query_engine='onnx'))\n"
        "v = e.embed_query('送外卖路上被车撞了，算工伤吗？')\n"
        "print(json.dumps({'engine': engine_name(e), 'dim': int(v.shape[0]),"
        " 'heavy': sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO_ROOT)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"engine": "onnx", "dim": 384, "heavy": []}
