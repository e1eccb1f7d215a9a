"""The e5 query encoder as an ONNX file, exported from the built model folder (:mod:`kb.embeddings`).

What is exported: the ``XLMRobertaModel`` of the model folder followed by mean pooling over the
attention mask and L2 normalisation, so the graph's one output (``embedding``, batch × 384) is the
vector :meth:`kb.embeddings.Embedder.embed_query` gives. Inputs ``input_ids`` and
``attention_mask`` (int64, batch × tokens), both axes dynamic. The tokens come from the folder's own
``tokenizer.json``, so tokenisation is shared with the torch path.

Where it lives: a sibling of the model folder, ``<models_dir>/multilingual-e5-small-onnx/``, with
``model.onnx`` (float32) and, only when asked for, ``model.int8.onnx`` (its MatMuls dynamically
quantised to int8 by ``onnxruntime.quantization``). Each graph (~0.3 MB) keeps its weights in a
file beside it (``model.onnx.data``, ~470 MB; ``model.int8.onnx.data``, ~400 MB): ONNX Runtime
maps such a file into memory instead of copying it, so a loaded session costs ~100 MB of RSS
instead of ~780 MB (the 250k × 384 word-embedding table is read only where a question's tokens
fall). Each flavour has its own ``build-info.<flavour>.json`` that names what it was made from (the
model folder's weights and build, the exporter's versions, :data:`ONNX_FORMAT_VERSION`) and both
files' sizes; a flavour whose build info does not match the model folder of now is rebuilt.
Generated cache: never committed.

The export needs torch, transformers and the ``onnx`` package; it runs in a child process
(``python -m kb.onnx_model export MODEL_DIR OUT``) so a server that builds its query encoder on first
use never imports torch itself (~1 GB at its peak while exporting, freed when the child exits).
"""
from __future__ import annotations

import contextlib
import enum
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

from common.files import file_sha256, read_json_record, write_atomic
from common.settings import REPO_ROOT

ONNX_FORMAT_VERSION = 2
"""Bump when the exported graph changes (inputs, pooling, opset, file layout), so old files get
rebuilt. 2: weights in a ``.data`` file beside the graph."""
OPSET = 17
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAME = "embedding"
MODEL_BUILD_INFO = "build-info.json"
"""The model folder's own build info (:class:`kb.embeddings.BuildInfo`); part of the ONNX file's key."""
WEIGHTS = "model.safetensors"


class OnnxFlavour(enum.Enum):
    """Which ONNX file: float32 (the same vectors as torch, to rounding) or int8 MatMuls (faster,
    vectors move: cosine ~0.99 to float32)."""

    FP32 = "fp32"
    INT8 = "int8"

    @property
    def file_name(self) -> str:
        return "model.onnx" if self is OnnxFlavour.FP32 else "model.int8.onnx"

    @property
    def data_name(self) -> str:
        """The weights file beside the graph (the graph names it; the same name in a build's scratch folder)."""
        return self.file_name + ".data"

    @property
    def info_name(self) -> str:
        return f"build-info.{self.value}.json"


def onnx_dir_for(model_dir: Path) -> Path:
    """The ONNX folder that belongs to a model folder (its sibling ``<name>-onnx``)."""
    model_dir = Path(model_dir)
    return model_dir.with_name(model_dir.name + "-onnx")


