"""Checking the entries of the project's catalog-like YAML files (catalog, change log, service points,
webhooks): each problem is one line naming the entry and the field, in Chinese and English,
``<entry> · <field>: <中文> / <English>``, raised as the caller's own error type."""
from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import TypeVar

E = TypeVar("E", bound=Exception)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ID_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""An entry id: lowercase letters and digits in hyphen-separated groups (``laodong-fa``)."""


def fail(error: type[E], label: str, field: str, zh: str, en: str) -> E:
    """The ``error`` saying that ``field`` of entry ``label`` is wrong: ``zh`` / ``en`` say how."""
    return error(f"{label} · {field}: {zh} / {en}")


def reject_unknown(raw: Mapping, known: Collection[str], label: str, *, error: type[Exception],
                   prefix: str = "", en: str = "unknown field") -> None:
    """Raise ``error`` for the first (in sorted order) key of ``raw`` that is not in ``known``;
    ``prefix`` is put before the key in the message (``sources[0].``)."""
    unknown = sorted(map(str, set(raw) - set(known)))
    if unknown:
        raise fail(error, label, f"{prefix}{unknown[0]}", "未知字段", en)


def text_field(raw: Mapping, field: str, label: str, *, error: type[Exception]) -> str | None:
    """``raw[field]`` stripped; None when it is absent, None or blank; ``error`` when it is not text."""
    value = raw.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise fail(error, label, field, "应为文字", "must be text")
    return value.strip() or None


def parse_iso_date(value: object) -> date | None:
    """``YYYY-MM-DD`` text as a date (None for None); ValueError for anything else. Dates are kept as
    text when the YAML is read (:class:`common.files.TextDatesLoader`) so YAML's own date guessing
    never decides what a date is."""
    if value is None:
        return None
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        return date.fromisoformat(value.strip())
    raise ValueError(value)


def date_field(value: object, field: str, label: str, *, error: type[Exception]) -> date | None:
    """``value`` (``YYYY-MM-DD`` text or None) as a date; ``error`` naming ``field`` for anything else."""
    try:
        return parse_iso_date(value)
    except ValueError:
        raise fail(error, label, field, f"日期无效 {value!r}（应为 YYYY-MM-DD）", "bad date, expected YYYY-MM-DD") from None
