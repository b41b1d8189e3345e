"""Dates on patient pages: the tenant's time zone, the user's locale, access expiry days."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import TenantSettings
from app.lib.i18n import current_locale


async def tenant_zone(db: AsyncSession, tenant_id: uuid.UUID) -> ZoneInfo:
    """The care account's time zone (UTC when unset or unknown)."""
    name = await db.scalar(
        select(TenantSettings.time_zone).where(TenantSettings.tenant_id == tenant_id)
    )
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def today(zone: ZoneInfo) -> date:
    return datetime.now(zone).date()


def show_moment(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as people in the care account read it, in the user's language."""
    return format_datetime(moment, format="medium", tzinfo=zone, locale=current_locale())


def show_day(day: date) -> str:
    return format_date(day, format="medium", locale=current_locale())


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Access "until" a day lasts through that whole day where the care account is."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)


def last_day(expires_at: datetime, zone: ZoneInfo) -> date:
    """The last day an access still held (the inverse of `end_of_day`)."""
    return (expires_at.astimezone(zone) - timedelta(microseconds=1)).date()
