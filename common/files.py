"""File helpers every layer needs: a file's sha256, writing a file so a reader (or a crash) never
sees half of it, and reading a YAML file whose every failure is one clear line."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import yaml


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256_or_empty(path: Path) -> str:
    """The sha256 of ``path``, or "" when there is no such file (an optional input)."""
    return file_sha256(path) if Path(path).is_file() else ""


def read_json_record(cls, path: Path):
    """The dataclass ``cls`` from the JSON object in ``path`` (fields it does not know are skipped,
    missing ones take their defaults); None when the file is missing, unreadable or does not fit."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})
    except (OSError, ValueError, TypeError):
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over
    ``path``: after a crash there is either the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TextDatesLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so a bad date is reported with its entry and field
    (used for every dated YAML file of the corpus: catalog, change log, service points)."""


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(path: Path, *, error: type[Exception], zh: str, en: str, loader: type | None = None) -> object:
    """The parsed YAML of ``path``. A missing or unreadable file, a file not in UTF-8 and broken YAML
    are each raised as ``error`` with one Chinese / English line naming the file (``zh`` and ``en``
    name what it is: 「目录文件」 / "the catalog"). ``loader`` defaults to the safe loader."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise error(f"{path}: 读不到{zh} / cannot read {en}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{path}: {zh}不是 UTF-8 编码（第 {exc.start} 字节）/ {en} is not UTF-8 (byte {exc.start})") from exc
    try:
        return yaml.load(text, Loader=loader or yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise error(f"{path}: YAML 语法错误 / invalid YAML: {exc}") from exc
