"""Staff accounts: a YAML file (``settings.paths.staff_path``, written by ``laoquan staff add``) of names and
scrypt hashes, each with its own random salt; passwords are compared in constant time.

Each account may also hold API tokens for the staff endpoints of the open API (``laoquan staff token
NAME`` issues one, ``--revoke`` revokes them all): a token is shown once, and only its SHA-256 is
kept (a token is 32 random bytes, so a fast hash is enough), under an id that is part of the token."""
from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from datetime import datetime, timezone
from pathlib import Path

import yaml

from common.files import read_yaml, write_atomic

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
_NAME = re.compile(r"[\w.\-]{2,32}")
TOKEN_PREFIX = "lqt_"
_TOKEN = re.compile(r"lqt_([0-9a-f]{8})_[A-Za-z0-9_\-]{40,60}")
MIN_PASSWORD = 8


class AccountError(ValueError):
    """A name or password that cannot be used, or an accounts file that cannot be read; the message says why."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


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
        tokens = (accounts.get(name) or {}).get("tokens")
        accounts[name] = hash_password(password) | ({"tokens": tokens} if tokens else {})  # a new password keeps the API tokens
        self._save(accounts)

    def _save(self, accounts: dict) -> None:
        text = "# 劳权通 staff accounts (laoquan staff add NAME). Only scrypt hashes; never put a password here.\n"
        text += yaml.safe_dump({"staff": accounts}, sort_keys=True)
        write_atomic(self.path, text.encode("utf-8"))
        os.chmod(self.path, 0o600)

    # -- API tokens ---------------------------------------------------------------------------

    def issue_token(self, name: str) -> str:
        """A new API token for ``name`` (returned once; only its hash is written)."""
        accounts = self._load()
        if name not in accounts:
            raise AccountError(f"没有这个账号：{name}（先用 laoquan staff add {name} 创建）。")
        token_id = secrets.token_hex(4)
        secret = secrets.token_urlsafe(32)
        token = f"{TOKEN_PREFIX}{token_id}_{secret}"
        tokens = dict(accounts[name].get("tokens") or {})
        tokens[token_id] = {"sha256": _token_hash(token), "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        accounts[name] = {**accounts[name], "tokens": tokens}
        self._save(accounts)
        return token

    def revoke_tokens(self, name: str) -> int:
        """Revoke every API token of ``name``; how many there were."""
        accounts = self._load()
        if name not in accounts:
            raise AccountError(f"没有这个账号：{name}")
        revoked = len(accounts[name].get("tokens") or {})
        accounts[name] = {k: v for k, v in accounts[name].items() if k != "tokens"}
        self._save(accounts)
        return revoked

    def token_owner(self, token: str | None) -> str | None:
        """The account an API token belongs to; None for a missing, malformed, wrong or revoked token.
        Read from the file on every call, so a revocation takes effect at once."""
        match = _TOKEN.fullmatch(token or "")
        if not match:
            return None
        digest = _token_hash(token)
        for name, record in self._load().items():
            stored = ((record or {}).get("tokens") or {}).get(match.group(1))
            if stored and hmac.compare_digest(str(stored.get("sha256", "")), digest):
                return name
        return None

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
