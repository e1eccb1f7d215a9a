"""How often the staff login may be tried: per account and per client address.

Every try is kept in the records (:meth:`bot.records.Records.add_login_attempt`), so the count
survives a restart and is the same for every server process sharing the records. The rule: after
``max_failures`` wrong tries within :data:`WINDOW` for one account, or from one client address,
the next try must wait ``wait_seconds``, and every further wrong try doubles that wait (at most
:data:`MAX_WAIT`). A try made while waiting is refused without checking the password and counts
as one more wrong try. A right password clears the account's count (not the address's).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.records import LoginAttempt, Records

WINDOW = timedelta(minutes=15)
MAX_WAIT = timedelta(minutes=15)


@dataclass(frozen=True)
class LoginVerdict:
    """Whether a login may be tried now; when not, how many seconds are left to wait."""

    allowed: bool
    wait_seconds: int = 0

    @property
    def message(self) -> str:
        minutes = max(1, -(-self.wait_seconds // 60))
        return f"登录失败次数太多，请 {minutes} 分钟后再试。忘了密码请找站点管理员重设。"


def _parse(stamp: str) -> datetime:
    when = datetime.fromisoformat(stamp)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


@dataclass
class LoginGuard:
    """Throttles the staff login over the records' ``login_attempts``."""

    records: Records
    max_failures: int = 5
    wait_seconds: int = 60

    def _wait_after(self, failures: list[datetime], now: datetime) -> int:
        if len(failures) < self.max_failures:
            return 0
        extra = len(failures) - self.max_failures
        wait = min(timedelta(seconds=self.wait_seconds * (2 ** min(extra, 20))), MAX_WAIT)
        left = failures[-1] + wait - now
        return max(0, int(left.total_seconds() + 0.999))

    def check(self, *, account: str, client: str, now: datetime | None = None) -> LoginVerdict:
        """May ``account`` try to log in from ``client`` now?"""
        now = now or datetime.now(timezone.utc)
        attempts = self.records.login_attempts(since=(now - WINDOW).isoformat())
        by_account: list[datetime] = []
        by_client: list[datetime] = []
        for attempt in attempts:
            if attempt.account == account:
                if attempt.ok:
                    by_account = []
                else:
                    by_account.append(_parse(attempt.at))
            if attempt.client == client and not attempt.ok:
                by_client.append(_parse(attempt.at))
        wait = max(self._wait_after(by_account, now), self._wait_after(by_client, now))
        return LoginVerdict(allowed=wait == 0, wait_seconds=wait)

    def record(self, *, account: str, client: str, ok: bool) -> None:
        self.records.add_login_attempt(account=account, client=client, ok=ok)

    def recent_refusals(self, *, hours: int = 24, limit: int = 20) -> list[LoginAttempt]:
        """The newest wrong or refused tries of the last ``hours``, newest first (for the staff page)."""
        since = (datetime.now(timezone.utc) - timedelta(hours=hours)).isoformat()
        return [a for a in reversed(self.records.login_attempts(since=since)) if not a.ok][:limit]
