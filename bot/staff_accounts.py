"""Staff accounts: a YAML file (``settings.paths.staff_path``, written by ``laoquan staff add``) of names and
scrypt hashes, each with its own random salt; passwords are compared in constant time."""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import yaml

from common.files import read_yaml, write_atomic

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"[\w.\-]{2,32}")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A name or password that cannot be used, or an accounts file that cannot be read; the message says why."""


def hash_password(password: str, *, salt: bytes | None = None, n: int = _SCRYPT["n"], r: int = _SCRYPT["r"], p: int = _SCRYPT["p"]) -> dict:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    return {"scrypt": {"n": n, "r": r, "p": p}, "salt": salt.hex(), "hash": digest.hex()}


class StaffAccounts:
    """The staff accounts file. Read on every login, so ``laoquan staff add`` needs no restart."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def _load(self) -> dict[str, dict]:
        if not self.path.is_file():
            return {}
        data = read_yaml(self.path, error=AccountError, zh="账号文件", en="the staff accounts file") or {}
        return dict(data.get("staff") or {})

    def names(self) -> list[str]:
        return sorted(self._load())

    def add(self, name: str, password: str) -> None:
        """Create or replace an account (the file is written atomically, readable by its owner only)."""
        if not _NAME.fullmatch(name or ""):
            raise AccountError("用户名只能用 2–32 个字母、数字、下划线、点或短横线。")
        if len(password or "") < MIN_PASSWORD:
            raise AccountError(f"密码至少 {MIN_PASSWORD} 位。")
        accounts = self._load()
        accounts[name] = hash_password(password)
        text = "# 劳权通 staff accounts (laoquan staff add NAME). Only scrypt hashes; never put a password here.\n"
        text += yaml.safe_dump({"staff": accounts}, sort_keys=True)
        write_atomic(self.path, text.encode("utf-8"))
        os.chmod(self.path, 0o600)

    def remove(self, name: str) -> bool:
        accounts = self._load()
        if name not in accounts:
            return False
        del accounts[name]
        write_atomic(self.path, yaml.safe_dump({"staff": accounts}, sort_keys=True).encode("utf-8"))
        return True

    def verify(self, name: str, password: str) -> bool:
        """True when ``password`` is this account's. An unknown name costs the same hashing time."""
        record = self._load().get(name or "")
        try:
            params = (record or {}).get("scrypt") or _SCRYPT
            salt = bytes.fromhex(record["salt"]) if record else b"\0" * 16
            expected = bytes.fromhex(record["hash"]) if record else b"\0" * 32
            actual = bytes.fromhex(hash_password(password or "", salt=salt, **params)["hash"])
        except (KeyError, ValueError, TypeError):
            return False
        return hmac.compare_digest(actual, expected) and record is not None