@dataclass
class OnnxBuildInfo:
    """``build-info.<flavour>.json``: what an ONNX file was made from, written after the file."""

    format_version: int
    flavour: str
    model_key: str
    """:func:`model_key` of the model folder it was exported from."""
    torch_version: str
    onnx_version: str
    onnxruntime_version: str
    file_size: int
    data_size: int = 0
    """Size of the weights file beside the graph (0: none, the weights are inside)."""
    build_seconds: float = 0.0
    built_at: str = ""

    @classmethod
    def read(cls, path: Path) -> OnnxBuildInfo | None:
        return read_json_record(cls, path)

    def write(self, path: Path) -> None:
        write_atomic(path, (json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def model_key(model_dir: Path) -> str:
    """What the ONNX file depends on in the model folder: the sha256 of its build info (source
    file's sha256, layout version, tokenizers version) plus the weights file's size and mtime, so
    a rebuilt or replaced model folder is noticed at the cost of two ``stat`` calls and a small read."""
    model_dir = Path(model_dir)
    weights = (model_dir / WEIGHTS).stat()
    return f"{file_sha256(model_dir / MODEL_BUILD_INFO)}:{weights.st_size}:{weights.st_mtime_ns}"


def expected_versions() -> dict[str, str]:
    return {"torch_version": _version("torch"), "onnx_version": _version("onnx"),
            "onnxruntime_version": _version("onnxruntime")}


def is_current(onnx_dir: Path, model_dir: Path, flavour: OnnxFlavour) -> bool:
    """True if ``onnx_dir`` holds a finished ``flavour`` file made from ``model_dir`` as it is now."""
    info = OnnxBuildInfo.read(Path(onnx_dir) / flavour.info_name)
    path = Path(onnx_dir) / flavour.file_name
    data = Path(onnx_dir) / flavour.data_name
    if info is None or info.format_version != ONNX_FORMAT_VERSION or info.flavour != flavour.value:
        return False
    try:
        if path.stat().st_size != info.file_size or info.model_key != model_key(model_dir):
            return False
        if info.data_size and data.stat().st_size != info.data_size:
            return False
    except OSError:
        return False
    versions = expected_versions()
    return info.torch_version == versions["torch_version"] and info.onnx_version == versions["onnx_version"]


# ---------------------------------------------------------------------------------------------
# Making the files (in the child process)
# ---------------------------------------------------------------------------------------------


def export_fp32(model_dir: Path, out: Path) -> None:
    """Export the folder's XLMRobertaModel + mean pooling + L2 normalisation to ``out`` (float32),
    its weights to ``out`` + ``.data`` beside it. Imports torch: call it in a process that may hold
    torch (the child, the indexer, a test)."""
    import io

    import common.settings  # noqa: F401  (offline switches)
    import onnx
    import torch
    from transformers import XLMRobertaModel

    model = XLMRobertaModel.from_pretrained(str(model_dir), local_files_only=True).eval()

    class PooledEncoder(torch.nn.Module):
        def __init__(self, encoder):
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    # Two rows of different lengths (the second padded): the trace sees padding and batching.
    ids = torch.tensor([[0, 1294, 12, 6, 2], [0, 1294, 2, 1, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    import warnings

    graph = io.BytesIO()
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # TracerWarnings about shapes: the graph is checked by the tests
        torch.onnx.export(
            PooledEncoder(model), (ids, mask), graph, input_names=list(INPUT_NAMES), output_names=[OUTPUT_NAME],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
                          OUTPUT_NAME: {0: "batch"}},
            opset_version=OPSET, dynamo=False,
        )
    Path(out).with_name(Path(out).name + ".data").unlink(missing_ok=True)  # onnx appends to an existing one
    onnx.save_model(onnx.load_model_from_string(graph.getvalue()), str(out), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=Path(out).name + ".data", size_threshold=1024)


def quantize_int8(fp32: Path, out: Path) -> None:
    """Dynamic int8 quantisation of the float32 file's MatMuls (weights int8, activations quantised
    per call); the embedding tables stay float32. Weights to ``out`` + ``.data`` beside it."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # its pre-processing hint
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
                     use_external_data_format=True)


def make_in_child(step: str, source: Path, out: Path) -> None:
    """Run ``export`` or ``quantize`` in a fresh Python process (torch never enters the caller)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-m", "kb.onnx_model", step, str(source), str(out)], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        tail = " ".join((done.stderr or done.stdout).strip().splitlines()[-1:])[:300]
        raise RuntimeError(f"ONNX {step} failed (exit {done.returncode}): {tail}")


Maker = Callable[[str, Path, Path], None]
"""``maker(step, source, out)``: writes ``out`` for ``step`` ("export": source is the model folder;
"quantize": source is the float32 file), and its weights as ``out`` + ``.data`` beside it if it
keeps them outside. :func:`make_in_child` unless a test gives another."""


@contextlib.contextmanager
def _lock(onnx_dir: Path) -> Iterator[None]:
    onnx_dir.mkdir(parents=True, exist_ok=True)
    with open(onnx_dir / ".build.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_onnx(model_dir: Path, flavour: OnnxFlavour, *, onnx_dir: Path | None = None, maker: Maker = make_in_child) -> Path:
    """Write ``flavour``'s file (and the float32 one it is quantised from) for ``model_dir``,
    replacing what is there; return its path. The files are written in a scratch folder beside
    their final names and renamed (weights first, graph second; a server that has the old weights
    mapped keeps reading them), then the build info is written: a killed build leaves no file that
    passes :func:`is_current`."""
    onnx_dir = Path(onnx_dir) if onnx_dir is not None else onnx_dir_for(model_dir)
    with _lock(onnx_dir):
        return _build_locked(Path(model_dir), onnx_dir, flavour, maker, force=True)


def ensure_onnx(model_dir: Path, flavour: OnnxFlavour = OnnxFlavour.FP32, *, onnx_dir: Path | None = None,
                maker: Maker = make_in_child) -> Path:
    """The path of a current ``flavour`` file for ``model_dir``: at once when there is one, else built
    (float32: ~10 s here; int8 another ~6 s). Safe to call from several processes."""
    onnx_dir = Path(onnx_dir) if onnx_dir is not None else onnx_dir_for(model_dir)
    if is_current(onnx_dir, model_dir, flavour):
        return onnx_dir / flavour.file_name
    with _lock(onnx_dir):
        return _build_locked(Path(model_dir), onnx_dir, flavour, maker, force=False)


def _build_locked(model_dir: Path, onnx_dir: Path, flavour: OnnxFlavour, maker: Maker, *, force: bool) -> Path:
    target = onnx_dir / flavour.file_name
    if not force and is_current(onnx_dir, model_dir, flavour):  # another process finished it while we waited
        return target
    if flavour is OnnxFlavour.INT8:
        source = _build_locked(model_dir, onnx_dir, OnnxFlavour.FP32, maker, force=False)
        step = "quantize"
    else:
        source, step = model_dir, "export"
    for leftover in onnx_dir.glob(".*.part-*"):  # a killed build's scratch (we hold the lock)
        shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    started = time.monotonic()
    key = model_key(model_dir)
    (onnx_dir / flavour.info_name).unlink(missing_ok=True)  # from here on the old file is not current
    scratch = onnx_dir / f".{flavour.file_name}.part-{uuid.uuid4().hex[:8]}"
    scratch.mkdir()
    data = onnx_dir / flavour.data_name
    try:
        maker(step, source, scratch / flavour.file_name)
        if not (scratch / flavour.file_name).is_file() or (scratch / flavour.file_name).stat().st_size == 0:
            raise RuntimeError(f"ONNX {step} wrote nothing")
        if (scratch / flavour.data_name).is_file():
            os.replace(scratch / flavour.data_name, data)
        else:
            data.unlink(missing_ok=True)
        os.replace(scratch / flavour.file_name, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    OnnxBuildInfo(format_version=ONNX_FORMAT_VERSION, flavour=flavour.value, model_key=key, **expected_versions(),
                  file_size=target.stat().st_size, data_size=data.stat().st_size if data.is_file() else 0, build_seconds=round(time.monotonic() - started, 2),
                  built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z")).write(onnx_dir / flavour.info_name)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m kb.onnx_model export MODEL_DIR OUT`` / ``quantize FP32_FILE OUT`` (the child's work)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3 or args[0] not in ("export", "quantize"):
        print("usage: python -m kb.onnx_model export MODEL_DIR OUT | quantize FP32_FILE OUT", file=sys.stderr)
        return 2
    step, source, out = args[0], Path(args[1]), Path(args[2])
    (export_fp32 if step == "export" else quantize_int8)(source, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
