"""Failed sign-ins are counted per account and per address, in the database."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db.models import LoginThrottle
from app.domain.identity import throttle
from app.domain.identity.controllers._signin import SIGN_INS_PER_MINUTE_PER_IP
from app.domain.identity.throttle import FREE_FAILURES, IP_FACTOR, LOCK_AFTER, LOCK_FOR
from tests.factories import make_person, make_tenant
from tests.integration.identity.helpers import form_error, session_set_cookie, submit_login

WRONG = "definitely not the password"
CLIENT_IP = "127.0.0.1"  # what httpx's ASGI transport reports as the client


async def throttle_row(db: AsyncSession, key: str) -> LoginThrottle | None:
    return await db.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .execution_options(populate_existing=True)
    )


async def test_after_the_free_failures_even_the_right_password_must_wait(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="typo@example.com")
    await db_session.commit()
    for _ in range(FREE_FAILURES):
        assert (await submit_login(client, "typo@example.com", WRONG)).status_code == 401

    response = await submit_login(client, "typo@example.com")

    assert response.status_code == 429
    assert "Try again in" in (form_error(response) or "")
    assert session_set_cookie(response) is None


async def test_free_failures_cost_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="almost@example.com")
    await db_session.commit()
    for _ in range(FREE_FAILURES - 1):
        assert (await submit_login(client, "almost@example.com", WRONG)).status_code == 401
    assert (await submit_login(client, "almost@example.com")).status_code == 303


async def test_a_failure_is_counted_although_the_request_answers_with_an_error(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    response = await submit_login(client, "counted@example.com", WRONG)
    assert response.status_code == 401  # the request's own transaction is rolled back…
    row = await throttle_row(db_session, throttle.account_key("counted@example.com"))
    assert row is not None  # …but the failure was committed before the answer
    assert row.failures == 1
    by_ip = await throttle_row(db_session, throttle.ip_key(CLIENT_IP))
    assert by_ip is not None
    assert by_ip.failures == 1


async def test_the_table_does_not_keep_the_address_typed(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    await submit_login(client, "private.person@example.com", WRONG)
    keys = (await db_session.scalars(select(LoginThrottle.key))).all()
    assert keys
    assert not any("private" in key for key in keys)


async def test_success_clears_the_accounts_count(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="clears@example.com")
    await db_session.commit()
    for _ in range(FREE_FAILURES - 1):
        await submit_login(client, "clears@example.com", WRONG)
    assert await throttle_row(db_session, throttle.account_key("clears@example.com"))

    assert (await submit_login(client, "clears@example.com")).status_code == 303

    assert await throttle_row(db_session, throttle.account_key("clears@example.com")) is None
    # Failures can start again from nothing.
    for _ in range(FREE_FAILURES - 1):
        assert (await submit_login(client, "clears@example.com", WRONG)).status_code == 401
    assert (await submit_login(client, "clears@example.com")).status_code == 303


async def test_many_addresses_tried_from_one_ip_are_throttled_by_ip(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="innocent@example.com")
    await db_session.commit()
    for number in range(FREE_FAILURES * IP_FACTOR):
        response = await submit_login(client, f"guess{number}@example.com", WRONG)
        assert response.status_code == 401, number  # each account only failed once

    response = await submit_login(client, "innocent@example.com")

    assert response.status_code == 429
    assert "Try again in" in (form_error(response) or "")
    row = await throttle_row(db_session, throttle.ip_key(CLIENT_IP))
    assert row is not None
    assert row.failures == FREE_FAILURES * IP_FACTOR


async def test_account_is_locked_after_the_limit(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="locked@example.com")
    # Attempts spread over many addresses and over time (so no backoff stops them first).
    for number in range(LOCK_AFTER):
        await throttle.record_failure(db_session, "locked@example.com", f"192.0.2.{number}")
    await db_session.commit()
    row = await throttle_row(db_session, throttle.account_key("locked@example.com"))
    assert row is not None
    assert row.locked_until is not None
    assert row.locked_until - row.last_failure_at == LOCK_FOR

    response = await submit_login(client, "locked@example.com")

    assert response.status_code == 429
    assert "Try again in 15 minutes" in (form_error(response) or "")
    assert session_set_cookie(response) is None


async def test_fewer_failures_than_the_limit_do_not_lock(db_session: AsyncSession) -> None:
    for number in range(LOCK_AFTER - 1):
        await throttle.record_failure(db_session, "nearly@example.com", f"192.0.2.{number}")
    row = await throttle_row(db_session, throttle.account_key("nearly@example.com"))
    assert row is not None
    assert row.locked_until is None


async def test_throttle_check_allows_a_clean_slate(db_session: AsyncSession) -> None:
    verdict = await throttle.check(db_session, "fresh@example.com", "198.51.100.7")
    assert verdict.allowed


async def test_the_wait_runs_out(db_session: AsyncSession) -> None:
    for _ in range(FREE_FAILURES):
        await throttle.record_failure(db_session, "patient@example.com", "198.51.100.9")
    verdict = await throttle.check(db_session, "patient@example.com", "198.51.100.9")
    assert not verdict.allowed
    assert verdict.retry_after.total_seconds() > 0

    await db_session.execute(
        update(LoginThrottle).values(last_failure_at=text("now() - interval '2 seconds'"))
    )

    assert (await throttle.check(db_session, "patient@example.com", "198.51.100.9")).allowed


async def test_a_lock_runs_out(db_session: AsyncSession) -> None:
    for number in range(LOCK_AFTER):
        await throttle.record_failure(db_session, "later@example.com", f"192.0.2.{number}")
    assert not (await throttle.check(db_session, "later@example.com", "198.51.100.9")).allowed

    await db_session.execute(
        update(LoginThrottle).values(
            last_failure_at=text("now() - interval '16 minutes'"),
            locked_until=text("now() - interval '1 minute'"),
        )
    )

    assert (await throttle.check(db_session, "later@example.com", "198.51.100.9")).allowed


async def test_sign_in_requests_from_one_address_are_rate_limited(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    tenant = await make_tenant(db_session)
    await make_person(db_session, tenant, email="busy@example.com")
    await db_session.commit()
    for _ in range(SIGN_INS_PER_MINUTE_PER_IP):
        assert (await submit_login(client, "", "")).status_code == 422  # counted all the same

    response = await submit_login(client, "busy@example.com")

    assert response.status_code == 429
    assert "Try again in 1 minute" in (form_error(response) or "")


async def test_simultaneous_attempts_on_one_account_take_turns(app_engine: AsyncEngine) -> None:
    """A second attempt waits until the first one's failure is counted, then sees it."""
    email = f"burst-{uuid.uuid4().hex[:8]}@example.com"
    async with app_engine.connect() as first_conn, app_engine.connect() as second_conn:
        first = AsyncSession(bind=first_conn)
        second = AsyncSession(bind=second_conn)
        try:
            await throttle.check(first, email, "192.0.2.10")
            waiting = asyncio.create_task(throttle.check(second, email, "192.0.2.11"))
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the second attempt did not wait for the first"
            for _ in range(FREE_FAILURES):
                await throttle.record_failure(first, email, "192.0.2.10")
            await first.commit()
            verdict = await asyncio.wait_for(waiting, timeout=10)
            assert not verdict.allowed  # it saw the failures the first attempt counted
        finally:
            await second.rollback()
            await first.execute(
                text("DELETE FROM login_throttle WHERE key = :key"),
                {"key": throttle.account_key(email)},
            )
            await first.execute(text("DELETE FROM login_throttle WHERE key LIKE 'ip:192.0.2.1%'"))
            await first.commit()
            await first.close()
            await second.close()
