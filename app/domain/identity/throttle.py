"""Failed sign-ins, counted per account and per address in the database.

Each failure makes the next attempt wait longer; past a limit the key is locked for a
while. Counting in PostgreSQL means every process and host sees the same count.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

FREE_FAILURES = 3  # typos happen: this many failures in a row before any wait
LOCK_AFTER = 10
LOCK_FOR = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
IP_FACTOR = 5  # an address (a care home's wifi) is shared by many people


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: timedelta = timedelta(0)


def account_key(email: str) -> str:
    # Hashed: the table should not become a list of addresses people typed.
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]


def ip_key(ip: str) -> str:
    return f"ip:{ip}"


def second_factor_subject(user_id: uuid.UUID) -> str:
    """What wrong MFA codes are counted under, in place of the email: a count of its own,
    so that a right password (which clears the account's count) does not clear it too."""
    return f"second-factor|{user_id}"


def _seconds(span: timedelta) -> int:
    return int(span.total_seconds())


def _delay(failures: int, free: int) -> timedelta:
    """The wait after `failures` failures: none for the first `free - 1`, then 1 s, 2 s, …
    up to a minute, so the attempt after the `free`-th failure already waits."""
    over = failures - free
    return timedelta(seconds=0 if over < 0 else min(2**over, 60))


# Ages measured by the database's clock, the one that stamped the rows: the app's hosts
# may not agree with it to the second.
_READ = text(
    "SELECT key, failures, "
    "extract(epoch FROM now() - last_failure_at) AS since_last, "
    "extract(epoch FROM locked_until - now()) AS locked_for "
    "FROM login_throttle "
    "WHERE key = ANY(:keys) AND last_failure_at > now() - make_interval(secs => :forget)"
)

_FAIL = text(
    """
    INSERT INTO login_throttle AS t (key, failures, first_failure_at, last_failure_at)
    VALUES (:key, 1, now(), now())
    ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN t.last_failure_at < now() - make_interval(secs => :forget)
                        THEN 1 ELSE t.failures + 1 END,
        first_failure_at = CASE WHEN t.last_failure_at < now() - make_interval(secs => :forget)
                                THEN now() ELSE t.first_failure_at END,
        last_failure_at = now(),
        locked_until = CASE WHEN t.last_failure_at >= now() - make_interval(secs => :forget)
                                 AND t.failures + 1 >= :lock_after
                            THEN now() + make_interval(secs => :lock_for) END
    """
)

_CLEAR = text("DELETE FROM login_throttle WHERE key = :key")


_ONE_AT_A_TIME = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


async def check(db: AsyncSession, email: str, ip: str) -> Verdict:
    """May this attempt go ahead now? If not, how long until it may.

    Attempts on one account take turns (a transaction-scoped lock, released when the
    attempt's outcome is committed), so a burst of simultaneous guesses cannot all pass
    this check before the first failure is counted.
    """
    await db.execute(_ONE_AT_A_TIME, {"key": account_key(email)})
    rows = (
        await db.execute(
            _READ, {"keys": [account_key(email), ip_key(ip)], "forget": _seconds(FORGET_AFTER)}
        )
    ).all()
    wait = timedelta(0)
    for row in rows:
        factor = IP_FACTOR if row.key.startswith("ip:") else 1
        if row.locked_for is not None:
            wait = max(wait, timedelta(seconds=float(row.locked_for)))
        backoff = _delay(row.failures, FREE_FAILURES * factor)
        wait = max(wait, backoff - timedelta(seconds=float(row.since_last)))
    return Verdict(allowed=wait <= timedelta(0), retry_after=wait)


async def record_failure(db: AsyncSession, email: str, ip: str) -> None:
    for key, factor in ((account_key(email), 1), (ip_key(ip), IP_FACTOR)):
        await db.execute(
            _FAIL,
            {
                "key": key,
                "forget": _seconds(FORGET_AFTER),
                "lock_after": LOCK_AFTER * factor,
                "lock_for": _seconds(LOCK_FOR),
            },
        )


async def record_success(db: AsyncSession, email: str) -> None:
    await db.execute(_CLEAR, {"key": account_key(email)})
